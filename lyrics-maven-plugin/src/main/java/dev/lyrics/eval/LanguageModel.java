package dev.lyrics.eval;

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
     */
    ScoredText score(String text);

    /** Starts incremental decoding after a prompt. */
    Decoder decoder(String prompt);

    @Override
    void close();
}
