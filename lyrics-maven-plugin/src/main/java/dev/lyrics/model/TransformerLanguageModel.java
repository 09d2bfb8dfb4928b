package dev.lyrics.model;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.lyrics.lm.Decoder;
import dev.lyrics.lm.LanguageModel;
import dev.lyrics.lm.ScoredText;
import dev.lyrics.lm.SlidingWindow;
import dev.lyrics.tokenizer.HfTokenizer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;

/**
 * A decoder-only transformer with its tokenizer, as evaluation and sampling see it.
 *
 * <p>A text is scored as a whole training example reads it: BOS, its tokens, EOS. Fine-tuning
 * appends EOS after every Alpaca response (train.TrainingExample), as the study's script did
 * (its texts ended with EOS_TOKEN), so the model learnt where a song ends and perplexity counts
 * that prediction too; the EOS entry of a {@link ScoredText} ends one past the text's length: it
 * is part of the response (response perplexity) but no char of the lyrics (bits per byte, word
 * perplexity). Texts longer than the context are cut by {@link SlidingWindow}, every
 * token scored exactly once.
 */
public final class TransformerLanguageModel implements LanguageModel {
    private final String name;
    private final LlamaModel model;
    private final HfTokenizer tokenizer;
    private final SlidingWindow window;

    /** @param window how texts longer than the context are cut; its context is at most the model's max_position_embeddings */
    public TransformerLanguageModel(String name, LlamaModel model, HfTokenizer tokenizer, SlidingWindow window) {
        if (window.context() > model.config().maxPositionEmbeddings()) {
            throw new IllegalArgumentException("context " + window.context() + " is beyond max_position_embeddings "
                    + model.config().maxPositionEmbeddings());
        }
        if (tokenizer.vocabSize() > model.config().vocabSize()) {
            throw new IllegalArgumentException("tokenizer " + tokenizer.file() + " has " + tokenizer.vocabSize()
                    + " tokens but the model's vocab_size is " + model.config().vocabSize());
        }
        this.name = name;
        this.model = model;
        this.tokenizer = tokenizer;
        this.window = window;
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
    public Optional<SlidingWindow> window() {
        return Optional.of(window);
    }

    @Override
    public ScoredText score(String text) {
        return score(List.of(text)).get(0);
    }

    /** One window of one text, waiting for its forward pass. */
    private record Pending(int text, SlidingWindow.Window window) {
        int length() {
            return window.end() - window.begin();
        }
    }

    /**
     * Every window of every text, longest first, in forward passes of as many rows as there are
     * texts: rows of one pass are alike in length, so little of a pass is padding.
     */
    @Override
    public List<ScoredText> score(List<String> texts) {
        List<long[]> sequences = new ArrayList<>();
        List<int[]> unitEnds = new ArrayList<>();
        List<Pending> pending = new ArrayList<>();
        for (int i = 0; i < texts.size(); i++) {
            HfTokenizer.Encoded encoded = tokenizer.encode(texts.get(i));
            long[] sequence = framed(encoded.ids(), true);
            int[] ends = Arrays.copyOf(encoded.charEnds(), encoded.ids().length + 1);
            ends[ends.length - 1] = texts.get(i).length() + 1;
            sequences.add(sequence);
            unitEnds.add(ends);
            for (SlidingWindow.Window w : window.plan(sequence.length)) {
                pending.add(new Pending(i, w));
            }
        }
        pending.sort(Comparator.comparingInt(Pending::length).reversed());
        double[][] logProbs = new double[texts.size()][];
        for (int i = 0; i < texts.size(); i++) {
            logProbs[i] = new double[sequences.get(i).length - 1];
        }
        int rows = Math.max(1, texts.size());
        for (int from = 0; from < pending.size(); from += rows) {
            scoreBatch(pending.subList(from, Math.min(from + rows, pending.size())), sequences, logProbs);
        }
        List<ScoredText> scored = new ArrayList<>();
        for (int i = 0; i < texts.size(); i++) {
            scored.add(new ScoredText(logProbs[i], unitEnds.get(i)));
        }
        return scored;
    }

    /**
     * One forward pass over windows padded on the right to the longest. No attention mask is
     * needed for the padding: the causal mask already keeps every real position from seeing the
     * positions after it, so a padded row computes exactly what the window alone would. Entry p - 1
     * of a text's log-probs is position p of its sequence (position 0, BOS, is never scored).
     */
    private void scoreBatch(List<Pending> batch, List<long[]> sequences, double[][] logProbs) {
        int rows = batch.size();
        int t = batch.get(0).length() - 1;
        long[] inputs = new long[rows * t];
        long[] targets = new long[rows * t];
        Arrays.fill(inputs, model.config().eosTokenId());
        for (int r = 0; r < rows; r++) {
            SlidingWindow.Window w = batch.get(r).window();
            long[] sequence = sequences.get(batch.get(r).text());
            System.arraycopy(sequence, w.begin(), inputs, r * t, w.end() - w.begin() - 1);
            System.arraycopy(sequence, w.begin() + 1, targets, r * t, w.end() - w.begin() - 1);
        }
        float[] windowLogProbs;
        try (NDManager scope = model.manager().newSubManager()) {
            // (B, T) -> hidden states (B, T, hidden) -> log p(target) (B, T)
            windowLogProbs = model.logProbsOf(model.hiddenStates(scope.create(inputs, new Shape(rows, t)), null, null),
                    scope.create(targets, new Shape(rows, t))).toFloatArray();
        }
        for (int r = 0; r < rows; r++) {
            SlidingWindow.Window w = batch.get(r).window();
            double[] textLogProbs = logProbs[batch.get(r).text()];
            for (int position = w.scoreFrom(); position < w.end(); position++) {
                textLogProbs[position - 1] = windowLogProbs[r * t + position - w.begin() - 1];
            }
        }
    }

    @Override
    public Decoder decoder(String prompt) {
        return new CachedDecoder(framed(tokenizer.encode(prompt).ids(), false));
    }

    /** BOS and the ids, then EOS when they are a whole text (a prompt goes on). */
    private long[] framed(long[] ids, boolean whole) {
        long[] sequence = new long[ids.length + (whole ? 2 : 1)];
        sequence[0] = model.config().bosTokenId();
        System.arraycopy(ids, 0, sequence, 1, ids.length);
        if (whole) {
            sequence[sequence.length - 1] = model.config().eosTokenId();
        }
        return sequence;
    }

    /**
     * Incremental decoding with a key/value cache: each accepted token costs one position of work.
     * When the context is full the cache restarts from the last half context of tokens.
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
            prefill(length - Math.min(length, window.context()));
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
                // only the last position's logits are needed: (1, T, hidden) -> (1, 1, hidden)
                return model.logits(model.hiddenStates(scope.create(ids, new Shape(1, ids.length)), null, cache)
                        .get(":, -1:, :")).toFloatArray();
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
            if (cache.length() + 1 > window.context()) {
                prefill(length - window.context() / 2);
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
