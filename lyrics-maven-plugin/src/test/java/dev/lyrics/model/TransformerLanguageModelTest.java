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
import dev.lyrics.generate.DecoderEquivalence;
import dev.lyrics.generate.SamplingSettings;
import dev.lyrics.lm.Decoder;
import dev.lyrics.lm.ScoredText;
import dev.lyrics.lm.SlidingWindow;
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
    private static final int BOS = 1;
    private static final int EOS = 2;

    static TransformerLanguageModel model(Path dir, int maxPositions, SlidingWindow window) throws Exception {
        BpeTrainer.write(new BpeTrainer(300, 2).train(List.of(TEXT, TEXT.toLowerCase())), dir, maxPositions);
        LlamaConfig config = LlamaConfig.of(300, 32, 64, 2, 4, 2, maxPositions, false);
        return new TransformerLanguageModel("base", LlamaModel.initialize(config, 5, Device.cpu(), DataType.FLOAT32),
                HfTokenizer.load(dir), window);
    }

    /** log p(sequence[last] | sequence[0..last-1]) by a plain full forward pass. */
    static float lastLogProb(LlamaModel model, long[] sequence) {
        int t = sequence.length - 1;
        try (NDManager scope = model.manager().newSubManager()) {
            NDArray logits = model.forward(scope.create(Arrays.copyOf(sequence, t), new Shape(1, t)));
            return logits.get(0, t - 1).logSoftmax(0).toFloatArray()[(int) sequence[t]];
        }
    }

    /** The logits after the last of the ids, by a full forward pass without a cache. */
    static float[] lastLogits(LlamaModel model, long[] ids) {
        try (NDManager scope = model.manager().newSubManager()) {
            return model.forward(scope.create(ids, new Shape(1, ids.length))).get(0, ids.length - 1).toFloatArray();
        }
    }

    /** BOS, the text's tokens, EOS: what score() reads. */
    static long[] whole(HfTokenizer tokenizer, String text) {
        long[] ids = tokenizer.encode(text).ids();
        long[] sequence = new long[ids.length + 2];
        sequence[0] = BOS;
        System.arraycopy(ids, 0, sequence, 1, ids.length);
        sequence[sequence.length - 1] = EOS;
        return sequence;
    }

    @Test
    void scoresEveryTokenAndEosOnceWithTheContextOfItsWindow(@TempDir Path dir) throws Exception {
        SlidingWindow window = new SlidingWindow(16, 5);
        try (TransformerLanguageModel lm = model(dir, 16, window)) {
            HfTokenizer.Encoded encoded = lm.tokenizer().encode(TEXT);
            long[] sequence = whole(lm.tokenizer(), TEXT);
            assertTrue(sequence.length > 3 * window.context(), "the text must need several windows");
            ScoredText scored = lm.score(TEXT);
            assertEquals(encoded.ids().length + 1, scored.size(), "every token and EOS");
            assertArrayEquals(encoded.charEnds(), Arrays.copyOf(scored.unitEnds(), encoded.ids().length));
            assertEquals(TEXT.length() + 1, scored.unitEnds()[encoded.ids().length], "EOS ends past the text");
            assertEquals(window, lm.window().orElseThrow());
            for (SlidingWindow.Window w : window.plan(sequence.length)) {
                for (int target = w.scoreFrom(); target < w.end(); target++) {
                    float expected = lastLogProb(lm.model(), Arrays.copyOfRange(sequence, w.begin(), target + 1));
                    assertEquals(expected, scored.logProbs()[target - 1], 1e-4, "token " + target);
                }
            }
        }
    }

    @Test
    void aBatchOfTextsScoresAsEachTextAlone(@TempDir Path dir) throws Exception {
        try (TransformerLanguageModel lm = model(dir, 16, new SlidingWindow(16, 8))) {
            List<String> texts = List.of(TEXT, "And God said", "", TEXT.substring(40, 90));
            List<ScoredText> batch = lm.score(texts);
            assertEquals(texts.size(), batch.size());
            for (int i = 0; i < texts.size(); i++) {
                ScoredText alone = lm.score(texts.get(i));
                assertArrayEquals(alone.unitEnds(), batch.get(i).unitEnds(), "text " + i);
                assertArrayEquals(alone.logProbs(), batch.get(i).logProbs(), 1e-5, "text " + i);
            }
            ScoredText empty = batch.get(2);
            assertEquals(1, empty.size(), "an empty text still predicts EOS after BOS");
            assertEquals(lastLogProb(lm.model(), new long[] {BOS, EOS}), empty.logProbs()[0], 1e-5);
        }
    }

    /** The same decoding, done the slow way: every step runs the whole sequence again, no cache. */
    private static final class RecomputingDecoder implements Decoder {
        private final TransformerLanguageModel lm;
        private final int[] prompt;
        private long[] sequence;

        RecomputingDecoder(TransformerLanguageModel lm, String prompt) {
            this.lm = lm;
            long[] ids = lm.tokenizer().encode(prompt).ids();
            sequence = new long[ids.length + 1];
            sequence[0] = BOS;
            System.arraycopy(ids, 0, sequence, 1, ids.length);
            this.prompt = Arrays.stream(sequence).mapToInt(Math::toIntExact).toArray();
        }

        @Override
        public int[] promptUnitIds() {
            return prompt.clone();
        }

        @Override
        public float[] nextLogits() {
            return lastLogits(lm.model(), sequence);
        }

        @Override
        public void accept(int unitId) {
            sequence = Arrays.copyOf(sequence, sequence.length + 1);
            sequence[sequence.length - 1] = unitId;
        }

        @Override
        public int endId() {
            return EOS;
        }

        @Override
        public String decode(int[] unitIds) {
            return lm.tokenizer().decode(Arrays.stream(unitIds).asLongStream().toArray());
        }

        @Override
        public void close() {}
    }

    @Test
    void cachedDecodingChoosesTheTokensOfFullRecomputation(@TempDir Path dir) throws Exception {
        try (TransformerLanguageModel lm = model(dir, 64, new SlidingWindow(64, 32))) {
            String prompt = "And God said, Let there be";
            SamplingSettings sampled = new SamplingSettings(1.0, 0, 0.95, 1.3, 40);
            for (long seed : new long[] {1, 2, 3}) {
                try (Decoder cached = lm.decoder(prompt); Decoder uncached = new RecomputingDecoder(lm, prompt)) {
                    int[] tokens = DecoderEquivalence.assertSameTokens(cached, uncached, sampled, seed, 1e-4);
                    assertTrue(tokens.length > 10, "a sample long enough to exercise the cache: " + tokens.length);
                }
            }
            try (Decoder cached = lm.decoder(prompt); Decoder uncached = new RecomputingDecoder(lm, prompt)) {
                DecoderEquivalence.assertSameTokens(cached, uncached, new SamplingSettings(0, 0, 1, 1.3, 30), 0, 1e-4);
            }
        }
    }

    @Test
    void decodingGoesOnPastAFullContext(@TempDir Path dir) throws Exception {
        try (TransformerLanguageModel lm = model(dir, 16, new SlidingWindow(16, 8));
             Decoder decoder = lm.decoder("And God")) {
            int[] accepted = new int[40];
            for (int i = 0; i < accepted.length; i++) {
                float[] logits = decoder.nextLogits();
                assertEquals(300, logits.length);
                for (float logit : logits) {
                    assertTrue(Float.isFinite(logit));
                }
                accepted[i] = 3 + (i * 7) % 250;
                decoder.accept(accepted[i]);
            }
            assertEquals(EOS, decoder.endId());
            assertEquals(lm.tokenizer().decode(Arrays.stream(accepted).asLongStream().toArray()), decoder.decode(accepted));
        }
    }

    @Test
    void rejectsAContextBeyondTheModelsPositions(@TempDir Path dir) {
        assertThrows(IllegalArgumentException.class, () -> model(dir, 16, new SlidingWindow(17, 4)));
    }
}
