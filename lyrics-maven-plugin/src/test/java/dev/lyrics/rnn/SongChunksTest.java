package dev.lyrics.rnn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class SongChunksTest {
    @Test
    void songsStartFreshChunksAndEveryPredictionAppearsOnceInOrder() {
        int[] longSong = {2, 10, 11, 12, 13, 14, 3}; // 6 predictions: chunks of 4 and 2
        int[] shortSong = {2, 20, 3};                 // 2 predictions
        int[] otherSong = {2, 30, 31, 3};             // 3 predictions
        List<SongChunks.Step> steps = SongChunks.layout(List.of(longSong, shortSong, otherSong), 2, 4, 0);

        // row 0: long song (2 chunks); row 1: short song, then the other song (fewest chunks so far)
        assertEquals(2, steps.size());
        assertArrayEquals(new float[] {0, 0}, steps.get(0).keepState());
        assertArrayEquals(new float[] {1, 0}, steps.get(1).keepState());
        assertArrayEquals(new int[] {2, 10, 11, 12, 2, 20, 0, 0}, steps.get(0).inputs());
        assertArrayEquals(new int[] {10, 11, 12, 13, 20, 3, 0, 0}, steps.get(0).targets());
        assertArrayEquals(new float[] {1, 1, 1, 1, 1, 1, 0, 0}, steps.get(0).mask());
        assertArrayEquals(new int[] {13, 14, 0, 0, 2, 30, 31, 0}, steps.get(1).inputs());
        assertArrayEquals(new int[] {14, 3, 0, 0, 30, 31, 3, 0}, steps.get(1).targets());
        assertEquals(6, steps.get(0).units());
        assertEquals(5, steps.get(1).units());
    }

    @Test
    void rowsWithoutChunksArePaddingThatResets() {
        List<SongChunks.Step> steps = SongChunks.layout(List.of(new int[] {2, 5, 3}), 3, 2, 0);
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
