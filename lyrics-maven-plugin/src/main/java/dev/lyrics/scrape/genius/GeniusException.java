package dev.lyrics.scrape.genius;

import dev.lyrics.core.LyricsException;

/**
 * Genius refused or failed a request in a way retrying now will not fix: the token was rejected,
 * Cloudflare blocked us, retries ran out, or a response made no sense. The message names the URL
 * (never the token) and what to do.
 */
public class GeniusException extends LyricsException {
    public GeniusException(String message) {
        super(message);
    }

    public GeniusException(String message, Throwable cause) {
        super(message, cause);
    }
}
