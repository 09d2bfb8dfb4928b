package dev.lyrics.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.lyrics.eval.Decoder;
import dev.lyrics.eval.ScoredText;
import dev.lyrics.tokenizer.BpeTrainer;
import dev.lyrics.tokenizer.HfTokenizer;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TransformerLanguageModelTest {
    static final String TEXT = "And God said, Let there be light: and there was light. And God saw the light, "
            + "that it was good: and God divided the light from the darkness. And God called the light Day.";

    static TransformerLanguageModel model(Path dir, int window, int stride) throws Exception {
        BpeTrainer.write(new BpeTrainer(300, 2).train(List.of(TEXT, TEXT.toLowerCase())), dir, 16);
        LlamaConfig config = LlamaConfig.of(300, 32, 64, 2, 4, 2, 16, false);
        return new TransformerLanguageModel("base", LlamaModel.initialize(config, 5, Device.cpu(), DataType.FLOAT32),
                HfTokenizer.load(dir), window, stride);
    }

    /** log p(sequence[last] | sequence[0..last-1]) by a plain full forward pass. */
    static float lastLogProb(LlamaModel model, long[] sequence) {
        try (NDManager scope = model.manager().newSubManager()) {
            NDArray logits = model.forward(scope.create(Arrays.copyOf(sequence, sequence.length - 1),
                    new Shape(1, sequence.length - 1)));
            float[] all = logits.get(0, sequence.length - 2).logSoftmax(0).toFloatArray();
            return all[(int) sequence[sequence.length - 1]];
        }
    }

    static long[] withBos(long[] ids) {
        long[] sequence = new long[ids.length + 1];
        sequence[0] = 1;
        System.arraycopy(ids, 0, sequence, 1, ids.length);
        return sequence;
    }

    @Test
    void scoresEveryTokenOnceGivenBosAndItsWindowOfContext(@TempDir Path dir) throws Exception {
        int window = 16;
        int stride = 5;
        try (TransformerLanguageModel lm = model(dir, window, stride)) {
            HfTokenizer.Encoded encoded = lm.tokenizer().encode(TEXT);
            long[] sequence = withBos(encoded.ids());
            assertTrue(sequence.length > 3 * window, "the text must need several windows");
            ScoredText scored = lm.score(TEXT);
            assertEquals(encoded.ids().length, scored.size());
            assertArrayEquals(encoded.charEnds(), scored.unitEnds());
            for (int target = 1; target < sequence.length; target++) {
                // the target is scored in chunk k of the stride; its window ends with the chunk
                int chunk = (target - 1) / stride;
                int end = Math.min(1 + (chunk + 1) * stride, sequence.length);
                int begin = Math.max(0, end - window);
                assertTrue(target - begin >= Math.min(target, window - stride), "context of token " + target);
                float expected = lastLogProb(lm.model(), Arrays.copyOfRange(sequence, begin, target + 1));
                assertEquals(expected, scored.logProbs()[target - 1], 1e-4, "token " + target);
            }
        }
    }

    @Test
    void aTextWithinOneWindowIsOneForwardPass(@TempDir Path dir) throws Exception {
        try (TransformerLanguageModel lm = model(dir, 16, 15)) {
            String text = "And God said";
            long[] sequence = withBos(lm.tokenizer().encode(text).ids());
            assertTrue(sequence.length <= 16);
            ScoredText scored = lm.score(text);
            for (int target = 1; target < sequence.length; target++) {
                assertEquals(lastLogProb(lm.model(), Arrays.copyOf(sequence, target + 1)), scored.logProbs()[target - 1], 1e-4);
            }
            assertEquals(0, lm.score("").size());
        }
    }

    @Test
    void cachedDecodingMatchesFullForwardPassesAndSurvivesAFullWindow(@TempDir Path dir) throws Exception {
        try (TransformerLanguageModel lm = model(dir, 16, 8);
             Decoder decoder = lm.decoder("And God")) {
            long[] sequence = withBos(lm.tokenizer().encode("And God").ids());
            int[] accepted = new int[40];
            for (int i = 0; i < accepted.length; i++) {
                float[] logits = decoder.nextLogits();
                assertEquals(300, logits.length);
                if (sequence.length < 16) {
                    try (NDManager scope = lm.model().manager().newSubManager()) {
                        float[] full = lm.model().forward(scope.create(sequence, new Shape(1, sequence.length)))
                                .get(0, sequence.length - 1).toFloatArray();
                        assertArrayEquals(full, logits, 1e-4f, "after " + i + " accepted tokens");
                    }
                }
                for (float logit : logits) {
                    assertTrue(Float.isFinite(logit));
                }
                accepted[i] = 3 + (i * 7) % 250;
                decoder.accept(accepted[i]);
                sequence = Arrays.copyOf(sequence, sequence.length + 1);
                sequence[sequence.length - 1] = accepted[i];
            }
            assertEquals(2, decoder.endId());
            assertEquals(lm.tokenizer().decode(Arrays.stream(accepted).asLongStream().toArray()), decoder.decode(accepted));
        }
    }

    @Test
    void rejectsAStrideThatWouldSkipTokens(@TempDir Path dir) throws Exception {
        assertThrows(IllegalArgumentException.class, () -> model(dir, 16, 16));
        assertThrows(IllegalArgumentException.class, () -> model(dir, 17, 4));
    }
}
