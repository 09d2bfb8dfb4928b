package dev.lyrics.lora;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.training.GradientCollector;
import com.fasterxml.jackson.databind.JsonNode;
import dev.lyrics.core.InputException;
import dev.lyrics.core.Json;
import dev.lyrics.model.HfCheckpoint;
import dev.lyrics.model.LlamaConfig;
import dev.lyrics.model.LlamaModel;
import dev.lyrics.model.SafetensorsFile;
import dev.lyrics.model.Torch;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class LoraModelTest {
    static final List<String> ALL = LoraConfigTest.ALL;
    /** vocab 32, hidden 8, ffn 12, 2 layers, 4 heads of 2 dims, 2 key/value heads: k/v are 8 -> 4. */
    static final LlamaConfig TINY = LlamaConfig.of(32, 8, 12, 2, 4, 2, 64, false);

    /** Mistral-7B-v0.3's config.json: the study's base, without loading a weight. */
    static final LlamaConfig MISTRAL_7B = new LlamaConfig(32768, 4096, 14336, 32, 32, 8, 128, 1e-5, 1_000_000.0,
            32768, false, 0, 1, 2, 0.02);

    @Test
    void trainableParametersOfTheStudyFromShapesAlone() {
        LoraConfig study = new LoraConfig(32, 64, 0, ALL, false);
        assertEquals(7_248_023_552L, MISTRAL_7B.parameterCount());
        long trainable = study.trainableParameters(MISTRAL_7B.tensorShapes());
        assertEquals(83_886_080L, trainable);
        assertEquals(1.157, 100.0 * trainable / MISTRAL_7B.parameterCount(), 5e-4);
        assertEquals(7 * 32, study.adaptedWeights(MISTRAL_7B.tensorShapes()).size());
        assertArrayEquals(new long[] {1024, 4096},
                study.adaptedWeights(MISTRAL_7B.tensorShapes()).get("model.layers.31.self_attn.k_proj.weight"));
    }

    @Test
    void atInitTheAdaptedModelComputesWhatTheBaseComputes() {
        try (LlamaModel base = LlamaModel.initialize(TINY, 1, Device.cpu(), DataType.FLOAT32);
             NDManager scope = base.manager().newSubManager()) {
            NDArray ids = scope.create(new long[] {1, 5, 9, 30, 2, 7}, new Shape(2, 3));
            float[] expected = base.forward(ids).toFloatArray();
            try (LoraModel lora = LoraModel.create(base, new LoraConfig(4, 8, 0.5, ALL, false), 3407)) {
                lora.setTraining(false);
                assertArrayEquals(expected, base.forward(ids).toFloatArray(), 0f);
                assertEquals(2 * (4 * (8 + 8) + 2 * 4 * (8 + 4) + 4 * (8 + 8) + 2 * 4 * (8 + 12) + 4 * (12 + 8)),
                        lora.trainableParameterCount());
                assertEquals(lora.config().trainableParameters(TINY.tensorShapes()), lora.trainableParameterCount());
            }
            assertArrayEquals(expected, base.forward(ids).toFloatArray(), 0f, "closing restores the base projections");
        }
    }

    /**
     * DJL's x.mul(Number) keeps the scalar in a Java buffer it releases at once, while autograd saves
     * it for backward; the model and the adapters must use scalars in libtorch's memory
     * (Torch.scalar), or a garbage collection between forward and backward corrupts the gradients.
     */
    @Test
    void gradientsSurviveAGarbageCollectionBetweenForwardAndBackward() throws Exception {
        try (LlamaModel base = LlamaModel.initialize(TINY, 1, Device.cpu(), DataType.FLOAT32);
             LoraModel lora = LoraModel.create(base, new LoraConfig(4, 8, 0, ALL, false), 3407)) {
            lora.parameters().values().forEach(p -> p.addi(0.01f));
            float[] quiet = gradientOfB(base, lora, false);
            float[] collected = gradientOfB(base, lora, true);
            assertArrayEquals(quiet, collected, 0f);
        }
    }

    private static float[] gradientOfB(LlamaModel base, LoraModel lora, boolean collectGarbage) throws Exception {
        NDArray b = lora.parameters().get("base_model.model.model.layers.0.self_attn.q_proj.lora_B.weight");
        try (NDManager scope = base.manager().newSubManager();
             GradientCollector collector = Engine.getEngine(Torch.ENGINE).newGradientCollector()) {
            NDArray ids = scope.create(new long[] {1, 5, 9, 30, 2, 7}, new Shape(2, 3));
            NDArray nll = LlamaModel.targetLogProbs(base.forward(ids), ids).sum().neg();
            NDArray loss = nll.div(Torch.scalar(nll, 6));
            if (collectGarbage) {
                System.gc();
                Thread.sleep(100);
                // reuse the freed native memory
                for (int i = 0; i < 64; i++) {
                    ByteBuffer junk = ByteBuffer.allocateDirect(64);
                    while (junk.hasRemaining()) {
                        junk.put((byte) 0x7F);
                    }
                }
            }
            collector.backward(loss);
            try (NDArray grad = b.getGradient()) {
                float[] values = grad.toFloatArray();
                lora.parameters().values().forEach(p -> JniUtils.zeroGrad((PtNDArray) p));
                return values;
            }
        }
    }

    /**
     * peft's reset_lora_parameters: nn.init.kaiming_uniform_(A, a=sqrt(5)), whose bound is
     * gain * sqrt(3 / fan_in) with gain = sqrt(2 / (1 + a^2)) = sqrt(1/3), so 1 / sqrt(fan_in) for A of
     * shape (r, fan_in); the values fill that interval uniformly (mean 0, variance bound^2 / 3, every
     * eighth of the interval about as full as the others); B zeros. Hidden 64, ffn 96, r 16: 1024 or 1536
     * values per A.
     */
    @Test
    void aIsKaimingUniformWithASqrt5AndBIsZero() {
        LlamaConfig wide = LlamaConfig.of(32, 64, 96, 1, 4, 2, 64, false);
        double a = Math.sqrt(5);
        double gain = Math.sqrt(2 / (1 + a * a));
        try (LlamaModel base = LlamaModel.initialize(wide, 1, Device.cpu(), DataType.FLOAT32);
             LoraModel lora = LoraModel.create(base, new LoraConfig(16, 32, 0, ALL, false), 3407)) {
            SortedMap<String, NDArray> parameters = lora.parameters();
            assertEquals(2 * ALL.size(), parameters.size());
            SortedMap<String, long[]> shapes = wide.tensorShapes();
            List<float[]> seen = new ArrayList<>();
            for (String weight : lora.config().adaptedWeights(shapes).keySet()) {
                long out = shapes.get(weight)[0];
                long fanIn = shapes.get(weight)[1];
                NDArray matrixA = parameters.get(PeftAdapter.keyA(weight));
                NDArray matrixB = parameters.get(PeftAdapter.keyB(weight));
                assertEquals(new Shape(16, fanIn), matrixA.getShape(), weight);
                assertEquals(new Shape(out, 16), matrixB.getShape(), weight);
                assertArrayEquals(new float[Math.toIntExact(out * 16)], matrixB.toFloatArray(), weight + ": B starts at zero");

                float[] values = matrixA.toFloatArray();
                double bound = gain * Math.sqrt(3.0 / fanIn);
                double sum = 0;
                double sumOfSquares = 0;
                double min = Double.POSITIVE_INFINITY;
                double max = Double.NEGATIVE_INFINITY;
                int[] eighths = new int[8];
                for (float v : values) {
                    assertTrue(Math.abs(v) <= bound, weight + ": " + v + " beyond the kaiming bound " + bound);
                    sum += v;
                    sumOfSquares += (double) v * v;
                    min = Math.min(min, v);
                    max = Math.max(max, v);
                    eighths[Math.min(7, (int) ((v + bound) / (2 * bound) * 8))]++;
                }
                int n = values.length;
                double variance = bound * bound / 3;
                assertEquals(0, sum / n, 5 * Math.sqrt(variance / n), weight + ": mean");
                assertEquals(variance, sumOfSquares / n, 0.1 * variance, weight + ": variance");
                assertTrue(max > 0.98 * bound && min < -0.98 * bound, weight + ": spans the interval, " + min + " to " + max);
                for (int bin : eighths) {
                    // binomial(n, 1/8): 5 standard deviations
                    assertEquals(n / 8.0, bin, 5 * Math.sqrt(n / 8.0 * 7 / 8), weight + ": eighths " + Arrays.toString(eighths));
                }
                float[] sorted = values.clone();
                Arrays.sort(sorted);
                int repeats = 0;
                for (int i = 1; i < n; i++) {
                    repeats += sorted[i] == sorted[i - 1] ? 1 : 0;
                }
                assertTrue(repeats < 8, weight + ": " + repeats + " repeated values");
                for (float[] other : seen) {
                    assertFalse(Arrays.equals(Arrays.copyOf(other, 64), Arrays.copyOf(values, 64)),
                            weight + " repeats another adapter's A");
                }
                seen.add(values);
            }
        }
    }

    @Test
    void theSeedDecidesA() {
        String key = PeftAdapter.keyA("model.layers.0.self_attn.q_proj.weight");
        float[] first = initialA(3407, key);
        assertArrayEquals(first, initialA(3407, key), 0f, "the same seed gives the same A");
        assertFalse(Arrays.equals(first, initialA(3408, key)), "another seed gives another A");
    }

    private static float[] initialA(long seed, String key) {
        try (LlamaModel base = LlamaModel.initialize(TINY, 1, Device.cpu(), DataType.FLOAT32);
             LoraModel lora = LoraModel.create(base, new LoraConfig(4, 8, 0, ALL, false), seed)) {
            return lora.parameters().get(key).toFloatArray();
        }
    }

    /**
     * y = x W^T + scale B A x, and merged W' = W + scale B A, against plain Java arithmetic; scale is
     * alpha / r (6 / 2 = 3), or alpha / sqrt(r) (4.24) with rsLoRA.
     */
    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void adaptedProjectionAndMergedWeightMatchAHandComputation(boolean rsLora) {
        LoraConfig config = new LoraConfig(2, 6, 0, List.of("q_proj"), rsLora);
        String weight = "model.layers.1.self_attn.q_proj.weight";
        try (LlamaModel base = LlamaModel.initialize(TINY, 7, Device.cpu(), DataType.FLOAT32);
             LoraModel lora = LoraModel.create(base, config, 11);
             NDManager scope = base.manager().newSubManager()) {
            NDArray b = lora.parameters().get(PeftAdapter.keyB(weight));
            float[] bValues = new float[16];
            for (int i = 0; i < bValues.length; i++) {
                bValues[i] = (i % 5 - 2) * 0.25f;
            }
            b.set(bValues);
            float[] w = base.parameters().get(weight).toFloatArray();
            float[] a = lora.parameters().get(PeftAdapter.keyA(weight)).toFloatArray();
            float[] x = {0.5f, -1f, 2f, 0.25f, 0f, 1f, -0.5f, 3f};
            double scale = rsLora ? 6 / Math.sqrt(2) : 6.0 / 2;

            float[] merged = new float[64];
            float[] expectedY = new float[8];
            for (int o = 0; o < 8; o++) {
                for (int i = 0; i < 8; i++) {
                    double ba = 0;
                    for (int k = 0; k < 2; k++) {
                        ba += bValues[o * 2 + k] * a[k * 8 + i];
                    }
                    merged[o * 8 + i] = (float) (w[o * 8 + i] + scale * ba);
                    expectedY[o] += merged[o * 8 + i] * x[i];
                }
            }
            assertArrayEquals(merged, lora.mergedWeight(weight, scope).toFloatArray(), 1e-6f);
            NDArray y = base.projection("model.layers.1.self_attn.q_proj").forward(scope.create(x, new Shape(1, 8)));
            assertArrayEquals(expectedY, y.toFloatArray(), 1e-5f);
        }
    }

    /** peft's merge_and_unload: a checkpoint of W + scale B A computes what base plus adapter computes. */
    @Test
    void aCheckpointOfMergedWeightsMatchesTheAdaptedModel(@TempDir Path dir) throws Exception {
        try (LlamaModel base = LlamaModel.initialize(TINY, 1, Device.cpu(), DataType.FLOAT32);
             LoraModel lora = LoraModel.create(base, new LoraConfig(4, 8, 0, ALL, true), 5);
             NDManager scope = base.manager().newSubManager()) {
            for (Map.Entry<String, NDArray> entry : lora.parameters().entrySet()) {
                if (entry.getKey().contains("lora_B")) {
                    entry.getValue().addi(0.05f);
                }
            }
            NDArray ids = scope.create(new long[] {1, 5, 9, 30, 2, 7}, new Shape(2, 3));
            float[] adapted = base.forward(ids).toFloatArray();
            SortedMap<String, NDArray> merged = new TreeMap<>(base.parameters());
            lora.config().adaptedWeights(TINY.tensorShapes()).keySet()
                    .forEach(weight -> merged.put(weight, lora.mergedWeight(weight, scope)));
            HfCheckpoint.save(dir, TINY, merged, SafetensorsFile.DType.F32);
            float[] plain;
            lora.close();
            assertTrue(Math.abs(adapted[0] - base.forward(ids).toFloatArray()[0]) > 1e-4, "the adapter changes the output");
            try (LlamaModel reloaded = LlamaModel.load(dir, Device.cpu(), DataType.FLOAT32);
                 NDManager other = reloaded.manager().newSubManager()) {
                plain = reloaded.forward(other.create(new long[] {1, 5, 9, 30, 2, 7}, new Shape(2, 3))).toFloatArray();
            }
            assertArrayEquals(adapted, plain, 1e-5f);
        }
    }

    @Test
    void savesPeftsLayoutAndLoadsItBack(@TempDir Path dir) throws Exception {
        LoraConfig config = new LoraConfig(4, 8, 0.05, List.of("v_proj", "q_proj"), true);
        float[] trained;
        try (LlamaModel base = LlamaModel.initialize(TINY, 1, Device.cpu(), DataType.FLOAT32);
             LoraModel lora = LoraModel.create(base, config, 5)) {
            NDArray b = lora.parameters().get("base_model.model.model.layers.1.self_attn.v_proj.lora_B.weight");
            b.set(new float[16]);
            b.addi(0.5f);
            lora.save(dir, "data/models/kjv-base");
            trained = b.toFloatArray();
        }
        JsonNode json = Json.MAPPER.readTree(dir.resolve("adapter_config.json").toFile());
        assertEquals("LORA", json.get("peft_type").asText());
        assertEquals("CAUSAL_LM", json.get("task_type").asText());
        assertEquals(4, json.get("r").asInt());
        assertEquals(8, json.get("lora_alpha").asInt());
        assertTrue(json.get("use_rslora").asBoolean());
        assertEquals("[\"q_proj\",\"v_proj\"]", json.get("target_modules").toString());
        try (SafetensorsFile file = SafetensorsFile.open(dir.resolve("adapter_model.safetensors"))) {
            assertEquals(List.of(
                    "base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight",
                    "base_model.model.model.layers.0.self_attn.q_proj.lora_B.weight",
                    "base_model.model.model.layers.0.self_attn.v_proj.lora_A.weight",
                    "base_model.model.model.layers.0.self_attn.v_proj.lora_B.weight",
                    "base_model.model.model.layers.1.self_attn.q_proj.lora_A.weight",
                    "base_model.model.model.layers.1.self_attn.q_proj.lora_B.weight",
                    "base_model.model.model.layers.1.self_attn.v_proj.lora_A.weight",
                    "base_model.model.model.layers.1.self_attn.v_proj.lora_B.weight"), List.copyOf(file.tensors().keySet()));
            assertEquals("pt", file.metadata().get("format"));
            assertArrayEquals(new long[] {4, 4}, file.tensors()
                    .get("base_model.model.model.layers.1.self_attn.v_proj.lora_B.weight").shape());
        }
        try (LlamaModel base = LlamaModel.initialize(TINY, 1, Device.cpu(), DataType.FLOAT32);
             LoraModel lora = LoraModel.load(base, dir)) {
            assertEquals(config, lora.config());
            SortedMap<String, NDArray> parameters = lora.parameters();
            assertArrayEquals(trained, parameters.get("base_model.model.model.layers.1.self_attn.v_proj.lora_B.weight")
                    .toFloatArray());
        }
    }

    @Test
    void anAdapterForAnotherBaseIsRejectedWithItsFileNamed(@TempDir Path dir) throws Exception {
        try (LlamaModel base = LlamaModel.initialize(TINY, 1, Device.cpu(), DataType.FLOAT32);
             LoraModel lora = LoraModel.create(base, new LoraConfig(4, 8, 0, ALL, false), 5)) {
            lora.save(dir, "tiny");
        }
        LlamaConfig wider = LlamaConfig.of(32, 16, 12, 2, 4, 2, 64, false);
        try (LlamaModel other = LlamaModel.initialize(wider, 1, Device.cpu(), DataType.FLOAT32)) {
            InputException e = assertThrows(InputException.class, () -> LoraModel.load(other, dir));
            assertTrue(e.getMessage().contains("adapter_model.safetensors"), e.getMessage());
        }
        Files.delete(dir.resolve("adapter_config.json"));
        try (LlamaModel base = LlamaModel.initialize(TINY, 1, Device.cpu(), DataType.FLOAT32)) {
            assertThrows(InputException.class, () -> LoraModel.load(base, dir));
        }
    }
}
