package dev.lyrics.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * torch.optim.AdamW, step for step: decoupled weight decay w -= lr * wd * w, then the Adam update
 * with bias-corrected moments and epsilon added after the square root of the corrected second
 * moment (DJL's own AdamW adds it before the correction). Its moments can be exported and
 * restored, so a resumed run continues exactly where a checkpoint left off.
 */
public final class AdamW implements AutoCloseable {
    private static final String FIRST = "exp_avg.";
    private static final String SECOND = "exp_avg_sq.";

    private final double beta1;
    private final double beta2;
    private final double epsilon;
    private final double weightDecay;
    private final NDManager manager;
    private final SortedMap<String, NDArray> firstMoments = new TreeMap<>();
    private final SortedMap<String, NDArray> secondMoments = new TreeMap<>();
    private long steps;

    /** @param manager where the moments live (a sub-manager of the model's, closed with this optimiser) */
    public AdamW(double beta1, double beta2, double epsilon, double weightDecay, NDManager manager) {
        this.beta1 = beta1;
        this.beta2 = beta2;
        this.epsilon = epsilon;
        this.weightDecay = weightDecay;
        this.manager = manager;
    }

    /** Updates every parameter from its gradient; called with gradient recording off. */
    public void step(SortedMap<String, NDArray> parameters, double learningRate) {
        steps++;
        double correction1 = 1 - Math.pow(beta1, steps);
        double correction2 = 1 - Math.pow(beta2, steps);
        // every temporary is moved into this scope: results land in their first operand's manager
        try (NDManager scope = manager.newSubManager()) {
            for (Map.Entry<String, NDArray> entry : parameters.entrySet()) {
                NDArray weight = entry.getValue();
                NDArray grad = Gradients.of(weight, scope);
                NDArray m = firstMoments.computeIfAbsent(entry.getKey(),
                        k -> manager.zeros(weight.getShape(), weight.getDataType()));
                NDArray v = secondMoments.computeIfAbsent(entry.getKey(),
                        k -> manager.zeros(weight.getShape(), weight.getDataType()));
                weight.muli((float) (1 - learningRate * weightDecay));
                m.muli((float) beta1).addi(grad.mul((float) (1 - beta1)));
                v.muli((float) beta2).addi(grad.square().muli((float) (1 - beta2)));
                // w -= lr / c1 * m / (sqrt(v) / sqrt(c2) + eps)
                NDArray denominator = Gradients.into(scope, v.sqrt()).divi((float) Math.sqrt(correction2))
                        .addi((float) epsilon);
                weight.subi(Gradients.into(scope, m.div(denominator)).muli((float) (learningRate / correction1)));
            }
        }
    }

    /** Optimiser steps taken so far. */
    public long steps() {
        return steps;
    }

    /** The moments by "exp_avg.NAME" and "exp_avg_sq.NAME" (PyTorch's state names). */
    public SortedMap<String, NDArray> state() {
        SortedMap<String, NDArray> state = new TreeMap<>();
        firstMoments.forEach((name, m) -> state.put(FIRST + name, m));
        secondMoments.forEach((name, v) -> state.put(SECOND + name, v));
        return state;
    }

    /** Restores moments saved by {@link #state()} after {@code steps} steps; the arrays move into this optimiser. */
    public void restore(SortedMap<String, NDArray> state, long steps) {
        close();
        state.forEach((key, array) -> {
            array.attach(manager);
            if (key.startsWith(FIRST)) {
                firstMoments.put(key.substring(FIRST.length()), array);
            } else if (key.startsWith(SECOND)) {
                secondMoments.put(key.substring(SECOND.length()), array);
            } else {
                throw new IllegalArgumentException("not an AdamW state entry: " + key);
            }
        });
        this.steps = steps;
    }

    /** Frees the moments. */
    @Override
    public void close() {
        firstMoments.values().forEach(NDArray::close);
        secondMoments.values().forEach(NDArray::close);
        firstMoments.clear();
        secondMoments.clear();
    }
}
