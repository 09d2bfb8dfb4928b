package dev.lyrics.train;

import static dev.lyrics.train.LoraTrainerTest.ALL;
import static dev.lyrics.train.LoraTrainerTest.PAD;
import static dev.lyrics.train.LoraTrainerTest.examples;
import static dev.lyrics.train.LoraTrainerTest.gradients;
import static dev.lyrics.train.LoraTrainerTest.values;
import static dev.lyrics.train.LoraTrainerTest.zeroGradients;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import dev.lyrics.core.Log;
import dev.lyrics.lora.LoraConfig;
import dev.lyrics.lora.LoraModel;
import dev.lyrics.model.LlamaConfig;
import dev.lyrics.model.LlamaModel;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class GradientCheckpointingTest {
    /** Three layers, grouped-query heads: every kind of layer input, middle ones included. */
    static final LlamaConfig TINY = LlamaConfig.of(32, 16, 24, 3, 4, 2, 64, false);

    @TempDir
    Path dir;

    /** The LoRA gradients of a step with per-layer recomputation are those of the plain backward pass. */
    @Test
    void checkpointedGradientsEqualThePlainOnes() {
        MicroBatches.Step step = new MicroBatches(examples(8, 11), 2, 4, PAD, 3).step(0, 0);
        try (LlamaModel base = LlamaModel.initialize(TINY, 1, Device.cpu(), DataType.FLOAT32);
             LoraModel lora = LoraModel.create(base, new LoraConfig(4, 8, 0, ALL, false), 3407)) {
            // a nonzero B, so A gets gradients too
            for (Map.Entry<String, NDArray> entry : lora.parameters().entrySet()) {
                if (entry.getKey().contains("lora_B")) {
                    entry.getValue().addi(0.05f);
                }
            }
            double nllPlain = LoraTrainer.accumulate(base, step, false, 1, 0);
            SortedMap<String, float[]> plain = gradients(lora);
            zeroGradients(lora);
            double nllCheckpointed = LoraTrainer.accumulate(base, step, true, 1, 0);
            SortedMap<String, float[]> checkpointed = gradients(lora);

            assertEquals(nllPlain, nllCheckpointed, 1e-6 * nllPlain);
            assertEquals(2 * 7 * TINY.numHiddenLayers(), plain.size());
            int compared = 0;
            for (String name : plain.keySet()) {
                float[] expected = plain.get(name);
                float[] actual = checkpointed.get(name);
                double largest = 0;
                for (float g : expected) {
                    largest = Math.max(largest, Math.abs(g));
                }
                compared += largest > 1e-4 ? 1 : 0;
                // relative to the tensor's largest gradient (a few are near zero, as through a flat softmax)
                for (int i = 0; i < expected.length; i++) {
                    assertEquals(expected[i], actual[i], 1e-5 * largest + 1e-12, name + "[" + i + "]");
                }
            }
            assertTrue(compared > plain.size() / 2, compared + " of " + plain.size() + " tensors have gradients above 1e-4");
        }
    }

    /** A checkpointed run killed after a checkpoint resumes to the adapter of the uninterrupted checkpointed run. */
    @Test
    void aResumedCheckpointedRunEqualsAnUninterruptedOne() throws Exception {
        List<TrainingExample> examples = examples(10, 3);
        LoraTrainer.Settings settings = new LoraTrainer.Settings(new LoraConfig(4, 8, 0.1, ALL, false), 1e-2, 0.01, 2,
                2, 2, 2, 3407, 64, 1.0, false, 2, 0.9, 0.999, 1e-8, true).validate("lyrics.finetune.");
        SortedMap<String, float[]> uninterrupted;
        try (LlamaModel base = LlamaModel.initialize(TINY, 1, Device.cpu(), DataType.FLOAT32);
             LoraModel lora = LoraModel.create(base, settings.lora(), 3407)) {
            new LoraTrainer(lora, settings, dir.resolve("a"), Log.SILENT).train(examples, PAD);
            uninterrupted = values(lora.parameters());
        }
        try (LlamaModel base = LlamaModel.initialize(TINY, 1, Device.cpu(), DataType.FLOAT32);
             LoraModel lora = LoraModel.create(base, settings.lora(), 3407)) {
            assertThrows(IllegalStateException.class, () -> new LoraTrainer(lora, settings, dir.resolve("b"), Log.SILENT)
                    .train(examples, PAD, step -> {
                        if (step == 3) {
                            throw new IllegalStateException("killed");
                        }
                    }));
        }
        try (LlamaModel base = LlamaModel.initialize(TINY, 1, Device.cpu(), DataType.FLOAT32);
             LoraModel lora = LoraModel.create(base, settings.lora(), 3407)) {
            new LoraTrainer(lora, settings, dir.resolve("b"), Log.SILENT).train(examples, PAD);
            SortedMap<String, float[]> resumed = values(lora.parameters());
            uninterrupted.forEach((name, expected) -> assertArrayEquals(expected, resumed.get(name), 0f, name));
        }
    }
}
