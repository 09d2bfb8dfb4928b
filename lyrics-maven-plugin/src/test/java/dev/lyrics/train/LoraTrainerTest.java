package dev.lyrics.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import dev.lyrics.core.Log;
import dev.lyrics.lora.LoraConfig;
import dev.lyrics.lora.LoraModel;
import dev.lyrics.model.LlamaConfig;
import dev.lyrics.model.LlamaModel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.SplittableRandom;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class LoraTrainerTest {
    static final LlamaConfig TINY = LlamaConfig.of(32, 16, 24, 2, 4, 2, 64, false);
    static final List<String> ALL = List.of("q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj");
    static final int PAD = 0;

    @TempDir
    Path dir;

    static List<TrainingExample> examples(int count, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        List<TrainingExample> examples = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            int length = 4 + random.nextInt(9);
            int[] ids = new int[length];
            boolean[] isTarget = new boolean[length];
            ids[0] = 1;
            for (int t = 1; t < length; t++) {
                ids[t] = 3 + random.nextInt(29);
                isTarget[t] = t > 2;
            }
            examples.add(new TrainingExample(ids, isTarget));
        }
        return examples;
    }

    static LoraTrainer.Settings settings(int batch, int accumulation, int epochs, int warmup, int checkpointSteps) {
        return settings(batch, accumulation, epochs, warmup, checkpointSteps, 0);
    }

    static LoraTrainer.Settings settings(int batch, int accumulation, int epochs, int warmup, int checkpointSteps,
                                         double dropout) {
        return new LoraTrainer.Settings(new LoraConfig(4, 8, dropout, ALL, false), 1e-2, 0.01, warmup, epochs, batch,
                accumulation, 3407, 64, 1.0, false, checkpointSteps, 0.9, 0.999, 1e-8, false).validate("lyrics.finetune.");
    }

    static SortedMap<String, float[]> values(SortedMap<String, NDArray> arrays) {
        SortedMap<String, float[]> copy = new TreeMap<>();
        arrays.forEach((name, array) -> copy.put(name, array.toFloatArray()));
        return copy;
    }

    @Test
    void aStepChangesTheAdaptersAndNeverTheBase() throws Exception {
        try (LlamaModel base = LlamaModel.initialize(TINY, 1, Device.cpu(), DataType.FLOAT32);
             LoraModel lora = LoraModel.create(base, new LoraConfig(4, 8, 0, ALL, false), 3407)) {
            SortedMap<String, float[]> baseBefore = values(base.parameters());
            SortedMap<String, float[]> adaptersBefore = values(lora.parameters());
            new LoraTrainer(lora, settings(2, 2, 1, 0, 0), dir, Log.SILENT).train(examples(4, 1), PAD);
            SortedMap<String, float[]> adaptersAfter = values(lora.parameters());
            for (String name : adaptersBefore.keySet()) {
                assertFalse(java.util.Arrays.equals(adaptersBefore.get(name), adaptersAfter.get(name)), name + " moved");
            }
            new LoraTrainer(lora, settings(2, 2, 2, 0, 0), dir.resolve("more"), Log.SILENT).train(examples(4, 1), PAD);
            baseBefore.forEach((name, before) -> assertArrayEquals(before, base.parameters().get(name).toFloatArray(), 0f,
                    name + " is frozen"));
        }
    }

    /** Eight micro-batches of 2, each loss divided by the tokens of all 16, give the gradients of one batch of 16. */
    @Test
    void accumulatingEightMicroBatchesEqualsOneBatchOfSixteen() {
        List<TrainingExample> examples = examples(16, 7);
        try (LlamaModel base = LlamaModel.initialize(TINY, 1, Device.cpu(), DataType.FLOAT32);
             LoraModel lora = LoraModel.create(base, new LoraConfig(4, 8, 0, ALL, false), 3407)) {
            // a nonzero B, so A gets gradients too
            for (Map.Entry<String, NDArray> entry : lora.parameters().entrySet()) {
                if (entry.getKey().contains("lora_B")) {
                    entry.getValue().addi(0.05f);
                }
            }
            MicroBatches.Step accumulated = new MicroBatches(examples, 2, 8, PAD, 3).step(0, 0);
            MicroBatches.Step whole = new MicroBatches(examples, 16, 1, PAD, 3).step(0, 0);
            assertEquals(8, accumulated.microBatches().size());
            assertEquals(whole.lossTokens(), accumulated.lossTokens());

            double nllAccumulated = LoraTrainer.accumulate(base, accumulated, false, 1, 0);
            SortedMap<String, float[]> gradsAccumulated = gradients(lora);
            zeroGradients(lora);
            double nllWhole = LoraTrainer.accumulate(base, whole, false, 1, 0);
            SortedMap<String, float[]> gradsWhole = gradients(lora);

            assertEquals(nllWhole, nllAccumulated, 1e-4);
            double largest = 0;
            for (String name : gradsWhole.keySet()) {
                assertArrayEquals(gradsWhole.get(name), gradsAccumulated.get(name), 1e-5f, name);
                for (float g : gradsWhole.get(name)) {
                    largest = Math.max(largest, Math.abs(g));
                }
            }
            assertTrue(largest > 1e-3, "the comparison is not between zeros");
        }
    }

    static SortedMap<String, float[]> gradients(LoraModel lora) {
        SortedMap<String, float[]> grads = new TreeMap<>();
        lora.parameters().forEach((name, p) -> {
            try (NDArray grad = p.getGradient()) {
                grads.put(name, grad.toFloatArray());
            }
        });
        return grads;
    }

    static void zeroGradients(LoraModel lora) {
        lora.parameters().values().forEach(p -> JniUtils.zeroGrad((PtNDArray) p));
    }

    /** The adapter after training on 10 examples for 2 epochs (6 steps) with the given LoRA dropout. */
    private static SortedMap<String, float[]> trainedWithDropout(double dropout, Path work) throws Exception {
        LoraTrainer.Settings settings = settings(2, 2, 2, 1, 0, dropout);
        try (LlamaModel base = LlamaModel.initialize(TINY, 1, Device.cpu(), DataType.FLOAT32);
             LoraModel lora = LoraModel.create(base, settings.lora(), 3407)) {
            new LoraTrainer(lora, settings, work, Log.SILENT).train(examples(10, 3), PAD);
            return values(lora.parameters());
        }
    }

    /** Dropout is applied while training (the adapter differs from one trained without) and is seeded. */
    @Test
    void trainingWithDropoutDiffersFromWithoutAndRepeatsForTheSameSeed() throws Exception {
        SortedMap<String, float[]> without = trainedWithDropout(0, dir.resolve("none"));
        SortedMap<String, float[]> with = trainedWithDropout(0.3, dir.resolve("first"));
        SortedMap<String, float[]> again = trainedWithDropout(0.3, dir.resolve("second"));
        with.forEach((name, values) -> assertArrayEquals(values, again.get(name), 0f, name + ": the same seed, the same adapter"));
        for (String name : with.keySet()) {
            assertFalse(java.util.Arrays.equals(with.get(name), without.get(name)), name + " trained as if dropout were 0");
        }
    }

    @ParameterizedTest(name = "dropout {0}")
    @ValueSource(doubles = {0, 0.3})
    void aRunInterruptedAfterACheckpointResumesToTheSameAdapter(double dropout) throws Exception {
        List<TrainingExample> examples = examples(10, 3);
        // 10 examples, 2 x 2 per step: 3 steps per epoch, 9 steps, checkpoints after steps 2, 4, 6, 8
        LoraTrainer.Settings settings = settings(2, 2, 3, 2, 2, dropout);
        SortedMap<String, float[]> uninterrupted;
        List<LoraTrainer.StepRecord> fullLog;
        try (LlamaModel base = LlamaModel.initialize(TINY, 1, Device.cpu(), DataType.FLOAT32);
             LoraModel lora = LoraModel.create(base, settings.lora(), 3407)) {
            LoraTrainer.Result result = new LoraTrainer(lora, settings, dir.resolve("a"), Log.SILENT).train(examples, PAD);
            assertEquals(9, result.steps());
            uninterrupted = values(lora.parameters());
            fullLog = result.lossLog();
        }
        Path work = dir.resolve("b");
        try (LlamaModel base = LlamaModel.initialize(TINY, 1, Device.cpu(), DataType.FLOAT32);
             LoraModel lora = LoraModel.create(base, settings.lora(), 3407)) {
            assertThrows(IllegalStateException.class, () -> new LoraTrainer(lora, settings, work, Log.SILENT)
                    .train(examples, PAD, step -> {
                        if (step == 5) {
                            throw new IllegalStateException("killed");
                        }
                    }));
        }
        assertTrue(Files.isDirectory(work.resolve("step-000004")));
        List<String> lines = new ArrayList<>();
        Log recording = new Log() {
            @Override
            public void info(String message) {
                lines.add(message);
            }

            @Override
            public void warn(String message) {}

            @Override
            public void debug(String message) {}
        };
        try (LlamaModel base = LlamaModel.initialize(TINY, 1, Device.cpu(), DataType.FLOAT32);
             LoraModel lora = LoraModel.create(base, settings.lora(), 3407)) {
            LoraTrainer.Result resumed = new LoraTrainer(lora, settings, work, recording).train(examples, PAD);
            SortedMap<String, float[]> after = values(lora.parameters());
            uninterrupted.forEach((name, expected) -> assertArrayEquals(expected, after.get(name), 0f, name));
            assertEquals(9, resumed.lossLog().size());
            for (int i = 0; i < 9; i++) {
                assertEquals(fullLog.get(i).loss(), resumed.lossLog().get(i).loss(), "loss of step " + (i + 1));
            }
        }
        assertTrue(lines.get(0).contains("resuming after step 4"), lines.get(0));
    }

    /** A kill that tears the newest checkpoint's parameters: the run resumes from the one before, to the same adapter. */
    @Test
    void aTruncatedNewestCheckpointFallsBackToThePreviousOne() throws Exception {
        List<TrainingExample> examples = examples(10, 3);
        LoraTrainer.Settings settings = settings(2, 2, 3, 2, 2);
        SortedMap<String, float[]> uninterrupted;
        try (LlamaModel base = LlamaModel.initialize(TINY, 1, Device.cpu(), DataType.FLOAT32);
             LoraModel lora = LoraModel.create(base, settings.lora(), 3407)) {
            new LoraTrainer(lora, settings, dir.resolve("a"), Log.SILENT).train(examples, PAD);
            uninterrupted = values(lora.parameters());
        }
        Path work = dir.resolve("b");
        try (LlamaModel base = LlamaModel.initialize(TINY, 1, Device.cpu(), DataType.FLOAT32);
             LoraModel lora = LoraModel.create(base, settings.lora(), 3407)) {
            assertThrows(IllegalStateException.class, () -> new LoraTrainer(lora, settings, work, Log.SILENT)
                    .train(examples, PAD, step -> {
                        if (step == 7) {
                            throw new IllegalStateException("killed");
                        }
                    }));
        }
        Path newest = work.resolve("step-000006");
        Path parameters = newest.resolve("parameters.safetensors");
        try (java.nio.channels.FileChannel channel = java.nio.channels.FileChannel.open(parameters,
                java.nio.file.StandardOpenOption.WRITE)) {
            channel.truncate(channel.size() / 2);
        }
        dev.lyrics.core.CapturingLog log = new dev.lyrics.core.CapturingLog();
        try (LlamaModel base = LlamaModel.initialize(TINY, 1, Device.cpu(), DataType.FLOAT32);
             LoraModel lora = LoraModel.create(base, settings.lora(), 3407)) {
            new LoraTrainer(lora, settings, work, log).train(examples, PAD);
            SortedMap<String, float[]> after = values(lora.parameters());
            uninterrupted.forEach((name, expected) -> assertArrayEquals(expected, after.get(name), 0f, name));
        }
        assertTrue(log.text().contains("WARN lyrics:finetune: checkpoint " + newest + " is damaged"
                + " (parameters.safetensors has the wrong size"), log.text());
        assertTrue(log.text().contains("resuming from the one before, step-000004"), log.text());
        assertTrue(log.text().contains("resuming after step 4"), log.text());
    }

    /** With every checkpoint damaged, the run starts over (with a warning) instead of failing for good. */
    @Test
    void aDamagedOnlyCheckpointStartsTheRunOver() throws Exception {
        List<TrainingExample> examples = examples(10, 3);
        LoraTrainer.Settings settings = settings(2, 2, 1, 1, 2);
        Path work = dir.resolve("c");
        try (LlamaModel base = LlamaModel.initialize(TINY, 1, Device.cpu(), DataType.FLOAT32);
             LoraModel lora = LoraModel.create(base, settings.lora(), 3407)) {
            assertThrows(IllegalStateException.class, () -> new LoraTrainer(lora, settings, work, Log.SILENT)
                    .train(examples, PAD, step -> {
                        if (step == 2) {
                            throw new IllegalStateException("killed");
                        }
                    }));
        }
        Files.writeString(work.resolve("step-000002/optimizer.safetensors"), "");
        dev.lyrics.core.CapturingLog log = new dev.lyrics.core.CapturingLog();
        try (LlamaModel base = LlamaModel.initialize(TINY, 1, Device.cpu(), DataType.FLOAT32);
             LoraModel lora = LoraModel.create(base, settings.lora(), 3407)) {
            assertEquals(3, new LoraTrainer(lora, settings, work, log).train(examples, PAD).lossLog().size());
        }
        assertTrue(log.text().contains("step-000002 is damaged (optimizer.safetensors has the wrong size"), log.text());
        assertTrue(log.text().contains("starting the training over"), log.text());
    }

    /** The run a child JVM does until it is killed: the resume test's settings, a little slower per step. */
    public static final class KilledChild {
        public static void main(String[] args) throws Exception {
            LoraTrainer.Settings settings = settings(2, 2, 3, 2, 2);
            try (LlamaModel base = LlamaModel.initialize(TINY, 1, Device.cpu(), DataType.FLOAT32);
                 LoraModel lora = LoraModel.create(base, settings.lora(), 3407)) {
                new LoraTrainer(lora, settings, Path.of(args[0]), Log.SILENT).train(examples(10, 3), PAD, step -> {
                    try {
                        Thread.sleep(300);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                });
            }
        }
    }

    /** kill -9 in the middle of a run (wherever it lands), then the same run again: the uninterrupted result. */
    @Test
    void aKilledProcessResumesToTheSameAdapter() throws Exception {
        LoraTrainer.Settings settings = settings(2, 2, 3, 2, 2);
        List<TrainingExample> examples = examples(10, 3);
        SortedMap<String, float[]> uninterrupted;
        try (LlamaModel base = LlamaModel.initialize(TINY, 1, Device.cpu(), DataType.FLOAT32);
             LoraModel lora = LoraModel.create(base, settings.lora(), 3407)) {
            new LoraTrainer(lora, settings, dir.resolve("a"), Log.SILENT).train(examples, PAD);
            uninterrupted = values(lora.parameters());
        }
        Path work = dir.resolve("killed");
        Process child = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Dai.djl.offline=true", "-cp", System.getProperty("java.class.path"), KilledChild.class.getName(),
                work.toString()).redirectErrorStream(true).redirectOutput(dir.resolve("child.log").toFile()).start();
        long deadline = System.currentTimeMillis() + 120_000;
        while (!Files.isDirectory(work.resolve("step-000004")) && child.isAlive() && System.currentTimeMillis() < deadline) {
            Thread.sleep(20);
        }
        assertTrue(child.isAlive(), "the child was still training: " + Files.readString(dir.resolve("child.log")));
        child.destroyForcibly().waitFor();
        try (LlamaModel base = LlamaModel.initialize(TINY, 1, Device.cpu(), DataType.FLOAT32);
             LoraModel lora = LoraModel.create(base, settings.lora(), 3407)) {
            new LoraTrainer(lora, settings, work, Log.SILENT).train(examples, PAD);
            SortedMap<String, float[]> resumed = values(lora.parameters());
            uninterrupted.forEach((name, expected) -> assertArrayEquals(expected, resumed.get(name), 0f, name));
        }
    }

    @Test
    void aNonFiniteLossStopsTheRunNamingTheLearningRate() throws Exception {
        try (LlamaModel base = LlamaModel.initialize(TINY, 1, Device.cpu(), DataType.FLOAT32);
             LoraModel lora = LoraModel.create(base, new LoraConfig(4, 8, 0, ALL, false), 3407)) {
            lora.parameters().values().iterator().next().addi(Float.NaN);
            TrainingDivergedException e = assertThrows(TrainingDivergedException.class,
                    () -> new LoraTrainer(lora, settings(2, 2, 1, 0, 1), dir, Log.SILENT).train(examples(4, 1), PAD));
            assertTrue(e.getMessage().contains("step 1") && e.getMessage().contains("lyrics.finetune.learningRate"),
                    e.getMessage());
        }
        assertFalse(Files.exists(dir.resolve("step-000001")), "no checkpoint of a diverged step");
    }
}
