package dev.lyrics.rnn;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.List;
import java.util.Random;

/**
 * Lays songs out for truncated back-propagation through time. Each of the batch's rows is a
 * stream of whole songs; a song is cut into chunks of at most {@code length} (input, target)
 * pairs and always starts a fresh chunk, so the state a row carries from one step into the next
 * belongs to the same song, and is zeroed where a new song begins.
 *
 * <p>Longest songs first, each song goes to the row with the fewest chunks so far, so rows end
 * close together: a row that runs on alone would spend the last steps of an epoch on one song
 * (and the steps of the other rows on padding). A row with no chunk left at a step is padding.
 */
final class SongChunks {
    /**
     * One training step.
     *
     * @param inputs    (B*T) unit ids, row-major
     * @param targets   (B*T) next-unit ids
     * @param mask      (B*T) 1 where a target counts, 0 on padding
     * @param keepState (B) 1 where the row continues the song of the previous step, 0 where it resets
     * @param units     how many targets count
     */
    record Step(int[] inputs, int[] targets, float[] mask, float[] keepState, int units) {}

    private record Chunk(int[] song, int from, int to, boolean first) {}

    private SongChunks() {}

    /**
     * @param songs   each song's unit ids, from its &lt;|song_start|&gt; on
     * @param padId   what fills the inputs and targets of padding
     * @param shuffle orders the songs within each row; null keeps the longest first
     */
    static List<Step> layout(List<int[]> songs, int batch, int length, int padId, Random shuffle) {
        List<int[]> longestFirst = new ArrayList<>(songs);
        longestFirst.sort(Comparator.comparingInt((int[] song) -> song.length).reversed());
        List<List<int[]>> rowSongs = new ArrayList<>();
        int[] rowChunks = new int[batch];
        for (int b = 0; b < batch; b++) {
            rowSongs.add(new ArrayList<>());
        }
        for (int[] song : longestFirst) {
            int row = 0;
            for (int b = 1; b < batch; b++) {
                if (rowChunks[b] < rowChunks[row]) {
                    row = b;
                }
            }
            rowSongs.get(row).add(song);
            rowChunks[row] += (song.length - 1 + length - 1) / length;
        }
        List<List<Chunk>> rows = new ArrayList<>();
        for (List<int[]> row : rowSongs) {
            if (shuffle != null) {
                Collections.shuffle(row, shuffle);
            }
            List<Chunk> chunks = new ArrayList<>();
            for (int[] song : row) {
                int predictions = song.length - 1;
                for (int from = 0; from < predictions; from += length) {
                    chunks.add(new Chunk(song, from, Math.min(from + length, predictions), from == 0));
                }
            }
            rows.add(chunks);
        }
        int steps = rows.stream().mapToInt(List::size).max().orElse(0);
        List<Step> out = new ArrayList<>(steps);
        for (int s = 0; s < steps; s++) {
            int[] inputs = new int[batch * length];
            int[] targets = new int[batch * length];
            float[] mask = new float[batch * length];
            float[] keepState = new float[batch];
            Arrays.fill(inputs, padId);
            Arrays.fill(targets, padId);
            int units = 0;
            for (int b = 0; b < batch; b++) {
                List<Chunk> row = rows.get(b);
                if (s >= row.size()) {
                    continue;
                }
                Chunk chunk = row.get(s);
                keepState[b] = chunk.first() ? 0 : 1;
                for (int i = chunk.from(); i < chunk.to(); i++) {
                    int at = b * length + (i - chunk.from());
                    inputs[at] = chunk.song()[i];
                    targets[at] = chunk.song()[i + 1];
                    mask[at] = 1;
                    units++;
                }
            }
            out.add(new Step(inputs, targets, mask, keepState, units));
        }
        return out;
    }
}
