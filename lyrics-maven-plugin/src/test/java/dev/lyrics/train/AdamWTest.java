package dev.lyrics.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import dev.lyrics.model.Torch;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

class AdamWTest {
    /** Backpropagates sum(w * c) so that w's gradient is exactly c. */
    static void gradient(NDManager manager, NDArray w, float[] c) {
        try (NDManager scope = manager.newSubManager();
             GradientCollector collector = Engine.getEngine(Torch.ENGINE).newGradientCollector()) {
            collector.backward(w.mul(scope.create(c, w.getShape())).sum());
        }
    }

    @Test
    void matchesTorchAdamWArithmeticIncludingWhereEpsilonGoes() {
        Torch.engine();
        double lr = 0.1;
        double beta1 = 0.9;
        double beta2 = 0.999;
        double eps = 1e-3; // large, so that adding it before or after the bias correction differs
        double decay = 0.01;
        float[] start = {0.5f, -1f, 2f, 0.25f};
        float[][] grads = {{1e-3f, -2e-3f, 5e-4f, 0f}, {2e-3f, 1e-3f, -1e-3f, 3e-3f}, {-1e-3f, 0f, 2e-3f, 1e-3f}};
        try (NDManager manager = NDManager.newBaseManager(Device.cpu(), Torch.ENGINE);
             AdamW adamW = new AdamW(manager, beta1, beta2, eps, decay)) {
            NDArray w = manager.create(start, new Shape(2, 2));
            w.setRequiresGradient(true);
            double[] expected = new double[4];
            double[] m = new double[4];
            double[] v = new double[4];
            for (int i = 0; i < 4; i++) {
                expected[i] = start[i];
            }
            for (int step = 1; step <= grads.length; step++) {
                gradient(manager, w, grads[step - 1]);
                adamW.step(new TreeMap<>(Map.of("w", w)), lr);
                for (int i = 0; i < 4; i++) {
                    double g = grads[step - 1][i];
                    expected[i] *= 1 - lr * decay;
                    m[i] = beta1 * m[i] + (1 - beta1) * g;
                    v[i] = beta2 * v[i] + (1 - beta2) * g * g;
                    double mHat = m[i] / (1 - Math.pow(beta1, step));
                    double vHat = v[i] / (1 - Math.pow(beta2, step));
                    expected[i] -= lr * mHat / (Math.sqrt(vHat) + eps);
                }
                float[] actual = w.toFloatArray();
                for (int i = 0; i < 4; i++) {
                    assertEquals(expected[i], actual[i], 1e-6, "step " + step + " element " + i);
                }
                assertArrayEquals(new float[4], w.getGradient().toFloatArray(), "the update zeroes the gradient");
            }
            assertEquals(3, adamW.steps());
            assertEquals(List.of("m.w", "v.w"), List.copyOf(adamW.state().keySet()));
        }
    }

    @Test
    void vectorsAreNotDecayed() {
        Torch.engine();
        try (NDManager manager = NDManager.newBaseManager(Device.cpu(), Torch.ENGINE);
             AdamW adamW = new AdamW(manager, 0.9, 0.999, 1e-8, 0.5)) {
            NDArray norm = manager.create(new float[] {1f, 2f});
            norm.setRequiresGradient(true);
            gradient(manager, norm, new float[] {0f, 0f});
            adamW.step(new TreeMap<>(Map.of("norm", norm)), 0.1);
            assertArrayEquals(new float[] {1f, 2f}, norm.toFloatArray());
        }
    }

    @Test
    void decayAllShrinksVectorsToo() {
        Torch.engine();
        try (NDManager manager = NDManager.newBaseManager(Device.cpu(), Torch.ENGINE);
             AdamW adamW = new AdamW(manager, 0.9, 0.999, 1e-8, 0.5, AdamW.Decay.ALL)) {
            NDArray bias = manager.create(new float[] {1f, 2f});
            bias.setRequiresGradient(true);
            gradient(manager, bias, new float[] {0f, 0f});
            adamW.step(new TreeMap<>(Map.of("bias", bias)), 0.1);
            // decoupled: w * (1 - lr * wd), the zero gradient adds nothing
            assertArrayEquals(new float[] {0.95f, 1.9f}, bias.toFloatArray(), 1e-6f);
        }
    }

    @Test
    void clipsTheGlobalNormLikeTorch() {
        Torch.engine();
        try (NDManager manager = NDManager.newBaseManager(Device.cpu(), Torch.ENGINE)) {
            NDArray a = manager.create(new float[] {1f, 1f, 1f, 1f}, new Shape(2, 2));
            NDArray b = manager.create(new float[] {0f, 0f}, new Shape(2));
            a.setRequiresGradient(true);
            b.setRequiresGradient(true);
            gradient(manager, a, new float[] {3f, 0f, 0f, 0f});
            gradient(manager, b, new float[] {0f, 4f});
            assertEquals(5.0, GradientClipping.clipGlobalNorm(List.of(a, b), 10.0), 1e-6);
            assertArrayEquals(new float[] {3f, 0f, 0f, 0f}, a.getGradient().toFloatArray(), "under the limit: unchanged");
            assertEquals(5.0, GradientClipping.clipGlobalNorm(List.of(a, b), 1.0), 1e-6);
            assertArrayEquals(new float[] {0.6f, 0f, 0f, 0f}, a.getGradient().toFloatArray(), 1e-6f);
            assertArrayEquals(new float[] {0f, 0.8f}, b.getGradient().toFloatArray(), 1e-6f);
        }
    }
}
