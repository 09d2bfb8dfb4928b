package dev.lyrics.train;

import ai.djl.ndarray.NDArray;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import java.util.ArrayList;
import java.util.Collection;
import java.util.TreeMap;
import java.util.List;
import java.util.Map;

/**
 * Dynamic loss scaling as torch.cuda.amp.GradScaler does it, for a half-precision base: the loss is
 * multiplied by the scale before the backward pass, so small activation gradients do not flush to
 * zero in float16; the (float32) LoRA gradients are divided by it again before clipping. A step
 * whose gradients hold an inf or NaN is skipped (no update) and the scale halves; after
 * {@link #GROWTH_INTERVAL} clean steps in a row it doubles.
 */
final class LossScaler {
    static final double INITIAL_SCALE = 65536;
    static final double GROWTH_FACTOR = 2;
    static final double BACKOFF_FACTOR = 0.5;
    static final int GROWTH_INTERVAL = 2000;

    private double scale;
    private int cleanSteps;
    private final List<Integer> skippedSteps;

    LossScaler() {
        this(INITIAL_SCALE, 0, List.of());
    }

    private LossScaler(double scale, int cleanSteps, List<Integer> skippedSteps) {
        this.scale = scale;
        this.cleanSteps = cleanSteps;
        this.skippedSteps = new ArrayList<>(skippedSteps);
    }

    double scale() {
        return scale;
    }

    /** 1-based steps skipped so far (in this run and the runs it resumed). */
    List<Integer> skippedSteps() {
        return List.copyOf(skippedSteps);
    }

    /** Divides the gradients by the scale in place (GradScaler.unscale_). */
    void unscale(Collection<NDArray> parameters) {
        float inverse = (float) (1.0 / scale);
        for (NDArray parameter : parameters) {
            try (NDArray grad = parameter.getGradient()) {
                grad.muli(inverse);
            }
        }
    }

    /**
     * GradScaler.update after a step: a non-finite gradient norm skips the step (its gradients are
     * zeroed, NaN included, for the next accumulation) and halves the scale.
     *
     * @return whether the optimiser may take the step
     */
    boolean update(int step, double gradNorm, Collection<NDArray> parameters) {
        if (Double.isFinite(gradNorm)) {
            if (++cleanSteps == GROWTH_INTERVAL) {
                scale *= GROWTH_FACTOR;
                cleanSteps = 0;
            }
            return true;
        }
        for (NDArray parameter : parameters) {
            // zero_() rather than grad * 0, which keeps a NaN
            JniUtils.zeroGrad((PtNDArray) parameter);
        }
        scale *= BACKOFF_FACTOR;
        cleanSteps = 0;
        skippedSteps.add(step);
        return false;
    }

    /** For checkpoints: scale, clean steps since the last change, skipped steps. */
    Map<String, Object> state() {
        Map<String, Object> state = new TreeMap<>();
        state.put("scale", scale);
        state.put("clean_steps", cleanSteps);
        state.put("skipped_steps", skippedSteps);
        return state;
    }

    @SuppressWarnings("unchecked")
    static LossScaler restore(Map<String, Object> state) {
        return new LossScaler(((Number) state.get("scale")).doubleValue(), ((Number) state.get("clean_steps")).intValue(),
                ((List<Number>) state.get("skipped_steps")).stream().map(Number::intValue).toList());
    }
}
