package dev.lyrics.lm;

import java.util.List;
import java.util.Optional;

/**
 * What evaluation and sampling need of any model, transformer or recurrent, so that perplexity
 * and generation treat them alike. Units are the model's own: BPE tokens, characters or words.
 */
public interface LanguageModel extends AutoCloseable {
    /** The model's name in tables and outputs ("base", "finetuned", "rnn-lstm-char"). */
    String name();

    /** What one unit is: "token", "char" or "word". */
    String unit();

    /**
     * Scores a text: the natural-log probability of each of its units given every unit before it
     * (the model's start state first: BOS for a transformer, a reset hidden state for an RNN).
     * A transformer scores texts longer than its context with {@link #window()}, every unit once.
     */
    ScoredText score(String text);

    /**
     * Scores several texts, each as {@link #score(String)} would. lyrics:perplexity calls this once
     * per batch of its batchSize. Implementations run the texts (or their windows) as batched
     * forward passes, without gradients, with every array made for the batch in an NDManager
     * sub-scope closed before returning, so native memory stays flat over an evaluation.
     */
    default List<ScoredText> score(List<String> texts) {
        return texts.stream().map(this::score).toList();
    }

    /**
     * How {@link #score(String)} cuts a text longer than the context: the ids (BOS first) are
     * scored window by window as {@link SlidingWindow#plan} says, and the result has one entry per
     * id after BOS. Empty when the model reads any length at once (a recurrent model carries its
     * state). The study's figure averages per window, so this must describe what score() did.
     */
    default Optional<SlidingWindow> window() {
        return Optional.empty();
    }

    /** Starts incremental decoding after a prompt. */
    Decoder decoder(String prompt);

    @Override
    void close();
}
