package dev.lyrics.dataset;

import java.util.regex.Pattern;

/**
 * Whether lyrics hold any words of their own: a letter or digit outside square brackets. Section
 * headers ("[Verse 1: JAY-Z]"), credits ("[Produced by X]") and Genius' "lyrics unknown"
 * placeholder ("[?]") are bracketed, so a text made only of them is no song. The scrape skips such
 * pages and preprocess rejects such songs by this one rule, so a song the scrape keeps always
 * passes preprocess.
 */
public final class LyricWords {
    /** A bracketed span within one line, innermost first when nested. */
    private static final Pattern BRACKETED = Pattern.compile("\\[[^\\[\\]\\n]*]");
    private static final Pattern WORD_CHARACTER = Pattern.compile("[\\p{L}\\p{N}]");

    private LyricWords() {}

    /** True when a letter or digit is left once every bracketed span is removed. */
    public static boolean hasWordsOutsideBrackets(String lyrics) {
        String text = lyrics;
        String previous;
        do {
            previous = text;
            text = BRACKETED.matcher(text).replaceAll(" ");
        } while (!text.equals(previous));
        return WORD_CHARACTER.matcher(text).find();
    }
}
