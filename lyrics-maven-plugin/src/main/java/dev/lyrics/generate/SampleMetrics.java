package dev.lyrics.generate;

import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * What the report shows of each sample, all over {@link LyricText}'s reading of it.
 *
 * @param words              lyric words
 * @param lines              non-blank lines
 * @param distinct1          distinct-1 (Li et al. 2016): unique words / words; 0 without words
 * @param distinct2          distinct-2: unique word bigrams / bigrams, bigrams running across line ends
 * @param repeatedLineRate   share of lyric lines whose words equal those of an earlier lyric line of
 *                           the same text (a chorus sung twice counts its second time); 0 without lines
 * @param sectionTagShare    share of non-blank lines that are a section tag ("[Chorus]")
 * @param longestCopiedSpan  the most consecutive words the text shares verbatim with one training song
 * @param copiedSpan         those words, so a reader can judge them
 */
public record SampleMetrics(
        @JsonProperty("words") int words,
        @JsonProperty("lines") int lines,
        @JsonProperty("distinct_1") double distinct1,
        @JsonProperty("distinct_2") double distinct2,
        @JsonProperty("repeated_line_rate") double repeatedLineRate,
        @JsonProperty("section_tag_share") double sectionTagShare,
        @JsonProperty("longest_copied_span") int longestCopiedSpan,
        @JsonProperty("copied_span") String copiedSpan) {

    public static SampleMetrics of(String text, CopyIndex training) {
        LyricText lyrics = new LyricText(text);
        List<String> words = lyrics.words();
        CopyIndex.Span span = training.longestCopiedSpan(words);
        return new SampleMetrics(
                words.size(),
                lyrics.lines().size(),
                rounded(distinct(words, 1)),
                rounded(distinct(words, 2)),
                rounded(repeatedLineRate(lyrics.lyricLines())),
                rounded(share(lyrics.sectionTagLines(), lyrics.lines().size())),
                span.length(),
                String.join(" ", words.subList(span.start(), span.start() + span.length())));
    }

    /** Unique n-grams over n-grams; 0 when the text has fewer than n words. */
    static double distinct(List<String> words, int n) {
        int total = words.size() - n + 1;
        if (total <= 0) {
            return 0;
        }
        Set<List<String>> unique = new HashSet<>();
        for (int i = 0; i < total; i++) {
            unique.add(words.subList(i, i + n));
        }
        return (double) unique.size() / total;
    }

    static double repeatedLineRate(List<String> lyricLines) {
        Set<List<String>> earlier = new HashSet<>();
        int repeated = 0;
        for (String line : lyricLines) {
            if (!earlier.add(LyricText.words(line))) {
                repeated++;
            }
        }
        return share(repeated, lyricLines.size());
    }

    private static double share(int part, int whole) {
        return whole == 0 ? 0 : (double) part / whole;
    }

    /** Four decimals: enough to compare, and stable JSON. */
    static double rounded(double value) {
        return Math.round(value * 10_000) / 10_000.0;
    }
}
