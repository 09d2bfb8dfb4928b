package dev.lyrics.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Java decoder against ../shared/reference/llama_ref.py: tiny-llama/ was written by
 * {@code llama_ref.py make DIR --vocab 64 --dim 32 --layers 2 --heads 4 --kv-heads 2 --ffn 64 --seed 3407}
 * and tiny-llama-logprobs.txt is what its {@code logits} command printed for the ids in its first line.
 */
class LlamaModelTest {
    static Path resource(String name) throws URISyntaxException {
        return Path.of(LlamaModelTest.class.getResource(name).toURI());
    }

    record Expected(long[] ids, double[] logProbs) {}

    static Expected expected() throws Exception {
        List<String> lines = Files.readAllLines(resource("tiny-llama-logprobs.txt"));
        Matcher ids = Pattern.compile("--ids ([0-9,]+)").matcher(lines.get(0));
        assertTrue(ids.find());
        long[] idArray = Arrays.stream(ids.group(1).split(",")).mapToLong(Long::parseLong).toArray();
        List<Double> values = new ArrayList<>();
        Pattern pos = Pattern.compile("pos (\\d+) target (\\d+) logprob (\\S+)");
        for (String line : lines) {
            Matcher m = pos.matcher(line);
            if (m.matches()) {
                assertEquals(idArray[Integer.parseInt(m.group(1)) + 1], Long.parseLong(m.group(2)));
                values.add(Double.parseDouble(m.group(3)));
            }
        }
        return new Expected(idArray, values.stream().mapToDouble(Double::doubleValue).toArray());
    }

    /** Log-probabilities of ids[1:] given ids[:-1], with the model's own forward pass. */
    static float[] logProbs(LlamaModel model, long[] ids) {
        try (NDManager step = model.manager().newSubManager()) {
            NDArray input = step.create(Arrays.copyOf(ids, ids.length - 1), new Shape(1, ids.length - 1));
            NDArray targets = step.create(Arrays.copyOfRange(ids, 1, ids.length), new Shape(1, ids.length - 1));
            return LlamaModel.targetLogProbs(model.forward(input), targets).toFloatArray();
        }
    }

    @Test
    void matchesTheReferenceLogProbabilitiesWithin1e4() throws Exception {
        Expected expected = expected();
        try (LlamaModel model = LlamaModel.load(resource("tiny-llama"), Device.cpu(), DataType.FLOAT32)) {
            float[] actual = logProbs(model, expected.ids());
            assertEquals(expected.logProbs().length, actual.length);
            for (int i = 0; i < actual.length; i++) {
                assertEquals(expected.logProbs()[i], actual[i], 1e-4, "position " + i);
            }
        }
    }

    @Test
    void runsInHalfPrecisionCloseToFloat32() throws Exception {
        Expected expected = expected();
        try (LlamaModel model = LlamaModel.load(resource("tiny-llama"), Device.cpu(), DataType.FLOAT16)) {
            assertEquals(DataType.FLOAT16, model.parameters().get("lm_head.weight").getDataType());
            float[] actual = logProbs(model, expected.ids());
            for (int i = 0; i < actual.length; i++) {
                assertEquals(expected.logProbs()[i], actual[i], 2e-2, "position " + i);
            }
        }
    }

    @Test
    void checkpointWrittenByJavaReloadsToTheSameNumbers(@TempDir Path dir) throws Exception {
        Expected expected = expected();
        try (LlamaModel model = LlamaModel.load(resource("tiny-llama"), Device.cpu(), DataType.FLOAT32)) {
            HfCheckpoint.save(dir, model.config(), model.parameters(), SafetensorsFile.DType.F32);
        }
        try (LlamaModel reloaded = LlamaModel.load(dir, Device.cpu(), DataType.FLOAT32)) {
            float[] actual = logProbs(reloaded, expected.ids());
            for (int i = 0; i < actual.length; i++) {
                assertEquals(expected.logProbs()[i], actual[i], 1e-4, "position " + i);
            }
        }
    }

    @Test
    void cachedDecodingGivesTheLogitsOfTheFullPass() throws Exception {
        long[] ids = expected().ids();
        try (LlamaModel model = LlamaModel.load(resource("tiny-llama"), Device.cpu(), DataType.FLOAT32);
             LlamaModel.KvCache cache = model.newCache()) {
            float[] full;
            try (NDManager step = model.manager().newSubManager()) {
                full = model.forward(step.create(ids, new Shape(1, ids.length))).toFloatArray();
            }
            int vocab = model.config().vocabSize();
            // a 5-token prompt, then one token at a time
            int[] cuts = {0, 5};
            List<Float> cached = new ArrayList<>();
            for (int start = 0; start < ids.length; ) {
                int end = start == 0 ? cuts[1] : start + 1;
                try (NDManager step = model.manager().newSubManager()) {
                    NDArray chunk = step.create(Arrays.copyOfRange(ids, start, end), new Shape(1, end - start));
                    for (float f : model.logits(model.hiddenStates(chunk, null, cache)).toFloatArray()) {
                        cached.add(f);
                    }
                }
                start = end;
            }
            assertEquals(ids.length, cache.length());
            assertEquals((long) full.length, cached.size());
            for (int i = 0; i < full.length; i++) {
                assertEquals(full[i], cached.get(i), 1e-4, "logit " + i + " (position " + i / vocab + ")");
            }
        }
    }

