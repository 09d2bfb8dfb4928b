package dev.lyrics.lora;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
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
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

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

    @Test
    void kaimingUniformAWithinOneOverRootInAndZeroB() {
        try (LlamaModel base = LlamaModel.initialize(TINY, 1, Device.cpu(), DataType.FLOAT32);
             LoraModel lora = LoraModel.create(base, new LoraConfig(4, 8, 0, List.of("down_proj"), false), 3407)) {
            NDArray a = lora.parameters().get("base_model.model.model.layers.0.mlp.down_proj.lora_A.weight");
            assertEquals(new Shape(4, 12), a.getShape());
            float bound = (float) (1 / Math.sqrt(12));
            for (float v : a.toFloatArray()) {
                assertTrue(Math.abs(v) <= bound, "A within the kaiming bound");
            }
            NDArray b = lora.parameters().get("base_model.model.model.layers.0.mlp.down_proj.lora_B.weight");
            assertEquals(new Shape(8, 4), b.getShape());
            assertArrayEquals(new float[32], b.toFloatArray());
        }
    }

    /** y = x W^T + scale B A x, and merged W' = W + scale B A, against plain Java arithmetic. */
    @Test
    void adaptedProjectionAndMergedWeightMatchAHandComputation() {
        LoraConfig config = new LoraConfig(2, 6, 0, List.of("q_proj"), false);
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
            double scale = 6.0 / 2;

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
