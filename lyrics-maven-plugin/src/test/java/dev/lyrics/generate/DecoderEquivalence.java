package dev.lyrics.generate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lyrics.lm.Decoder;
import java.util.Arrays;
import java.util.BitSet;
import java.util.SplittableRandom;

/**
 * The check that incremental decoding (a key/value cache, a carried hidden state) changes nothing:
 * two decoders on the same prompt, one cached and one recomputing everything at each step, are
 * stepped together; at every step their logits must agree within a tolerance and the sampler,
 * drawing from identical random streams, must choose the same unit from each.
 */
public final class DecoderEquivalence {
    private DecoderEquivalence() {}

    /**
     * @param logitTolerance the largest absolute logit difference allowed (float rounding of a
     *                       different summation order; 0 for an exact implementation)
     * @return the units both decoders chose
     */
    public static int[] assertSameTokens(Decoder cached, Decoder uncached, SamplingSettings settings, long seed,
            double logitTolerance) {
        assertEquals(Arrays.toString(uncached.promptUnitIds()), Arrays.toString(cached.promptUnitIds()),
                "prompt units");
        Sampler sampler = new Sampler(settings);
        SplittableRandom cachedRandom = new SplittableRandom(seed);
        SplittableRandom uncachedRandom = new SplittableRandom(seed);
        BitSet seen = new BitSet();
        for (int id : cached.promptUnitIds()) {
            seen.set(id);
        }
        int[] chosen = new int[settings.maxNewTokens()];
        for (int step = 0; step < settings.maxNewTokens(); step++) {
            float[] a = cached.nextLogits();
            float[] b = uncached.nextLogits();
            assertEquals(b.length, a.length, "vocabulary size at step " + step);
            double worst = 0;
            for (int i = 0; i < a.length; i++) {
                worst = Math.max(worst, Math.abs(a[i] - b[i]));
            }
            assertTrue(worst <= logitTolerance, "step " + step + ": logits differ by " + worst + " > " + logitTolerance);
            int next = sampler.choose(a, seen, cachedRandom);
            assertEquals(sampler.choose(b, seen, uncachedRandom), next, "unit chosen at step " + step);
            chosen[step] = next;
            if (next == cached.endId()) {
                return Arrays.copyOf(chosen, step + 1);
            }
            seen.set(next);
            cached.accept(next);
            uncached.accept(next);
        }
        return chosen;
    }
}
