package dev.lyrics.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lyrics.dataset.AlpacaRecord;
import dev.lyrics.dataset.PromptTemplate;
import dev.lyrics.tokenizer.HfTokenizer;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

class MicroBatchesTest {
    /** One token per char, id = the char's code; ends after each char. */
    static final Function<String, HfTokenizer.Encoded> CHARS = text -> {
        long[] ids = text.chars().asLongStream().toArray();
        int[] ends = new int[ids.length];
        for (int i = 0; i < ends.length; i++) {
            ends[i] = i + 1;
        }
        return new HfTokenizer.Encoded(ids, ends);
    };
    static final PromptTemplate TEMPLATE = new PromptTemplate("Q{instruction}:{output}");

    @Test
    void exampleIsBosTextEosWithEveryTokenATargetByDefault() {
        TrainingExample example = TrainingExample.of(new AlpacaRecord("a", "", "xy"), TEMPLATE, CHARS, 1, 2, false);
        assertArrayEquals(new int[] {1, 'Q', 'a', ':', 'x', 'y', 2}, example.ids());
        assertArrayEquals(new boolean[] {false, true, true, true, true, true, true}, example.isTarget());
    }

    @Test
    void responsesOnlyMasksThePrompt() {
        TrainingExample example = TrainingExample.of(new AlpacaRecord("a", "", "xy"), TEMPLATE, CHARS, 1, 2, true);
        assertArrayEquals(new boolean[] {false, false, false, false, true, true, true}, example.isTarget());
        assertEquals(3, example.targetCount());
    }

    @Test
    void truncatesAtMaxSeqLength() {
        TrainingExample example = TrainingExample.of(new AlpacaRecord("a", "", "xyz"), TEMPLATE, CHARS, 1, 2, false).truncated(4);
        assertArrayEquals(new int[] {1, 'Q', 'a', ':'}, example.ids());
    }

    @Test
    void collateShiftsPadsAndWeighs() {
        TrainingExample longer = new TrainingExample(new int[] {1, 5, 6, 7}, new boolean[] {false, true, false, true});
        TrainingExample shorter = new TrainingExample(new int[] {1, 8}, new boolean[] {false, true});
        MicroBatches.MicroBatch batch = MicroBatches.collate(List.of(longer, shorter), 0);
        assertArrayEquals(new int[][] {{1, 5, 6}, {1, 0, 0}}, batch.inputs());
        assertArrayEquals(new int[][] {{5, 6, 7}, {8, 0, 0}}, batch.labels());
        assertArrayEquals(new float[][] {{1, 0, 1}, {1, 0, 0}}, batch.weights());
        assertEquals(3, batch.lossTokens());
        assertEquals(4, batch.tokens());
    }

    @Test
    void theStudysStepsPerEpochAndTheShortLastStep() {
        List<TrainingExample> examples = new ArrayList<>();
        for (int i = 0; i < 239; i++) {
            examples.add(new TrainingExample(new int[] {1, 100 + i}, new boolean[] {false, true}));
        }
        MicroBatches batches = new MicroBatches(examples, 2, 8, 0, 3407);
        assertEquals(15, batches.stepsPerEpoch());
        assertEquals(8, batches.step(0, 0).microBatches().size());
        MicroBatches.Step last = batches.step(0, 14);
        assertEquals(8, last.microBatches().size());
        assertEquals(1, last.microBatches().get(7).inputs().length);
        assertEquals(15, last.lossTokens());

        Set<Integer> seen = new HashSet<>();
        for (int step = 0; step < 15; step++) {
            for (MicroBatches.MicroBatch mb : batches.step(1, step).microBatches()) {
                for (int[] labels : mb.labels()) {
                    assertTrue(seen.add(labels[0]), "each example once per epoch");
                }
            }
        }
        assertEquals(239, seen.size());
        assertEquals(batches.order(1), new MicroBatches(examples, 2, 8, 0, 3407).order(1));
        assertNotEquals(batches.order(0), batches.order(1));
        assertFalse(batches.order(0).equals(new MicroBatches(examples, 2, 8, 0, 1).order(0)));
    }
}
