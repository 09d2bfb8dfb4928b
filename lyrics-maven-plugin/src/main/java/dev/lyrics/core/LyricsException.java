package dev.lyrics.core;

/**
 * A failure the user can fix: bad configuration, bad input data or a failed quality gate.
 * The message says what is wrong and what to change; the mojo layer turns it into a build failure.
 */
public class LyricsException extends RuntimeException {
    public LyricsException(String message) {
        super(message);
    }

    public LyricsException(String message, Throwable cause) {
        super(message, cause);
    }
}
