package dev.lyrics.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * AdamW with torch.optim.AdamW's arithmetic, on libtorch's fused Adam kernel (one native call per
 * parameter, which also zeroes the gradient). The kernel adds epsilon to sqrt(v) before the bias
 * correction, DJL's AdamW passes it unchanged; here it is scaled by sqrt(1 - beta2^t) so that
 * lr * m_hat / (sqrt(v_hat) + eps) comes out exactly as PyTorch computes it. Decoupled weight
 * decay (w -= lr * wd * w) applies to the parameters {@link Decay} names. The moments are kept by
 * parameter name so a checkpoint can save and restore them.
 */
public final class AdamW implements AutoCloseable {
    /** Which parameters the weight decay shrinks. */
    public enum Decay {
        /** Matrices only (2 or more dimensions), not norm weights or biases, as nanoGPT and HF's Trainer group them. */
        MATRICES,
        /** Every parameter, as torch.optim.AdamW(model.parameters()) (and DJL's optimiser) do. */
        ALL
    }

    private final double beta1;
    private final double beta2;
    private final double epsilon;
    private final double weightDecay;
    private final Decay decay;
    private final NDManager manager;
    private final SortedMap<String, NDArray> firstMoments = new TreeMap<>();
    private final SortedMap<String, NDArray> secondMoments = new TreeMap<>();
    private int steps;

    /** Weight decay on matrices only; the moments live in a sub-manager of {@code parent}, on its device. */
    public AdamW(NDManager parent, double beta1, double beta2, double epsilon, double weightDecay) {
        this(parent, beta1, beta2, epsilon, weightDecay, Decay.MATRICES);
    }

    /** The moments live in a sub-manager of {@code parent}, on its device. */
    public AdamW(NDManager parent, double beta1, double beta2, double epsilon, double weightDecay, Decay decay) {
        this.beta1 = beta1;
        this.beta2 = beta2;
        this.epsilon = epsilon;
        this.weightDecay = weightDecay;
        this.decay = decay;
        this.manager = parent.newSubManager();
    }

    /** Updates every parameter from its gradient at learning rate {@code lr}, then zeroes the gradients. */
    public void step(Map<String, NDArray> parameters, double lr) {
        steps++;
        double correction1 = 1 - Math.pow(beta1, steps);
        double correction2 = 1 - Math.pow(beta2, steps);
        float lrCorrected = (float) (lr * Math.sqrt(correction2) / correction1);
        float eps = (float) (epsilon * Math.sqrt(correction2));
        for (Map.Entry<String, NDArray> entry : parameters.entrySet()) {
            NDArray weight = entry.getValue();
            NDArray mean = firstMoments.computeIfAbsent(entry.getKey(), k -> moment(weight));
            NDArray variance = secondMoments.computeIfAbsent(entry.getKey(), k -> moment(weight));
            boolean decays = decay == Decay.ALL || weight.getShape().dimension() >= 2;
            float decayRate = decays ? (float) weightDecay : 0f;
            try (NDArray grad = weight.getGradient()) {
                weight.getNDArrayInternal().adamUpdate(new NDList(weight, grad, mean, variance), new NDList(weight),
                        (float) lr, lrCorrected, decayRate, 1f, -1f, (float) beta1, (float) beta2, eps, false, true);
            }
        }
    }

    private NDArray moment(NDArray weight) {
        return manager.zeros(weight.getShape(), weight.getDataType());
    }

    /** Updates taken so far (t of the bias corrections). */
    public int steps() {
        return steps;
    }

    /** First and second moments by parameter name, for checkpoints: "m." + name and "v." + name. */
    public SortedMap<String, NDArray> state() {
        SortedMap<String, NDArray> state = new TreeMap<>();
        firstMoments.forEach((name, m) -> state.put("m." + name, m));
        secondMoments.forEach((name, v) -> state.put("v." + name, v));
        return state;
    }

    /** Restores moments saved by {@link #state()} (copied into this optimiser's memory) and the step count. */
    public void restore(Map<String, NDArray> state, int steps) {
        this.steps = steps;
        state.forEach((key, saved) -> {
            SortedMap<String, NDArray> target = key.startsWith("m.") ? firstMoments : secondMoments;
            NDArray copy = saved.duplicate();
            copy.attach(manager);
            NDArray previous = target.put(key.substring(2), copy);
            if (previous != null) {
                previous.close();
            }
        });
    }

    @Override
    public void close() {
        manager.close();
    }
}
