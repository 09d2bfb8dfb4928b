package dev.lyrics.generate;

import dev.lyrics.lm.Decoder;
import dev.lyrics.lm.LanguageModel;
import dev.lyrics.lm.ScoredText;
import java.util.ArrayList;
import java.util.List;

/**
 * A toy word-level model whose logits are a fixed pseudo-random function of every unit read so
 * far: its cached decoder folds each unit into a running state, its uncached one refolds the whole
 * history at every step, so the two must agree exactly, as a transformer with and without its
 * key/value cache must.
 */
public final class FakeLanguageModel implements LanguageModel {
    static final List<String> VOCABULARY = List.of("<end>", "\n", "[Chorus]", "la", "da", "love", "night", "city",
            "lights", "rain", "fire", "yeah", "Help", "me", "write");
    static final int END = 0;

    @Override
    public String name() {
        return "fake";
    }

    @Override
    public String unit() {
        return "word";
    }

    @Override
    public ScoredText score(String text) {
        throw new UnsupportedOperationException("sampling tests only");
    }

    @Override
    public Decoder decoder(String prompt) {
        return new Cached(promptIds(prompt));
    }

    Decoder uncachedDecoder(String prompt) {
        return new Uncached(promptIds(prompt));
    }

    /** A cache that lost the prompt: what the equivalence check must catch. */
    Decoder brokenCacheDecoder(String prompt) {
        Cached decoder = new Cached(promptIds(prompt));
        decoder.state = fold(0, new int[0]);
        return decoder;
    }

    @Override
    public void close() {}

    static int[] promptIds(String prompt) {
        return dev.lyrics.dataset.TextUnits.words(prompt).stream()
                .mapToInt(VOCABULARY::indexOf).filter(id -> id >= 0).toArray();
    }

    static long fold(long state, int[] ids) {
        for (int id : ids) {
            state = step(state, id);
        }
        return state;
    }

    static long step(long state, int id) {
        return state * 1_000_003L + id + 1;
    }

    static float[] logits(long state) {
        float[] logits = new float[VOCABULARY.size()];
        for (int i = 0; i < logits.length; i++) {
            long h = (state ^ (i * 0x9E3779B97F4A7C15L)) * 0xBF58476D1CE4E5B9L;
            logits[i] = ((h >>> 40) % 1000) / 100f - 5f;
        }
        logits[END] -= 4f; // texts of a few dozen units, not one

        return logits;
    }

    private abstract static class Base implements Decoder {
        final int[] prompt;

        Base(int[] prompt) {
            this.prompt = prompt;
        }

        @Override
        public int[] promptUnitIds() {
            return prompt.clone();
        }

        @Override
        public int endId() {
            return END;
        }

        @Override
        public String decode(int[] unitIds) {
            StringBuilder sb = new StringBuilder();
            for (int id : unitIds) {
                String word = VOCABULARY.get(id);
                if (!sb.isEmpty() && !word.equals("\n") && sb.charAt(sb.length() - 1) != '\n') {
                    sb.append(' ');
                }
                sb.append(word);
            }
            return sb.toString();
        }

        @Override
        public void close() {}
    }

    private static final class Cached extends Base {
        long state;

        Cached(int[] prompt) {
            super(prompt);
            state = fold(0, prompt);
        }

        @Override
        public float[] nextLogits() {
            return logits(state);
        }

        @Override
        public void accept(int unitId) {
            state = step(state, unitId);
        }
    }

    private static final class Uncached extends Base {
        final List<Integer> history = new ArrayList<>();

        Uncached(int[] prompt) {
            super(prompt);
            for (int id : prompt) {
                history.add(id);
            }
        }

        @Override
        public float[] nextLogits() {
            return logits(fold(0, history.stream().mapToInt(Integer::intValue).toArray()));
        }

        @Override
        public void accept(int unitId) {
            history.add(unitId);
        }
    }
}
