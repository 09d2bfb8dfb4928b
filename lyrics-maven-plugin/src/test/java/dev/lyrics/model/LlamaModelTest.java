package dev.lyrics.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.training.GradientCollector;
import dev.lyrics.lora.LoraConfig;
import dev.lyrics.lora.LoraModel;
import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;
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

    /** A projection that only calls the one it wraps: the layer then runs every projection's own forward. */
    private record PassThrough(LlamaModel.Projection inner) implements LlamaModel.Projection {
        @Override
        public NDArray forward(NDArray x) {
            return inner.forward(x);
        }
    }

    /** Wraps every projection in a {@link PassThrough} (no fusion); returns what to put back. */
    private static Map<String, LlamaModel.Projection> separate(LlamaModel model) {
        Map<String, LlamaModel.Projection> originals = new LinkedHashMap<>();
        for (String name : model.projectionNames()) {
            originals.put(name, model.projection(name));
            model.setProjection(name, new PassThrough(model.projection(name)));
        }
        return originals;
    }

    /** Two rows of the reference ids, the second reversed: (2, T). */
    private static NDArray batch(NDManager step) throws Exception {
        long[] ids = expected().ids();
        long[] rows = new long[2 * ids.length];
        for (int i = 0; i < ids.length; i++) {
            rows[i] = ids[i];
            rows[ids.length + i] = ids[ids.length - 1 - i];
        }
        return step.create(rows, new Shape(2, ids.length));
    }

    /** Matrix products (aten::mm, which every linear call of this model is on the CPU) that {@code pass} runs. */
    private static int matrixProducts(Path dir, Runnable pass) throws IOException {
        Path trace = dir.resolve("trace-" + System.nanoTime() + ".json");
        JniUtils.startProfile(false, false, false);
        try {
            pass.run();
        } finally {
            JniUtils.stopProfile(trace.toString());
        }
        Matcher mm = Pattern.compile("\"name\":\\s*\"aten::mm\"").matcher(Files.readString(trace));
        int count = 0;
        while (mm.find()) {
            count++;
        }
        return count;
    }

    private static void assertClose(float[] expected, float[] actual, double relative, String what) {
        assertEquals(expected.length, actual.length, what);
        double scale = 0;
        double difference = 0;
        for (int i = 0; i < expected.length; i++) {
            scale = Math.max(scale, Math.abs(expected[i]));
            difference = Math.max(difference, Math.abs(expected[i] - actual[i]));
        }
        assertTrue(difference <= relative * scale, what + ": largest difference " + difference + " of largest value " + scale);
    }

    /**
     * Issue 18: one product for q|k|v and one for gate|up per layer (4 instead of 7, plus the lm_head),
     * and the logits of separate projections. With LoRA on q and v only, q|k|v runs apart (adapters on
     * slices of a fused product measured slower) while gate|up stays fused.
     */
    @Test
    void fusedProjectionsComputeTheLogitsOfSeparateOnesWithAndWithoutLora(@TempDir Path dir) throws Exception {
        try (LlamaModel model = LlamaModel.load(resource("tiny-llama"), Device.cpu(), DataType.FLOAT32);
             NDManager step = model.manager().newSubManager()) {
            NDArray ids = batch(step);
            int layers = model.layerCount();
            float[][] fused = new float[1][];
            assertEquals(4 * layers + 1, matrixProducts(dir, () -> fused[0] = model.forward(ids).toFloatArray()));
            Map<String, LlamaModel.Projection> originals = separate(model);
            float[][] apart = new float[1][];
            assertEquals(7 * layers + 1, matrixProducts(dir, () -> apart[0] = model.forward(ids).toFloatArray()));
            originals.forEach(model::setProjection);
            assertClose(apart[0], fused[0], 1e-6, "logits");

            try (LoraModel lora = LoraModel.create(model, new LoraConfig(4, 8, 0, List.of("q_proj", "v_proj"), false), 7)) {
                // B starts at zero: move every adapter off the identity
                lora.parameters().values().forEach(p -> p.addi(0.05f));
                float[][] adapted = new float[1][];
                assertEquals((6 + 2 * 2) * layers + 1,
                        matrixProducts(dir, () -> adapted[0] = model.forward(ids).toFloatArray()));
                Map<String, LlamaModel.Projection> adapters = separate(model);
                float[] adaptedApart = model.forward(ids).toFloatArray();
                adapters.forEach(model::setProjection);
                assertClose(adaptedApart, adapted[0], 1e-6, "logits with LoRA on q and v");
                assertFalse(Arrays.equals(fused[0], adapted[0]), "the adapters changed nothing");
            }
            assertEquals(4 * layers + 1, matrixProducts(dir, () -> assertClose(fused[0],
                    model.forward(ids).toFloatArray(), 0, "closing the adapters restores the fused base")));
        }
    }

    /**
     * Training every weight (the Pretrainer, the Benchmark): the products run apart (a concatenation of
     * trained weights in every pass was slower), and each named weight, a view of its group's tensor,
     * gets the gradient separate weights get, with grouped-query heads (tiny-llama: 4 heads, 2 key/value heads).
     */
    @Test
    void trainingEveryWeightGivesEachTheGradientOfSeparateProjections(@TempDir Path dir) throws Exception {
        try (LlamaModel model = LlamaModel.load(resource("tiny-llama"), Device.cpu(), DataType.FLOAT32)) {
            assertTrue(model.config().numKeyValueHeads() < model.config().numAttentionHeads());
            model.parameters().values().forEach(p -> p.setRequiresGradient(true));
            SortedMap<String, float[]> fused = gradients(model, dir, 7 * model.layerCount() + 1);
            Map<String, LlamaModel.Projection> originals = separate(model);
            SortedMap<String, float[]> apart = gradients(model, dir, 7 * model.layerCount() + 1);
            originals.forEach(model::setProjection);
            assertEquals(model.parameters().keySet(), fused.keySet());
            assertEquals(apart.keySet(), fused.keySet());
            apart.forEach((name, expected) -> assertClose(expected, fused.get(name), 1e-6, name));
        }
    }

    /** Every weight's gradient of the mean next-token loss of one pass, which runs {@code products} matrix products. */
    private static SortedMap<String, float[]> gradients(LlamaModel model, Path dir, int products) throws Exception {
        try (NDManager step = model.manager().newSubManager();
             GradientCollector collector = ai.djl.engine.Engine.getEngine(Torch.ENGINE).newGradientCollector()) {
            NDArray ids = batch(step);
            NDArray[] loss = new NDArray[1];
            assertEquals(products, matrixProducts(dir, () ->
                    loss[0] = LlamaModel.targetLogProbs(model.forward(ids), ids).mean().neg()));
            collector.backward(loss[0]);
        }
        SortedMap<String, float[]> gradients = new TreeMap<>();
        model.parameters().forEach((name, weight) -> {
            try (NDArray gradient = weight.getGradient()) {
                gradients.put(name, gradient.toFloatArray());
            }
            JniUtils.zeroGrad((PtNDArray) weight);
        });
        return gradients;
    }

    /**
     * The model holds each fused weight once: what is written in place through a named weight (an
     * optimiser step, a LoRA merge) is what the fused product reads.
     */
    @Test
    void aWeightChangedInPlaceByNameIsWhatTheFusedProductReads() throws Exception {
        try (LlamaModel model = LlamaModel.load(resource("tiny-llama"), Device.cpu(), DataType.FLOAT32);
             NDManager step = model.manager().newSubManager()) {
            NDArray ids = batch(step);
            float[] before = model.forward(ids).toFloatArray();
            for (String name : List.of("model.layers.0.self_attn.k_proj.weight", "model.layers.1.mlp.up_proj.weight")) {
                model.parameters().get(name).addi(0.1f);
            }
            float[] fused = model.forward(ids).toFloatArray();
            Map<String, LlamaModel.Projection> originals = separate(model);
            float[] apart = model.forward(ids).toFloatArray();
            originals.forEach(model::setProjection);
            assertFalse(Arrays.equals(before, apart), "the change made no difference");
            assertClose(apart, fused, 1e-6, "logits after the change");
        }
    }

    @Test
    void keptPositionTablesGiveTheNumbersOfTablesMadeForThePass(@TempDir Path dir) throws Exception {
        // window 4: the kept mask is windowed once it is longer than 4 positions, the corners of it too
        Path windowed = withSlidingWindow(dir, 4);
        long[] ids = expected().ids();
        try (LlamaModel kept = LlamaModel.load(windowed, Device.cpu(), DataType.FLOAT32)) {
            // 3 positions (tables of 4), then 11 (grown to 16), then 3 and 6 again (corners of those of 16)
            for (int length : new int[] {3, 11, 3, 6}) {
                try (LlamaModel fresh = LlamaModel.load(windowed, Device.cpu(), DataType.FLOAT32)) {
                    long[] prefix = Arrays.copyOf(ids, length);
                    assertArrayEquals(logProbs(fresh, prefix), logProbs(kept, prefix), "length " + length);
                }
            }
        }
    }

    @Test
    void aForwardAndBackwardPassLeaveNothingInTheModelsManager() throws Exception {
        try (LlamaModel model = LlamaModel.load(resource("tiny-llama"), Device.cpu(), DataType.FLOAT32)) {
            model.parameters().values().forEach(p -> p.setRequiresGradient(true));
            long[] ids = expected().ids();
            int before = -1;
            // the first pass makes the rotary tables and the causal mask the model keeps for later passes
            for (int repeat = 0; repeat < 4; repeat++) {
                if (repeat == 1) {
                    before = model.manager().getManagedArrays().size();
                }
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
