package dev.lyrics.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/**
 * The block-wise loss and its surrogate gradient against autograd through the whole logits
 * (log-softmax, gather), the computation it replaces.
 */
class LmHeadLossTest {
    private static final double SCALE = 0.37;

    /** Gradients of every parameter of a model, after backward of the given loss. */
    private interface Objective {
        NDArray apply(LlamaModel model, NDArray ids, NDArray targets, NDArray weights);
    }

    private static final Objective THROUGH_LOGITS = (model, ids, targets, weights) ->
            scaledLoss(LlamaModel.targetLogProbs(model.forward(ids), targets), weights);

    private static final Objective BLOCK_WISE = (model, ids, targets, weights) ->
            model.tokenLoss(model.hiddenStates(ids, null, null), targets, weights, SCALE).objective();

    /** -SCALE * sum(weights * logProbs), a float32 scalar. */
    private static NDArray scaledLoss(NDArray logProbs, NDArray weights) {
        NDArray sum = logProbs.mul(weights).sum();
        return sum.mul(Torch.scalar(sum, -SCALE));
    }

    private static Map<String, float[]> gradients(boolean tied, Objective objective, float[] lossOut) {
        LlamaConfig config = LlamaConfig.of(96, 32, 64, 2, 4, 2, 64, tied);
        try (LlamaModel model = LlamaModel.initialize(config, 11, Device.cpu(), DataType.FLOAT32)) {
            model.parameters().values().forEach(p -> p.setRequiresGradient(true));
            SplittableRandom random = new SplittableRandom(5);
            long[] ids = random.longs(3 * 20, 0, 96).toArray();
            long[] targets = random.longs(3 * 20, 0, 96).toArray();
            float[] weights = new float[3 * 20];
            for (int i = 0; i < weights.length; i++) {
                weights[i] = i % 7 == 0 ? 0f : 1f;
            }
            try (NDManager step = model.manager().newSubManager()) {
                NDArray loss;
                try (GradientCollector collector = Torch.engine().newGradientCollector()) {
                    loss = objective.apply(model, step.create(ids, new Shape(3, 20)), step.create(targets, new Shape(3, 20)),
                            step.create(weights, new Shape(3, 20)));
                    collector.backward(loss);
                }
                lossOut[0] = loss.getFloat();
                Map<String, float[]> out = new TreeMap<>();
                model.parameters().forEach((name, p) -> out.put(name, p.getGradient().toFloatArray()));
                return out;
            }
        }
    }

    @Test
    void everyParameterGetsTheGradientAutogradGivesThroughTheLogits() {
        for (boolean tied : new boolean[] {false, true}) {
            float[] expectedLoss = new float[1];
            float[] loss = new float[1];
            Map<String, float[]> expected = gradients(tied, THROUGH_LOGITS, expectedLoss);
            Map<String, float[]> actual = gradients(tied, BLOCK_WISE, loss);
            assertEquals(expectedLoss[0], loss[0], 1e-5 * Math.abs(expectedLoss[0]), "the objective's value is scale x loss");
            assertEquals(expected.keySet(), actual.keySet());
            expected.forEach((name, grad) -> assertClose(grad, actual.get(name), (tied ? "tied " : "") + name));
        }
    }

    @Test
    void blocksSplitTheRowsAndGiveTheSameLossAndGradients() {
        // 1200 rows x 4096 logits is more than one block: blocks of 1024 rows and of 176
        int rows = 1200;
        int vocab = 4096;
        int dim = 8;
        assertEquals(1024, LmHeadLoss.blockRows(rows, vocab));
        SplittableRandom random = new SplittableRandom(9);
        float[] h = new float[rows * dim];
        float[] w = new float[vocab * dim];
        for (int i = 0; i < h.length; i++) {
            h[i] = (float) random.nextGaussian();
        }
        for (int i = 0; i < w.length; i++) {
            w[i] = (float) random.nextGaussian();
        }
        long[] targets = random.longs(rows, 0, vocab).toArray();
        float[] weights = new float[rows];
        for (int i = 0; i < rows; i++) {
            weights[i] = (float) random.nextDouble();
        }
        float[][] expected = new float[3][];
        float[][] actual = new float[3][];
        for (boolean blockWise : new boolean[] {false, true}) {
            float[][] out = blockWise ? actual : expected;
            try (NDManager manager = Torch.manager(Device.cpu())) {
                NDArray hidden = manager.create(h, new Shape(rows, dim));
                NDArray weight = manager.create(w, new Shape(vocab, dim));
                NDArray t = manager.create(targets);
                NDArray c = manager.create(weights);
                hidden.setRequiresGradient(true);
                weight.setRequiresGradient(true);
                NDArray logProbs;
                try (GradientCollector collector = Torch.engine().newGradientCollector()) {
                    NDArray objective;
                    if (blockWise) {
                        LmHeadLoss.Result result = LmHeadLoss.loss(hidden, weight, t, c, SCALE);
                        objective = result.objective();
                        out[0] = new float[] {(float) result.loss()};
                    } else {
                        NDArray logits = hidden.getNDArrayInternal().linear(hidden, weight, null).singletonOrThrow();
                        objective = scaledLoss(LlamaModel.targetLogProbs(logits, t), c);
                        out[0] = new float[] {objective.getFloat() / (float) SCALE};
                    }
                    collector.backward(objective);
                }
                out[1] = hidden.getGradient().toFloatArray();
                out[2] = weight.getGradient().toFloatArray();
                logProbs = LmHeadLoss.targetLogProbs(hidden, weight, t);
                if (blockWise) {
                    NDArray logits = hidden.stopGradient().getNDArrayInternal().linear(hidden.stopGradient(),
                            weight.stopGradient(), null).singletonOrThrow();
                    assertClose(LlamaModel.targetLogProbs(logits, t).toFloatArray(), logProbs.toFloatArray(),
                            "log p(target) by blocks");
                }
            }
        }
        assertEquals(expected[0][0], actual[0][0], 1e-5 * Math.abs(expected[0][0]), "loss");
        assertClose(expected[1], actual[1], "hidden gradient");
        assertClose(expected[2], actual[2], "lm_head gradient");
    }

    @Test
    void logProbsOfHiddenStatesAreThoseOfTheLogits() {
        try (LlamaModel model = LlamaModel.initialize(LlamaConfig.of(96, 32, 64, 2, 4, 2, 64, false), 11, Device.cpu(),
                DataType.FLOAT32); NDManager step = model.manager().newSubManager()) {
            long[] ids = new SplittableRandom(3).longs(2 * 16, 0, 96).toArray();
            NDArray input = step.create(ids, new Shape(2, 16));
            float[] expected = LlamaModel.targetLogProbs(model.forward(input), input).toFloatArray();
            NDArray actual = model.logProbsOf(model.hiddenStates(input, null, null), input);
            assertEquals(new Shape(2, 16), actual.getShape());
            assertClose(expected, actual.toFloatArray(), "log p(target)");
        }
    }

    /** Equal to 1e-5 of the largest magnitude, and not all zero. */
    private static void assertClose(float[] expected, float[] actual, String what) {
        assertEquals(expected.length, actual.length, what);
        double scale = 0;
        for (float e : expected) {
            scale = Math.max(scale, Math.abs(e));
        }
        assertTrue(scale > 0, what + " is all zeros");
        for (int i = 0; i < expected.length; i++) {
            assertEquals(expected[i], actual[i], 1e-5 * scale, what + " [" + i + "]");
        }
    }
}
