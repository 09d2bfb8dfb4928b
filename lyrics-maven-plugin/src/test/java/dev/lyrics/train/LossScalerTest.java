package dev.lyrics.train;

import static dev.lyrics.train.LoraTrainerTest.ALL;
import static dev.lyrics.train.LoraTrainerTest.PAD;
import static dev.lyrics.train.LoraTrainerTest.TINY;
import static dev.lyrics.train.LoraTrainerTest.examples;
import static dev.lyrics.train.LoraTrainerTest.values;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.training.GradientCollector;
import dev.lyrics.core.Log;
import dev.lyrics.lora.LoraConfig;
import dev.lyrics.lora.LoraModel;
import dev.lyrics.model.LlamaModel;
import dev.lyrics.model.Torch;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LossScalerTest {
    @TempDir
    Path dir;

    static LoraTrainer.Settings settings(int epochs, boolean checkpointing) {
        return new LoraTrainer.Settings(new LoraConfig(4, 8, 0, ALL, false), 1e-2, 0.01, 1, epochs, 2, 2, 3407, 64, 1.0,
                false, 0, 0.9, 0.999, 1e-8, checkpointing).validate("lyrics.finetune.");
    }

    /** GradScaler's rule: halve and skip on inf/NaN (gradients zeroed, NaN too), double after 2000 clean steps. */
    @Test
    void halvesOnOverflowAndDoublesAfter2000CleanSteps() {
        try (NDManager manager = NDManager.newBaseManager(Device.cpu(), Torch.ENGINE)) {
            NDArray weight = manager.ones(new ai.djl.ndarray.types.Shape(2));
            weight.setRequiresGradient(true);
            LossScaler scaler = new LossScaler();
            assertEquals(65536, scaler.scale());
            for (int step = 1; step < LossScaler.GROWTH_INTERVAL; step++) {
                assertTrue(scaler.update(step, 1.0, List.of(weight)));
            }
            assertEquals(65536, scaler.scale(), "1999 clean steps");
            assertTrue(scaler.update(2000, 1.0, List.of(weight)));
            assertEquals(131072, scaler.scale(), "doubled after 2000");

            try (GradientCollector collector = Torch.engine().newGradientCollector()) {
                collector.backward(weight.mul(Torch.scalar(weight, Float.NaN)).sum());
            }
            assertTrue(Float.isNaN(weight.getGradient().toFloatArray()[0]));
            assertFalse(scaler.update(2001, Double.NaN, List.of(weight)));
            assertEquals(65536, scaler.scale(), "halved");
            assertArrayEquals(new float[] {0, 0}, weight.getGradient().toFloatArray(), "NaN gradients zeroed");
            assertFalse(scaler.update(2002, Double.POSITIVE_INFINITY, List.of(weight)));
            assertEquals(32768, scaler.scale());
            assertEquals(List.of(2001, 2002), scaler.skippedSteps());
            // the count of clean steps starts over after a skip, and survives a checkpoint
            LossScaler restored = LossScaler.restore(scaler.state());
            assertEquals(scaler.state(), restored.state());
            for (int step = 2003; step < 2003 + 1999; step++) {
                restored.update(step, 1.0, List.of(weight));
            }
            assertEquals(32768, restored.scale());
        }
    }

    /** A float16 base trains its float32 adapters with the scaled loss to the float32 run's losses. */
    @Test
    void aFloat16BaseTrainsLikeAFloat32One() throws Exception {
        List<TrainingExample> examples = examples(8, 5);
        LoraTrainer.Result full;
        LoraTrainer.Result half;
        try (LlamaModel base = LlamaModel.initialize(TINY, 1, Device.cpu(), DataType.FLOAT32);
             LoraModel lora = LoraModel.create(base, settings(2, false).lora(), 3407)) {
            full = new LoraTrainer(lora, settings(2, false), dir.resolve("f32"), Log.SILENT).train(examples, PAD);
            assertEquals(null, full.lossScaler(), "no scaling in float32");
        }
        try (LlamaModel base = LlamaModel.initialize(TINY, 1, Device.cpu(), DataType.FLOAT16);
             LoraModel lora = LoraModel.create(base, settings(2, true).lora(), 3407)) {
            half = new LoraTrainer(lora, settings(2, true), dir.resolve("f16"), Log.SILENT).train(examples, PAD);
            for (NDArray p : lora.parameters().values()) {
                assertEquals(DataType.FLOAT32, p.getDataType(), "adapters stay float32");
                assertEquals(DataType.FLOAT32, p.getGradient().getDataType(), "and so do their gradients");
            }
        }
        assertEquals(65536.0, half.lossScaler().get("scale"));
        assertEquals(List.of(), half.lossScaler().get("skipped_steps"));
        assertEquals(full.lossLog().size(), half.lossLog().size());
        for (int i = 0; i < full.lossLog().size(); i++) {
            double expected = full.lossLog().get(i).loss();
            assertEquals(expected, half.lossLog().get(i).loss(), 0.01 * expected, "loss of step " + (i + 1));
        }
    }

    /** An overflowing float16 forward pass skips the step and halves the scale instead of failing the run. */
    @Test
    void anOverflowSkipsTheStepAndLeavesTheAdaptersAlone() throws Exception {
        List<Integer> skipped;
        try (LlamaModel base = LlamaModel.initialize(TINY, 1, Device.cpu(), DataType.FLOAT16);
             LoraModel lora = LoraModel.create(base, settings(1, false).lora(), 3407)) {
            // B A x far beyond float16's 65504 in every adapted projection
            for (Map.Entry<String, NDArray> entry : lora.parameters().entrySet()) {
                if (entry.getKey().contains("lora_B")) {
                    entry.getValue().addi(1e6f);
                }
            }
            SortedMap<String, float[]> before = values(lora.parameters());
            LoraTrainer.Result result = new LoraTrainer(lora, settings(1, false), dir, Log.SILENT).train(examples(8, 5), PAD);
            skipped = (List<Integer>) result.lossScaler().get("skipped_steps");
            assertEquals(List.of(1, 2), skipped);
            assertEquals(16384.0, result.lossScaler().get("scale"));
            before.forEach((name, expected) -> assertArrayEquals(expected, lora.parameters().get(name).toFloatArray(), 0f,
                    name + " untouched by skipped steps"));
        }
    }
}
