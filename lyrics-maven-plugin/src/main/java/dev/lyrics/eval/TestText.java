package dev.lyrics.eval;

import java.nio.charset.StandardCharsets;

/**
 * One test item as a model reads it, and where its response (the song's lyrics) lies in it.
 *
 * @param id            where it comes from, for messages ("test.json[3]")
 * @param text          what the model scores
 * @param responseStart char index where the lyrics begin
 * @param responseEnd   char index just after the lyrics
 */
public record TestText(String id, String text, int responseStart, int responseEnd) {
    public TestText {
        if (responseStart < 0 || responseStart > responseEnd || responseEnd > text.length()) {
            throw new IllegalArgumentException(id + ": response span [" + responseStart + ", " + responseEnd
                    + ") is not inside a text of " + text.length() + " chars");
        }
    }

    public String response() {
        return text.substring(responseStart, responseEnd);
    }

    /** UTF-8 bytes of the lyrics: the denominator of bits per byte. */
    public long responseBytes() {
        return response().getBytes(StandardCharsets.UTF_8).length;
    }

    /** Whitespace-separated words of the lyrics: the denominator of per-word perplexity. */
    public long responseWords() {
        String trimmed = response().strip();
        return trimmed.isEmpty() ? 0 : trimmed.split("\\s+").length;
    }
}
