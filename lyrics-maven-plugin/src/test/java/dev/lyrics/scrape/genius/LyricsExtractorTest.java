package dev.lyrics.scrape.genius;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import dev.lyrics.scrape.genius.LyricsExtractor.Extraction;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** Every page structure Genius has used, as hand-written fixtures under src/test/resources/genius/pages. */
class LyricsExtractorTest {

    static String fixture(String name) {
        try (InputStream in = LyricsExtractorTest.class.getResourceAsStream("/genius/pages/" + name)) {
            if (in == null) {
                throw new IllegalArgumentException("no fixture " + name);
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static String lyrics(String fixture) {
        Extraction extraction = LyricsExtractor.extract(fixture(fixture));
        assertNull(extraction.skipReason(), fixture + " skipped");
        return extraction.lyrics();
    }

    private static String skipReason(String html) {
        Extraction extraction = LyricsExtractor.extract(html);
        assertNull(extraction.lyrics());
        return extraction.skipReason();
    }

    @Test
    void divLyricsOf2019KeepsLinesOnceDespiteSourceNewlines() {
        assertEquals("""
                [Intro]
                Yeah, uh-huh

                [Verse 1: Old Artist]
                First line of the verse
                second line & more
                Third line, it's here — and there

                [Chorus]
                Sing it loud now
                Last line""", lyrics("2019-div-lyrics.html"));
    }

    @Test
    void styledContainersOf2020AreJoinedAndTheFooterIsNot() {
        assertEquals("""
                [Verse 1]
                Styled line one
                Styled line two
                Styled line three

                [Outro]
                Styled last line""", lyrics("2020-styled-containers.html"));
    }

    @Test
    void containersOf2022DropAdsWidgetsAndTheEmbedCounter() {
        assertEquals("""
                [Verse 1]
                Line one of the first verse
                Line two
                Line three
                Line four

                [Chorus]
                Chorus line one
                Chorus line two

                [Verse 2]
                Second verse line
                Another one""", lyrics("2022-containers-with-ads.html"));
    }

    @Test
    void headerOutsideTheContainersOf2023IsIgnored() {
        assertEquals("""
                [Intro: Header Artist]
                Ooh

                [Verse 1: Header Artist & Guest]
                I'm outside the header now
                Lines with spaces
                Zero width gone""", lyrics("2023-header-outside.html"));
    }

    @Test
    void headerInsideTheFirstContainerOf2025IsDropped() {
        assertEquals("""
                [Verse 1: JAY-Z]
                The header moved in
                But it stays out of the lyrics
                [Chorus]
                Inside, inside""", lyrics("2025-header-inside.html"));
    }

    @Test
    void annotationsKeepTheirTextWithoutExtraLineBreaks() {
        assertEquals("""
                [Verse 1]
                Hello world again
                First annotated line
                second annotated line, in italics

                new stanza inside the same annotation
                Plain line after""", lyrics("annotations.html"));
    }

    @Test
    void sectionHeadersSplitAcrossTagsAreWholeLines() {
        assertEquals("""
                [Verse 1]
                Split header verse

                [Chorus: Kendrick Lamar & SZA]
                Bold header chorus

                [Outro]
                Italic header outro""", lyrics("split-headers.html"));
    }

    @Test
    void placeholderPagesAreSkippedNotEmptySongs() {
        assertEquals("instrumental", skipReason(fixture("instrumental.html")));
        assertEquals("not-transcribed", skipReason(fixture("untranscribed.html")));
        assertEquals("not-transcribed", skipReason(
                "<div class=\"lyrics\"><p>Lyrics for this song have yet to be transcribed.</p></div>"));
        assertEquals("instrumental", skipReason("<div class=\"lyrics\"><p>[Instrumental]</p></div>"));
    }

    @Test
    void theTextIsNormalisedExactlyAsTheReadmeSays() {
        String page = "<div data-lyrics-container=\"true\">[Verse 1: A\u00a0&amp;\u202fB]<br>"
                + "  \u201cDon\u2019t\u201d \u2014 she said\u00a0\u00a0 twice  <br>"
                + "zero\u200bwidth\u2060gone\ufeff<br><br><br><br>\t[Chorus]  <br>last\u2007line \u200d</div>";
        assertEquals("[Verse 1: A & B]\n\u201cDon\u2019t\u201d \u2014 she said twice\nzerowidthgone\n\n[Chorus]\nlast line",
                LyricsExtractor.extract(page).lyrics());
    }

    @Test
    void aPageOfOnlyBracketsIsSkippedByPreprocesssRule() {
        assertEquals("no-words-outside-brackets", skipReason("<div data-lyrics-container=\"true\">[?]</div>"));
        assertEquals("no-words-outside-brackets", skipReason(
                "<div data-lyrics-container=\"true\">[Produced by X]<br>[Mixed by Y &amp; Z]</div>"));
        assertEquals("no-words-outside-brackets", skipReason(
                "<div data-lyrics-container=\"true\">[Verse 1]<br>[?]<br><br>[Chorus]<br>[?]</div>"));
        assertEquals("[Intro]\nYeah", LyricsExtractor.extract("<div data-lyrics-container=\"true\">[Intro]<br>Yeah</div>").lyrics());
    }

    @Test
    void anAdStandingBetweenTwoLinesIsAVerseBreak() {
        String expected = "Line A\n\n[Chorus]\nLine B";
        assertEquals(expected, LyricsExtractor.extract("<div data-lyrics-container=\"true\">Line A<br>"
                + "<div data-exclude-from-selection=\"true\" class=\"InreadContainer__Container-sc-19040w5-0\"></div>"
                + "[Chorus]<br>Line B</div>").lyrics());
        assertEquals(expected, LyricsExtractor.extract(
                "<div data-lyrics-container=\"true\">Line A<br><inread-ad></inread-ad>[Chorus]<br>Line B</div>").lyrics());
        assertEquals(expected, LyricsExtractor.extract("<div data-lyrics-container=\"true\">Line A<br><br>"
                + "<inread-ad></inread-ad>[Chorus]<br>Line B</div>").lyrics(), "an ad beside a blank line adds none");
        assertEquals("[Chorus]\nLine B", LyricsExtractor.extract("<div data-lyrics-container=\"true\">"
                + "<div data-exclude-from-selection=\"true\">12 Contributors</div><inread-ad></inread-ad>[Chorus]<br>Line B"
                + "<inread-ad></inread-ad></div>").lyrics(), "an ad before the first line or after the last is no break");
    }

    @Test
    void anUntranscribedMessageInsideAnExcludedBlockIsNotTranscribed() {
        assertEquals("not-transcribed", skipReason("<div class=\"Lyrics__Container-sc-68a46031-1\">"
                + "<div data-exclude-from-selection=\"true\"><div>Lyrics for this song have yet to be transcribed…</div></div></div>"));
    }

    @Test
    void aPageWithoutAContainerSaysSo() {
        assertEquals("no-lyrics-container", skipReason(fixture("no-container.html")));
        assertEquals("no-lyrics", skipReason(
                "<div data-lyrics-container=\"true\"><div data-exclude-from-selection=\"true\">12 Contributors</div></div>"));
    }
}
