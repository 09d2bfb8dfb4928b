package dev.lyrics.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.lyrics.eval.Decoder;
import dev.lyrics.eval.LanguageModel;
import dev.lyrics.eval.ScoredText;
import dev.lyrics.tokenizer.HfTokenizer;
import java.util.Arrays;

/**
 * A decoder-only transformer with its tokenizer, as evaluation and sampling see it. A text is scored
 * as BOS followed by its tokens; a text longer than the window is scored in overlapping windows that
 * advance by {@code stride} tokens, each token scored exactly once with at least
 * {@code window - stride} tokens of context (the sliding-window perplexity of transformers' docs).
 */
public final class TransformerLanguageModel implements LanguageModel {
    private final String name;
    private final LlamaModel model;
    private final HfTokenizer tokenizer;
    private final int window;
    private final int stride;

    /**
     * @param window tokens per forward pass, at most the model's max_position_embeddings
     * @param stride new tokens scored per window, in [1, window - 1]
     */
    public TransformerLanguageModel(String name, LlamaModel model, HfTokenizer tokenizer, int window, int stride) {
        if (window < 2 || window > model.config().maxPositionEmbeddings()) {
            throw new IllegalArgumentException("window " + window + " must be in [2, max_position_embeddings "
                    + model.config().maxPositionEmbeddings() + "]");
        }
        if (stride < 1 || stride >= window) {
            throw new IllegalArgumentException("stride " + stride + " must be in [1, window - 1 = " + (window - 1) + "]");
        }
        if (tokenizer.vocabSize() > model.config().vocabSize()) {
            throw new IllegalArgumentException("tokenizer " + tokenizer.file() + " has " + tokenizer.vocabSize()
                    + " tokens but the model's vocab_size is " + model.config().vocabSize());
        }
        this.name = name;
        this.model = model;
        this.tokenizer = tokenizer;
        this.window = window;
        this.stride = stride;
    }

    public LlamaModel model() {
        return model;
    }

    public HfTokenizer tokenizer() {
        return tokenizer;
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public String unit() {
        return "token";
    }

    @Override
    public ScoredText score(String text) {
        HfTokenizer.Encoded encoded = tokenizer.encode(text);
        long[] sequence = withBos(encoded.ids());
        double[] logProbs = new double[encoded.ids().length];
        // targets [scored, end) use context [begin, target); every target keeps window - stride tokens of context
        for (int scored = 1; scored < sequence.length; ) {
            int end = Math.min(scored + stride, sequence.length);
            int begin = Math.max(0, end - window);
            float[] windowLogProbs = targetLogProbs(Arrays.copyOfRange(sequence, begin, end));
            for (int target = scored; target < end; target++) {
                logProbs[target - 1] = windowLogProbs[target - begin - 1];
            }
            scored = end;
        }
        return new ScoredText(logProbs, encoded.charEnds());
    }

    /** log p(tokens[i + 1] | tokens[0..i]) for every i, in one forward pass. */
    private float[] targetLogProbs(long[] tokens) {
        int t = tokens.length - 1;
        try (NDManager scope = model.manager().newSubManager()) {
            NDArray inputs = scope.create(Arrays.copyOf(tokens, t), new Shape(1, t));
            NDArray targets = scope.create(Arrays.copyOfRange(tokens, 1, t + 1), new Shape(1, t));
            return LlamaModel.targetLogProbs(model.forward(inputs), targets).toFloatArray();
        }
    }

    private long[] withBos(long[] ids) {
        long[] sequence = new long[ids.length + 1];
        sequence[0] = model.config().bosTokenId();
        System.arraycopy(ids, 0, sequence, 1, ids.length);
        return sequence;
    }

    @Override
    public Decoder decoder(String prompt) {
        return new CachedDecoder(withBos(tokenizer.encode(prompt).ids()));
    }

    /**
     * Incremental decoding with a key/value cache: each accepted token costs one position of work.
     * When the window is full the cache restarts from the last half window of tokens.
     */
    private final class CachedDecoder implements Decoder {
        private long[] tokens;
        private int length;
        private final int promptLength;
        private LlamaModel.KvCache cache;
        private float[] next;

        CachedDecoder(long[] prompt) {
            tokens = Arrays.copyOf(prompt, Math.max(16, prompt.length * 2));
            length = prompt.length;
            promptLength = prompt.length;
            int keep = Math.min(length, window);
            prefill(length - keep);
        }

        /** Rebuilds the cache from tokens[from, length). */
        private void prefill(int from) {
            if (cache != null) {
                cache.close();
            }
            cache = model.newCache();
            next = read(Arrays.copyOfRange(tokens, from, length));
        }

        private float[] read(long[] ids) {
            try (NDManager scope = model.manager().newSubManager()) {
                NDArray hidden = model.hiddenStates(scope.create(ids, new Shape(1, ids.length)), null, cache);
                // only the last position's logits are needed: (1, T, hidden) -> (1, 1, hidden)
                return model.logits(hidden.get(":, -1:, :")).toFloatArray();
            }
        }

        @Override
        public int[] promptUnitIds() {
            return Arrays.stream(tokens, 0, promptLength).mapToInt(Math::toIntExact).toArray();
        }

        @Override
        public float[] nextLogits() {
            return next.clone();
        }

        @Override
        public void accept(int unitId) {
            if (length == tokens.length) {
                tokens = Arrays.copyOf(tokens, tokens.length * 2);
            }
            tokens[length++] = unitId;
            if (cache.length() + 1 > window) {
                prefill(length - window / 2);
            } else {
                next = read(new long[] {unitId});
            }
        }

        @Override
        public int endId() {
            return model.config().eosTokenId();
        }

        @Override
        public String decode(int[] unitIds) {
            return tokenizer.decode(Arrays.stream(unitIds).asLongStream().toArray());
        }

        @Override
        public void close() {
            cache.close();
        }
    }

    @Override
    public void close() {
        tokenizer.close();
        model.close();
    }
}