    @Test
    void paddedKeysAreInvisibleOnEitherSide() throws Exception {
        long[] ids = Arrays.copyOf(expected().ids(), 8);
        try (LlamaModel model = LlamaModel.load(resource("tiny-llama"), Device.cpu(), DataType.FLOAT32);
             NDManager step = model.manager().newSubManager()) {
            float[] alone = model.forward(step.create(ids, new Shape(1, 8))).toFloatArray();
            // row 0 right-padded with 3 pads, row 1 left-padded with 3 pads (rotary attention is relative, so a
            // shift of every position leaves the scores unchanged)
            long[] batch = new long[2 * 11];
            long[] mask = new long[2 * 11];
            for (int i = 0; i < 8; i++) {
                batch[i] = ids[i];
                mask[i] = 1;
                batch[11 + 3 + i] = ids[i];
                mask[11 + 3 + i] = 1;
            }
            NDArray padding = step.create(mask, new Shape(2, 11));
            float[] padded = model.logits(model.hiddenStates(step.create(batch, new Shape(2, 11)), padding, null))
                    .toFloatArray();
            int vocab = model.config().vocabSize();
            for (int i = 0; i < 8 * vocab; i++) {
                assertEquals(alone[i], padded[i], 1e-4, "right-padded logit " + i);
                assertEquals(alone[i], padded[(11 + 3) * vocab + i], 1e-4, "left-padded logit " + i);
            }
            for (float logit : padded) {
                assertTrue(Float.isFinite(logit), "fully masked padding rows must not produce NaN");
            }
        }
    }

    @Test
    void slidingWindowLimitsAttentionAndKeepsCachedDecodingExact(@TempDir Path dir) throws Exception {
        long[] ids = expected().ids();
        Path windowed = withSlidingWindow(dir, 4);
        try (LlamaModel full = LlamaModel.load(resource("tiny-llama"), Device.cpu(), DataType.FLOAT32);
             LlamaModel window = LlamaModel.load(windowed, Device.cpu(), DataType.FLOAT32);
             LlamaModel.KvCache cache = window.newCache();
             NDManager step = full.manager().newSubManager()) {
            float[] fullLogits = full.forward(step.create(ids, new Shape(1, ids.length))).toFloatArray();
            float[] windowLogits = window.forward(step.create(ids, new Shape(1, ids.length))).toFloatArray();
            int vocab = full.config().vocabSize();
            // the first 4 positions see the same keys; later ones see fewer
            for (int i = 0; i < 4 * vocab; i++) {
                assertEquals(fullLogits[i], windowLogits[i], 1e-5);
            }
            double difference = 0;
            for (int i = 4 * vocab; i < fullLogits.length; i++) {
                difference = Math.max(difference, Math.abs(fullLogits[i] - windowLogits[i]));
            }
            assertTrue(difference > 1e-3, "sliding window changed nothing");
            for (int position = 0; position < ids.length; position++) {
                float[] next = window.logits(window.hiddenStates(
                        step.create(new long[] {ids[position]}, new Shape(1, 1)), null, cache)).toFloatArray();
                for (int j = 0; j < vocab; j++) {
                    assertEquals(windowLogits[position * vocab + j], next[j], 1e-4);
                }
            }
        }
    }

    private static Path withSlidingWindow(Path dir, int window) throws IOException, URISyntaxException {
        Path tiny = resource("tiny-llama");
        Files.copy(tiny.resolve("model.safetensors"), dir.resolve("model.safetensors"));
        String config = Files.readString(tiny.resolve("config.json"));
        Files.writeString(dir.resolve("config.json"), config.replaceFirst("\\{", "{\"sliding_window\": " + window + ","));
        return dir;
    }

    @Test
    void aForwardAndBackwardPassLeaveNothingInTheModelsManager() throws Exception {
        try (LlamaModel model = LlamaModel.load(resource("tiny-llama"), Device.cpu(), DataType.FLOAT32)) {
            model.parameters().values().forEach(p -> p.setRequiresGradient(true));
            int before = model.manager().getManagedArrays().size();
            long[] ids = expected().ids();
            for (int repeat = 0; repeat < 3; repeat++) {
                try (NDManager step = model.manager().newSubManager();
                     ai.djl.training.GradientCollector collector = ai.djl.engine.Engine.getEngine(Torch.ENGINE)
                             .newGradientCollector()) {
                    NDArray input = step.create(ids, new Shape(1, ids.length));
                    collector.backward(LlamaModel.targetLogProbs(model.forward(input), input).mean().neg());
                }
            }
            assertEquals(before, model.manager().getManagedArrays().size());
        }
    }
}
