package dev.lyrics.core;

/** A quality gate failed (perplexity regressed); the message says which check and how to accept it. */
public class GateException extends LyricsException {
    public GateException(String message) {
        super(message);
    }
}
