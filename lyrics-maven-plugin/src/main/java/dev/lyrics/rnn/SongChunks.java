package dev.lyrics.rnn;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Lays songs out for truncated back-propagation through time. Each of the batch's rows is a
 * stream of whole songs; a song is cut into chunks of at most {@code length} (input, target)
 * pairs and always starts a fresh chunk, so the state a row carries from one step into the next
 * belongs to the same song, and is zeroed where a new song begins. Songs go to the row with the
 * fewest chunks so far; a row with no chunk left at a step is padding (mask 0).
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
     * @param songs  each song's unit ids, from its &lt;|song_start|&gt; on
     * @param padId  what fills the inputs and targets of padding
     */
    static List<Step> layout(List<int[]> songs, int batch, int length, int padId) {
        List<List<Chunk>> rows = new ArrayList<>();
        for (int b = 0; b < batch; b++) {
            rows.add(new ArrayList<>());
        }
        for (int[] song : songs) {
            List<Chunk> row = rows.get(0);
            for (List<Chunk> candidate : rows) {
                if (candidate.size() < row.size()) {
                    row = candidate;
                }
            }
            int predictions = song.length - 1;
            for (int from = 0; from < predictions; from += length) {
                row.add(new Chunk(song, from, Math.min(from + length, predictions), from == 0));
            }
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
