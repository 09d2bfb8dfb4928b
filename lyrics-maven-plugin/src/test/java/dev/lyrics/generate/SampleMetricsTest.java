package dev.lyrics.generate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class SampleMetricsTest {
    private static final CopyIndex NO_TRAINING = new CopyIndex(List.of());

    @Test
    void distinctNOnAHandExample() {
        List<String> words = List.of("la", "la", "la", "da");
        assertEquals(0.5, SampleMetrics.distinct(words, 1)); // {la, da} of 4
        assertEquals(2.0 / 3, SampleMetrics.distinct(words, 2)); // {la la, la da} of 3
        assertEquals(0.0, SampleMetrics.distinct(List.of("la"), 2));

        SampleMetrics metrics = SampleMetrics.of("La, la!\nla da", NO_TRAINING);
        assertEquals(4, metrics.words());
        assertEquals(0.5, metrics.distinct1());
        assertEquals(0.6667, metrics.distinct2());
    }

    @Test
    void linesTagsAndRepeatsOnAHandExample() {
        String text = "[Chorus]\nLa la\nDa da\n\nla, LA!\n[Verse 1: Kendrick Lamar]\na new line\n";
        SampleMetrics metrics = SampleMetrics.of(text, NO_TRAINING);
        assertEquals(6, metrics.lines());
        assertEquals(0.3333, metrics.sectionTagShare()); // 2 tags of 6 lines
        assertEquals(0.25, metrics.repeatedLineRate()); // "la, LA!" repeats "La la": 1 of 4 lyric lines
        assertEquals(9, metrics.words(), "tags are not lyrics");
    }

    @Test
    void findsAPlantedCopy() {
        List<List<String>> training = List.of(
                words("the lord is my shepherd i shall not want"),
                words("he maketh me to lie down in green pastures he leadeth me beside the still waters"));
        CopyIndex index = new CopyIndex(training);
        String sample = "Money on my mind\nHe leadeth me beside the still waters, yeah\nhe maketh me";
        SampleMetrics metrics = SampleMetrics.of(sample, index);
        assertEquals(7, metrics.longestCopiedSpan());
        assertEquals("he leadeth me beside the still waters", metrics.copiedSpan());
    }

    @Test
    void aCopyDoesNotRunAcrossTwoSongs() {
        CopyIndex index = new CopyIndex(List.of(words("a b c d"), words("e f g h")));
        assertEquals(new CopyIndex.Span(0, 2), index.longestCopiedSpan(words("c d e f")));
        assertEquals(new CopyIndex.Span(0, 0), index.longestCopiedSpan(words("x y")));
    }

    @Test
    void longestCopiedSpanMatchesBruteForce() {
        Random random = new Random(3407);
        for (int round = 0; round < 200; round++) {
            List<List<String>> songs = new ArrayList<>();
            for (int s = 0; s < 1 + random.nextInt(4); s++) {
                songs.add(randomWords(random, random.nextInt(40)));
            }
            List<String> query = randomWords(random, random.nextInt(30));
            CopyIndex.Span span = new CopyIndex(songs).longestCopiedSpan(query);
            assertEquals(bruteForceLongest(songs, query), span.length(), "round " + round);
            List<String> found = query.subList(span.start(), span.start() + span.length());
            assertTrue(span.length() == 0 || songs.stream().anyMatch(song -> containsRun(song, found)));
        }
    }

    private static List<String> randomWords(Random random, int count) {
        List<String> out = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            out.add(String.valueOf((char) ('a' + random.nextInt(3))));
        }
        return out;
    }

    private static int bruteForceLongest(List<List<String>> songs, List<String> query) {
        int best = 0;
        for (int start = 0; start < query.size(); start++) {
            for (int end = start + 1; end <= query.size(); end++) {
                List<String> run = query.subList(start, end);
                if (songs.stream().anyMatch(song -> containsRun(song, run))) {
                    best = Math.max(best, run.size());
                }
            }
        }
        return best;
    }

    private static List<String> words(String text) {
        return Arrays.asList(text.split(" "));
    }

    private static boolean containsRun(List<String> song, List<String> run) {
        return Collections.indexOfSubList(song, run) >= 0;
    }
}
