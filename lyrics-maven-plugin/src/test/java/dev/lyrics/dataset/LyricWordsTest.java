package dev.lyrics.dataset;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** The one rule by which the scrape skips a page and preprocess rejects a song. */
class LyricWordsTest {
    @Test
    void bracketsPunctuationAndNothingAreNoWords() {
        for (String lyrics : new String[] {"", "...", "[?]", "[Produced by X]\n[Mixed by Y & Z]", "[Verse 1]\n[?]\n\n[Chorus]\n[?]",
            "[Verse [1]]", " [Intro] - [?] "}) {
            assertFalse(LyricWords.hasWordsOutsideBrackets(lyrics), lyrics);
        }
    }

    @Test
    void aLetterOrDigitOutsideBracketsIsAWord() {
        for (String lyrics : new String[] {"[Intro]\nYeah", "Lyrics [?] more", "7", "[Verse 1\nan unclosed header keeps its words",
            "Ésa", "[Chorus]\n\u4e00"}) {
            assertTrue(LyricWords.hasWordsOutsideBrackets(lyrics), lyrics);
        }
    }
}
