package dev.lyrics.lm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class SlidingWindowTest {
    @Test
    void everyIdAfterTheFirstIsScoredExactlyOnceWithContextInsideTheWindow() {
        int[][] contextStride = {{2, 1}, {2, 2}, {4, 1}, {4, 2}, {4, 3}, {4, 4}, {8, 8}, {8, 3}, {16, 7}, {1024, 512}};
        for (int[] cs : contextStride) {
            SlidingWindow window = new SlidingWindow(cs[0], cs[1]);
            for (int length = 0; length <= 60; length++) {
                int[] scoredTimes = new int[length];
                for (SlidingWindow.Window w : window.plan(length)) {
                    String where = window + " length " + length + " " + w;
                    assertTrue(w.end() - w.begin() <= cs[0], "window longer than the context: " + where);
                    assertTrue(w.begin() < w.scoreFrom() && w.scoreFrom() < w.end(), "no context for the first scored id: " + where);
                    for (int position = w.scoreFrom(); position < w.end(); position++) {
                        scoredTimes[position]++;
                    }
                }
                for (int position = 0; position < length; position++) {
                    assertEquals(position == 0 ? 0 : 1, scoredTimes[position], window + " length " + length + " position " + position);
                }
            }
        }
    }

    @Test
    void textShorterThanTheContextIsOneWindow() {
        assertEquals(List.of(new SlidingWindow.Window(0, 5, 1)), new SlidingWindow(8, 4).plan(5));
        assertEquals(List.of(new SlidingWindow.Window(0, 8, 1)), new SlidingWindow(8, 4).plan(8));
        assertEquals(List.of(), new SlidingWindow(8, 4).plan(1));
        assertEquals(List.of(), new SlidingWindow(8, 4).plan(0));
    }

    @Test
    void strideBelowTheContextIsHuggingFacesRecipe() {
        for (int[] cs : new int[][] {{4, 2}, {8, 3}, {1024, 512}, {6, 5}}) {
            for (int length : new int[] {2, 7, 9, 30, 3000}) {
                assertEquals(huggingFace(length, cs[0], cs[1]), new SlidingWindow(cs[0], cs[1]).plan(length),
                        "context " + cs[0] + " stride " + cs[1] + " length " + length);
            }
        }
    }

    @Test
    void strideEqualToTheContextSharesOneIdBetweenWindows() {
        assertEquals(List.of(new SlidingWindow.Window(0, 4, 1), new SlidingWindow.Window(3, 7, 4), new SlidingWindow.Window(6, 10, 7),
                new SlidingWindow.Window(9, 11, 10)), new SlidingWindow(4, 4).plan(11));
    }

    @Test
    void rejectsContextBelowTwoAndStrideOutsideTheContext() {
        assertThrows(IllegalArgumentException.class, () -> new SlidingWindow(1, 1));
        assertThrows(IllegalArgumentException.class, () -> new SlidingWindow(4, 0));
        assertThrows(IllegalArgumentException.class, () -> new SlidingWindow(4, 5));
    }

    /**
     * The loop of https://huggingface.co/docs/transformers/perplexity, transcribed: labels before
     * trg_len are masked, and the model shifts labels so a window's first id is never predicted.
     */
    private static List<SlidingWindow.Window> huggingFace(int seqLen, int maxLength, int stride) {
        List<SlidingWindow.Window> windows = new ArrayList<>();
        int prevEndLoc = 0;
        for (int beginLoc = 0; beginLoc < seqLen; beginLoc += stride) {
            int endLoc = Math.min(beginLoc + maxLength, seqLen);
            int trgLen = endLoc - prevEndLoc;
            int firstLabel = Math.max(endLoc - trgLen, beginLoc + 1);
            windows.add(new SlidingWindow.Window(beginLoc, endLoc, firstLabel));
            prevEndLoc = endLoc;
            if (endLoc == seqLen) {
                break;
            }
        }
        return windows;
    }
}
