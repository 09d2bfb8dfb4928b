package dev.lyrics.dataset;

import dev.lyrics.core.ConfigException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;

/**
 * A seeded train/test split by song, stratified by artist. Songs that overlap (see
 * {@link SongOverlaps}) are grouped first and a group goes to one side whole, so no text of a
 * test song is seen in training.
 *
 * <p>Deterministic whatever the input order: songs are sorted by (artist, title, source, lyrics)
 * before the seeded shuffle. The test set has round(testFraction x songs) songs, shared among
 * artists in proportion to their songs (largest remainders get the rounding), so 299 songs of
 * three artists give the study's 239 / 60 split; a group larger than what is left of its artist's
 * share can make the test set slightly bigger.
 *
 * @param train    the training songs, in input order
 * @param test     the test songs, in input order
 * @param overlaps the overlapping pairs found, as indices into the input list, (first, second) ordered
 */
public record SongSplit(List<Song> train, List<Song> test, List<SongOverlaps.Pair> overlaps) {
    private static final Comparator<Song> CANONICAL = Comparator.comparing(Song::artist)
            .thenComparing(Song::title)
            .thenComparing(s -> String.valueOf(s.source()))
            .thenComparing(Song::lyrics);

    public static SongSplit of(List<Song> songs, double testFraction, long seed, double overlapThreshold) {
        List<Integer> canonical = new ArrayList<>();
        for (int i = 0; i < songs.size(); i++) {
            canonical.add(i);
        }
        canonical.sort(Comparator.comparing(songs::get, CANONICAL));
        List<Song> sorted = canonical.stream().map(songs::get).toList();
        List<SongOverlaps.Pair> pairs = SongOverlaps.find(sorted, overlapThreshold);

        // strata: the groups of each artist (a group that spans artists belongs to its first song's)
        Map<String, List<List<Integer>>> strata = new TreeMap<>();
        for (List<Integer> group : SongOverlaps.groups(sorted.size(), pairs)) {
            strata.computeIfAbsent(sorted.get(group.get(0)).artist(), a -> new ArrayList<>()).add(group);
        }
        Map<String, Integer> quotas = testQuotas(strata, testFraction, songs.size());

        boolean[] inTest = new boolean[songs.size()];
        Random random = new Random(seed);
        for (Map.Entry<String, List<List<Integer>>> stratum : strata.entrySet()) {
            List<List<Integer>> groups = stratum.getValue();
            Collections.shuffle(groups, random);
            int taken = 0;
            for (List<Integer> group : groups) {
                if (taken >= quotas.get(stratum.getKey())) {
                    break;
                }
                for (int member : group) {
                    inTest[canonical.get(member)] = true;
                }
                taken += group.size();
            }
        }

        List<Song> train = new ArrayList<>();
        List<Song> test = new ArrayList<>();
        for (int i = 0; i < songs.size(); i++) {
            (inTest[i] ? test : train).add(songs.get(i));
        }
        for (List<Song> side : List.of(train, test)) {
            ConfigException.require(!side.isEmpty(), "lyrics.preprocess.testFraction", testFraction,
                    "leaves the " + (side == train ? "train" : "test") + " set empty with " + songs.size() + " songs");
        }
        List<SongOverlaps.Pair> overlaps = pairs.stream()
                .map(p -> {
                    int a = canonical.get(p.first());
                    int b = canonical.get(p.second());
                    return new SongOverlaps.Pair(Math.min(a, b), Math.max(a, b), p.containment());
                })
                .sorted(Comparator.comparingInt(SongOverlaps.Pair::first).thenComparingInt(SongOverlaps.Pair::second))
                .toList();
        return new SongSplit(List.copyOf(train), List.copyOf(test), overlaps);
    }

    /** Test songs per artist: floor of each share, the rest to the largest remainders (ties by artist). */
    private static Map<String, Integer> testQuotas(Map<String, List<List<Integer>>> strata, double testFraction, int total) {
        Map<String, Integer> quotas = new TreeMap<>();
        Map<String, Double> remainders = new TreeMap<>();
        int assigned = 0;
        for (Map.Entry<String, List<List<Integer>>> stratum : strata.entrySet()) {
            double share = testFraction * stratum.getValue().stream().mapToInt(List::size).sum();
            quotas.put(stratum.getKey(), (int) Math.floor(share));
            remainders.put(stratum.getKey(), share - Math.floor(share));
            assigned += (int) Math.floor(share);
        }
        List<String> byRemainder = new ArrayList<>(remainders.keySet());
        byRemainder.sort(Comparator.comparing(remainders::get, Comparator.reverseOrder()));
        long wanted = Math.round(testFraction * total);
        for (int i = 0; i < wanted - assigned; i++) {
            quotas.merge(byRemainder.get(i), 1, Integer::sum);
        }
        return quotas;
    }
}
