package dev.lyrics.generate;

import dev.lyrics.eval.Decoder;
import java.util.Arrays;
import java.util.BitSet;
import java.util.Comparator;
import java.util.SplittableRandom;
import java.util.stream.IntStream;

/**
 * Samples a continuation from a {@link Decoder} one unit at a time, the way Hugging Face's
 * generate() does with do_sample: repetition penalty over every unit seen so far (prompt included),
 * then temperature, top-k and top-p, then one draw from what is left. Temperature 0 is greedy
 * decoding after the repetition penalty, with ties going to the lowest unit id (torch.argmax).
 */
public final class Sampler {
    private final SamplingSettings settings;

    public Sampler(SamplingSettings settings) {
        this.settings = settings;
    }

    /** Samples until the decoder's end unit or max_new_tokens; the same seed gives the same text. */
    public GeneratedText generate(Decoder decoder, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        BitSet seen = new BitSet();
        for (int id : decoder.promptUnitIds()) {
            seen.set(id);
        }
        int[] sampled = new int[settings.maxNewTokens()];
        int count = 0;
        boolean endReached = false;
        while (count < settings.maxNewTokens()) {
            int next = choose(decoder.nextLogits(), seen, random);
            if (next == decoder.endId()) {
                endReached = true;
                break;
            }
            sampled[count++] = next;
            seen.set(next);
            decoder.accept(next);
        }
        int[] unitIds = Arrays.copyOf(sampled, count);
        return new GeneratedText(unitIds, decoder.decode(unitIds), endReached);
    }

    /** Picks the next unit from raw logits, given the units seen so far. */
    int choose(float[] logits, BitSet seen, SplittableRandom random) {
        double[] scores = penalised(logits, seen, settings.repetitionPenalty());
        if (settings.temperature() == 0) {
            return argmax(scores);
        }
        for (int i = 0; i < scores.length; i++) {
            scores[i] /= settings.temperature();
        }
        Integer[] candidates = keptCandidates(scores);
        double[] probs = softmax(scores);
        double total = 0;
        for (int id : candidates) {
            total += probs[id];
        }
        double draw = random.nextDouble() * total;
        double cumulative = 0;
        for (int id : candidates) {
            cumulative += probs[id];
            if (draw < cumulative) {
                return id;
            }
        }
        return candidates[candidates.length - 1];
    }

    /**
     * The units that survive top-k and top-p, most likely first (ties by lower id): the smallest
     * prefix whose probability reaches top_p, which is exactly what HF's TopPLogitsWarper keeps when
     * it removes, least likely first, the units whose cumulative probability is at most 1 - top_p.
     */
    Integer[] keptCandidates(double[] scores) {
        double kth = Double.NEGATIVE_INFINITY;
        if (settings.topK() > 0 && settings.topK() < scores.length) {
            double[] ascending = scores.clone();
            Arrays.sort(ascending);
            kth = ascending[scores.length - settings.topK()];
        }
        double threshold = kth;
        Integer[] order = IntStream.range(0, scores.length).boxed()
                .filter(i -> scores[i] != Double.NEGATIVE_INFINITY && scores[i] >= threshold)
                .sorted(Comparator.<Integer>comparingDouble(i -> -scores[i]).thenComparingInt(i -> i))
                .toArray(Integer[]::new);
        int kept = order.length;
        if (settings.topP() < 1) {
            double[] probs = softmax(scores, order, kept);
            double cumulative = 0;
            int nucleus = 0;
            while (nucleus < kept && cumulative < settings.topP()) {
                cumulative += probs[nucleus++];
            }
            kept = Math.max(nucleus, 1);
        }
        return Arrays.copyOf(order, kept);
    }

    /** HF's RepetitionPenaltyLogitsProcessor: seen units lose score whatever the sign of their logit. */
    static double[] penalised(float[] logits, BitSet seen, double penalty) {
        double[] scores = new double[logits.length];
        for (int i = 0; i < logits.length; i++) {
            double logit = logits[i];
            if (penalty != 1 && seen.get(i)) {
                logit = logit > 0 ? logit / penalty : logit * penalty;
            }
            scores[i] = logit;
        }
        return scores;
    }

    static int argmax(double[] scores) {
        int best = 0;
        for (int i = 1; i < scores.length; i++) {
            if (scores[i] > scores[best]) {
                best = i;
            }
        }
        return best;
    }

    private static double[] softmax(double[] scores) {
        double max = Arrays.stream(scores).max().orElse(0);
        double[] probs = new double[scores.length];
        double sum = 0;
        for (int i = 0; i < scores.length; i++) {
            probs[i] = Math.exp(scores[i] - max);
            sum += probs[i];
        }
        for (int i = 0; i < probs.length; i++) {
            probs[i] /= sum;
        }
        return probs;
    }

    /** Softmax over the first {@code count} units of {@code order}, renormalised among them (after top-k). */
    private static double[] softmax(double[] scores, Integer[] order, int count) {
        double[] selected = new double[count];
        for (int i = 0; i < count; i++) {
            selected[i] = scores[order[i]];
        }
        return softmax(selected);
    }
}
