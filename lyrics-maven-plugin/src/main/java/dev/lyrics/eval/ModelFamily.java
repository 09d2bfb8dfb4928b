package dev.lyrics.eval;

import java.util.Locale;

/** The two kinds of model the study compares; each reads the test split in its own form. */
public enum ModelFamily {
    /** The base and fine-tuned decoders: each test record rendered with the Alpaca template. */
    TRANSFORMER,
    /** The RNN, LSTM and GRU models: each test song as a block of test_lyrics.txt. */
    RECURRENT;

    /** The name used in outputs ("transformer"). */
    public String id() {
        return name().toLowerCase(Locale.ROOT);
    }
}
