package dev.lyrics.train;

import dev.lyrics.core.LyricsException;

/** The loss or the gradients stopped being finite numbers: training stops and nothing is published. */
public class TrainingDivergedException extends LyricsException {
    public TrainingDivergedException(String message) {
        super(message);
    }
}
