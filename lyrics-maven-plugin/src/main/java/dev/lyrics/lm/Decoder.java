package dev.lyrics.lm;

/** Incremental decoding state: the model has read a prompt and every unit accepted since. */
public interface Decoder extends AutoCloseable {
    /**
     * The units of the prompt as the model read it (BOS first, where the model has one). Sampling
     * counts them as already seen for the repetition penalty, as Hugging Face's generate() does.
     */
    int[] promptUnitIds();

    /** Unnormalised scores over the vocabulary for the next unit. */
    float[] nextLogits();

    /** Appends a chosen unit (the next call to nextLogits conditions on it). */
    void accept(int unitId);

    /** The unit that ends a sample (EOS, or &lt;|song_end|&gt; for recurrent models). */
    int endId();

    /** Text of the given units, as they would appear after the prompt. */
    String decode(int[] unitIds);

    @Override
    void close();
}
