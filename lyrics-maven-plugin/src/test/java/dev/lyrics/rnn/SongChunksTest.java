package dev.lyrics.rnn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

class SongChunksTest {
    @Test
    void songsStartFreshChunksAndEveryPredictionAppearsOnceInOrder() {
        int[] longSong = {2, 10, 11, 12, 13, 14, 3}; // 6 predictions: chunks of 4 and 2
        int[] shortSong = {2, 20, 3};                 // 2 predictions
        int[] otherSong = {2, 30, 31, 3};             // 3 predictions
        List<SongChunks.Step> steps = SongChunks.layout(List.of(shortSong, longSong, otherSong), 2, 4, 0, null);

        // longest first: row 0 the long song (2 chunks), row 1 the other song, then the short one
        assertEquals(2, steps.size());
        assertArrayEquals(new float[] {0, 0}, steps.get(0).keepState());
        assertArrayEquals(new float[] {1, 0}, steps.get(1).keepState());
        assertArrayEquals(new int[] {2, 10, 11, 12, 2, 30, 31, 0}, steps.get(0).inputs());
        assertArrayEquals(new int[] {10, 11, 12, 13, 30, 31, 3, 0}, steps.get(0).targets());
        assertArrayEquals(new float[] {1, 1, 1, 1, 1, 1, 1, 0}, steps.get(0).mask());
        assertArrayEquals(new int[] {13, 14, 0, 0, 2, 20, 0, 0}, steps.get(1).inputs());
        assertArrayEquals(new int[] {14, 3, 0, 0, 20, 3, 0, 0}, steps.get(1).targets());
        assertEquals(7, steps.get(0).units());
        assertEquals(4, steps.get(1).units());
    }

    @Test
    void longestFirstKeepsRowsEvenAndTheShuffleOnlyReordersWithinRows() {
        List<int[]> songs = new ArrayList<>();
        for (int chunks : new int[] {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 12}) {
            int[] song = new int[1 + 4 * chunks];
            Arrays.fill(song, chunks);
            songs.add(song);
        }
        // 67 chunks in 4 rows: rows of 16, 18, 17 and 16 chunks (in input order, 12 could come last: 25)
        List<SongChunks.Step> ordered = SongChunks.layout(songs, 4, 4, 0, null);
        List<SongChunks.Step> shuffled = SongChunks.layout(songs, 4, 4, 0, new Random(1));

        assertEquals(18, ordered.size());
        assertEquals(18, shuffled.size());
        assertArrayEquals(new int[] {12, 10, 9, 8}, firstInputs(ordered.get(0)));
        assertFalse(Arrays.equals(firstInputs(ordered.get(0)), firstInputs(shuffled.get(0))));
    }

    private static int[] firstInputs(SongChunks.Step step) {
        int length = step.inputs().length / step.keepState().length;
        return IntStream.range(0, step.keepState().length).map(b -> step.inputs()[b * length]).toArray();
    }

    @Test
    void rowsWithoutChunksArePaddingThatResets() {
        List<SongChunks.Step> steps = SongChunks.layout(List.of(new int[] {2, 5, 3}), 3, 2, 0, null);
        assertEquals(1, steps.size());
        assertArrayEquals(new float[] {1, 1, 0, 0, 0, 0}, steps.get(0).mask());
        assertArrayEquals(new float[] {0, 0, 0}, steps.get(0).keepState());
    }

    @Test
    void validationTakesAnEvenlySpreadSliceOfTheTrainingSongs() {
        List<int[]> songs = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            songs.add(new int[] {i});
        }
        List<int[]> training = new ArrayList<>();
        List<int[]> validation = new ArrayList<>();
        RecurrentTrainer.splitValidation(songs, 0.2, training, validation);
        assertEquals(List.of(2, 7, 12, 17), validation.stream().map(s -> s[0]).toList());
        assertEquals(16, training.size());
    }
}
