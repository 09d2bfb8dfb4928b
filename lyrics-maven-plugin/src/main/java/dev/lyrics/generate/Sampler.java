package dev.lyrics.generate;

import dev.lyrics.lm.Decoder;
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
        Candidates kept = keptCandidates(scores);
        double draw = random.nextDouble();
        double cumulative = 0;
        for (int i = 0; i < kept.ids().length; i++) {
            cumulative += kept.probs()[i];
            if (draw < cumulative) {
                return kept.ids()[i];
            }
        }
        return kept.ids()[kept.ids().length - 1];
    }

    /** Units that may be drawn, most likely first (ties by lower id), with their renormalised probabilities. */
    record Candidates(int[] ids, double[] probs) {}

    /**
     * The units that survive top-k and top-p: after top-k, the smallest prefix whose probability
     * reaches top_p, which is exactly what HF's TopPLogitsWarper keeps when it removes, least likely
     * first, the units whose cumulative probability is at most 1 - top_p.
     */
    Candidates keptCandidates(double[] scores) {
        double threshold = settings.topK() > 0 && settings.topK() < scores.length
                ? kthLargest(scores, settings.topK()) : Double.NEGATIVE_INFINITY;
        int[] ids = IntStream.range(0, scores.length)
                .filter(i -> scores[i] != Double.NEGATIVE_INFINITY && scores[i] >= threshold)
                .boxed()
                .sorted(Comparator.<Integer>comparingDouble(i -> -scores[i]).thenComparingInt(i -> i))
                .mapToInt(Integer::intValue)
                .toArray();
        // units cut by top-k have probability 0: the softmax over the rest is the whole distribution
        double[] probs = softmax(scores, ids);
        int kept = ids.length;
        if (settings.topP() < 1) {
            double cumulative = 0;
            int nucleus = 0;
            while (nucleus < kept && cumulative < settings.topP()) {
                cumulative += probs[nucleus++];
            }
            kept = Math.max(nucleus, 1);
        }
        double[] keptProbs = Arrays.copyOf(probs, kept);
        double total = Arrays.stream(keptProbs).sum();
        for (int i = 0; i < kept; i++) {
            keptProbs[i] /= total;
        }
        return new Candidates(Arrays.copyOf(ids, kept), keptProbs);
    }

    /** The k-th largest score, keeping the k best seen so far in ascending order (k is small). */
    private static double kthLargest(double[] scores, int k) {
        double[] best = new double[k];
        Arrays.fill(best, Double.NEGATIVE_INFINITY);
        for (double score : scores) {
            if (score > best[0]) {
                int at = 0;
                while (at + 1 < k && best[at + 1] < score) {
                    best[at] = best[at + 1];
                    at++;
                }
                best[at] = score;
            }
        }
        return best[0];
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

    /** Softmax over the given units' scores. */
    private static double[] softmax(double[] scores, int[] ids) {
        double max = Double.NEGATIVE_INFINITY;
        for (int id : ids) {
            max = Math.max(max, scores[id]);
        }
        double[] probs = new double[ids.length];
        double sum = 0;
        for (int i = 0; i < ids.length; i++) {
            probs[i] = Math.exp(scores[ids[i]] - max);
            sum += probs[i];
        }
        for (int i = 0; i < probs.length; i++) {
            probs[i] /= sum;
        }
        return probs;
    }
}
