package dev.lyrics.dataset;

import dev.lyrics.core.LyricsException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Songs that share text. Two songs overlap when at least {@code threshold} of the smaller song's
 * word 5-shingles (normalised: lowercase, punctuation dropped, whitespace collapsed) also occur
 * in the other: containment rather than Jaccard, because a song quoted whole inside a longer one
 * (an excerpt, a radio edit, Psalm 70 inside Psalm 40) leaks all of itself while their Jaccard
 * stays small. An exact duplicate overlaps at 1.0.
 */
public final class SongOverlaps {
    /** Shingle length in words: long enough that shared stock phrases ("the LORD") do not count. */
    public static final int SHINGLE_WORDS = 5;

    private static final Pattern NOT_WORD = Pattern.compile("[^\\p{L}\\p{M}\\p{N}]+");

    /**
     * Two overlapping songs, as indices into the list searched.
     *
     * @param first       the smaller index
     * @param second      the larger index
     * @param containment shared shingles over the shingles of the smaller song, in (0, 1]
     */
    public record Pair(int first, int second, double containment) {}

    private SongOverlaps() {}

    /** Every pair of songs that overlap at least {@code threshold}, ordered by (first, second). */
    public static List<Pair> find(List<Song> songs, double threshold) {
        List<Set<String>> shingles = songs.stream().map(s -> shingles(s.lyrics())).toList();
        // inverted index, shingle -> songs seen so far, so only songs sharing something are compared
        Map<String, List<Integer>> songsWith = new HashMap<>();
        List<Pair> pairs = new ArrayList<>();
        for (int second = 0; second < songs.size(); second++) {
            int[] shared = new int[second];
            for (String shingle : shingles.get(second)) {
                List<Integer> earlier = songsWith.computeIfAbsent(shingle, k -> new ArrayList<>());
                for (int first : earlier) {
                    shared[first]++;
                }
                earlier.add(second);
            }
            for (int first = 0; first < second; first++) {
                if (shared[first] == 0) {
                    continue;
                }
                double containment = (double) shared[first]
                        / Math.min(shingles.get(first).size(), shingles.get(second).size());
                if (containment >= threshold) {
                    pairs.add(new Pair(first, second, containment));
                }
            }
        }
        return pairs;
    }

    /**
     * The songs 0..count-1 as groups of songs connected by overlapping pairs (transitively), each
     * group in index order, groups ordered by their first index. A song with no overlap is a group of one.
     */
    public static List<List<Integer>> groups(int count, List<Pair> pairs) {
        int[] parent = new int[count];
        for (int i = 0; i < count; i++) {
            parent[i] = i;
        }
        for (Pair pair : pairs) {
            int a = root(parent, pair.first());
            int b = root(parent, pair.second());
            parent[Math.max(a, b)] = Math.min(a, b);
        }
        Map<Integer, List<Integer>> byRoot = new HashMap<>();
        List<List<Integer>> groups = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            List<Integer> group = byRoot.computeIfAbsent(root(parent, i), r -> new ArrayList<>());
            if (group.isEmpty()) {
                groups.add(group);
            }
            group.add(i);
        }
        return groups;
    }

    /**
     * Fails when a test song overlaps a train song: its text would be known to the model before it
     * is scored. The message names every such pair, both titles and artists.
     */
    public static void requireNoLeakage(List<Song> train, List<Song> test, double threshold) {
        List<Song> all = new ArrayList<>(train);
        all.addAll(test);
        List<String> leaks = new ArrayList<>();
        for (Pair pair : find(all, threshold)) {
            if (pair.first() < train.size() && pair.second() >= train.size()) {
                leaks.add("train " + describe(all.get(pair.first())) + " and test " + describe(all.get(pair.second()))
                        + String.format(Locale.ROOT, " (%.0f%% shared)", 100 * pair.containment()));
            }
        }
        if (!leaks.isEmpty()) {
            throw new LyricsException("leakage: " + leaks.size() + " test song(s) share at least "
                    + String.format(Locale.ROOT, "%.0f%%", 100 * threshold) + " of their " + SHINGLE_WORDS
                    + "-word phrases with a train song: " + String.join("; ", leaks));
        }
    }

    /** "Psalm 14" by David. */
    public static String describe(Song song) {
        return "\"" + song.title() + "\" by " + song.artist();
    }

    /** Lowercase words without punctuation, single-space separated. */
    private static String normalise(String lyrics) {
        return NOT_WORD.matcher(lyrics.toLowerCase(Locale.ROOT)).replaceAll(" ").strip();
    }

    /** The song's distinct runs of {@link #SHINGLE_WORDS} words; a shorter song is one shingle. */
    static Set<String> shingles(String lyrics) {
        String normal = normalise(lyrics);
        Set<String> out = new LinkedHashSet<>();
        if (normal.isEmpty()) {
            return out;
        }
        List<String> words = List.of(normal.split(" "));
        for (int i = 0; i <= Math.max(words.size() - SHINGLE_WORDS, 0); i++) {
            out.add(String.join(" ", words.subList(i, Math.min(words.size(), i + SHINGLE_WORDS))));
        }
        return out;
    }

    private static int root(int[] parent, int i) {
        while (parent[i] != i) {
            parent[i] = parent[parent[i]];
            i = parent[i];
        }
        return i;
    }
}
