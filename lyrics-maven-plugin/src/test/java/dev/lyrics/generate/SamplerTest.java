package dev.lyrics.generate;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lyrics.lm.Decoder;
import java.util.Arrays;
import java.util.BitSet;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class SamplerTest {
    private static final String PROMPT = "Help me write la la";
    private final FakeLanguageModel model = new FakeLanguageModel();

    private static SamplingSettings settings(double temperature, int topK, double topP, double penalty, int maxNewTokens) {
        return new SamplingSettings(temperature, topK, topP, penalty, maxNewTokens);
    }

    @Test
    void temperatureZeroTakesTheArgmaxWhateverTheSeed() {
        Sampler greedy = new Sampler(settings(0, 50, 0.9, 1, 40));
        GeneratedText first = greedy.generate(model.decoder(PROMPT), 1);
        GeneratedText second = greedy.generate(model.decoder(PROMPT), 987654321);
        assertArrayEquals(first.unitIds(), second.unitIds());
        assertEquals(first.text(), second.text());

        try (Decoder replay = model.decoder(PROMPT)) {
            for (int id : first.unitIds()) {
                float[] logits = replay.nextLogits();
                for (float logit : logits) {
                    assertTrue(logit <= logits[id], "greedy unit " + id + " is not the argmax");
                }
                replay.accept(id);
            }
        }
    }

    @Test
    void greedyTiesGoToTheLowestId() {
        ScriptedDecoder decoder = new ScriptedDecoder(new int[0], 9, new float[] {1f, 3f, 3f, 2f});
        assertEquals(1, new Sampler(settings(0, 0, 1, 1, 1)).generate(decoder, 0).unitIds()[0]);
    }

    @Test
    void topPKeepsTheSmallestMostLikelySetThatReachesP() {
        // probabilities 0.125, 0.5, 0.125, 0.25: exact in binary, so the boundary cases are exact
        double[] scores = {Math.log(0.125), Math.log(0.5), Math.log(0.125), Math.log(0.25)};
        assertArrayEquals(new int[] {1}, kept(0.5, scores).ids());
        assertArrayEquals(new int[] {1, 3}, kept(0.6, scores).ids());
        assertArrayEquals(new int[] {1, 3}, kept(0.75, scores).ids());
        assertArrayEquals(new double[] {2.0 / 3, 1.0 / 3}, kept(0.75, scores).probs(), 1e-12, "renormalised");
        assertArrayEquals(new int[] {1, 3, 0}, kept(0.76, scores).ids());
        assertArrayEquals(new int[] {1, 3, 0, 2}, kept(1.0, scores).ids());
        assertArrayEquals(new int[] {1}, kept(0.01, scores).ids(), "the most likely unit is always kept");
    }

    private static Sampler.Candidates kept(double topP, double[] scores) {
        return new Sampler(settings(1, 0, topP, 1, 1)).keptCandidates(scores);
    }

    @Test
    void sampledUnitsComeOnlyFromTheNucleusInProportion() {
        Sampler sampler = new Sampler(settings(1, 0, 0.75, 1, 1));
        float[] logits = {(float) Math.log(0.125), (float) Math.log(0.5), (float) Math.log(0.125), (float) Math.log(0.25)};
        SplittableRandom random = new SplittableRandom(7);
        int[] counts = new int[4];
        for (int i = 0; i < 30_000; i++) {
            counts[sampler.choose(logits, new BitSet(), random)]++;
        }
        assertEquals(0, counts[0] + counts[2], "tail units drawn: " + Arrays.toString(counts));
        assertEquals(2.0, (double) counts[1] / counts[3], 0.1, "renormalised 0.5 : 0.25");
    }

    /** How often each unit is drawn in 20,000 draws from the logits. */
    private static double[] drawFrequencies(Sampler sampler, float[] logits) {
        SplittableRandom random = new SplittableRandom(11);
        int draws = 20_000;
        int[] counts = new int[logits.length];
        for (int i = 0; i < draws; i++) {
            counts[sampler.choose(logits, new BitSet(), random)]++;
        }
        return Arrays.stream(counts).mapToDouble(count -> (double) count / draws).toArray();
    }

    /**
     * HF's order: temperature, then top-k, then top-p on the tempered distribution. Logits 2, 1, 0 have
     * probabilities 0.6652, 0.2447, 0.0900 at T = 1, where top_p 0.9 keeps units 0 and 1 (0.9099).
     */
    @Test
    void temperatureIsAppliedBeforeTopP() {
        float[] logits = {2f, 1f, 0f};
        // T = 2: logits 1, 0.5, 0 give e / s, e^0.5 / s, 1 / s (s = e + e^0.5 + 1) = 0.5065, 0.3072, 0.1863;
        // the first two reach only 0.8137, so the nucleus holds all three units
        assertArrayEquals(new double[] {0.5065, 0.3072, 0.1863},
                drawFrequencies(new Sampler(settings(2, 0, 0.9, 1, 1)), logits), 0.015, "T = 2, top_p 0.9");
        // T = 0.25: logits 8, 4, 0 give unit 0 a probability of 1 / (1 + e^-4 + e^-8) = 0.9817, a nucleus by itself
        assertArrayEquals(new double[] {1, 0, 0},
                drawFrequencies(new Sampler(settings(0.25, 0, 0.9, 1, 1)), logits), 0, "T = 0.25, top_p 0.9");
    }

    /** Top-k 2 of logits 2, 1, 0, -1 at T = 0.5: 4 and 2, so 1 / (1 + e^-2) = 0.8808 and 0.1192 (0.7311 at T = 1). */
    @Test
    void temperatureSharpensTheTopKDistribution() {
        assertArrayEquals(new double[] {0.8808, 0.1192, 0, 0},
                drawFrequencies(new Sampler(settings(0.5, 2, 1, 1, 1)), new float[] {2f, 1f, 0f, -1f}), 0.015);
    }

    @Test
    void topKKeepsTiesWithTheKthUnit() {
        Sampler sampler = new Sampler(settings(1, 2, 1, 1, 1));
        assertArrayEquals(new int[] {3, 1, 2}, sampler.keptCandidates(new double[] {0, 2, 2, 5}).ids());
        assertArrayEquals(new int[] {3, 1}, new Sampler(settings(1, 2, 1, 1, 1)).keptCandidates(new double[] {0, 2, 1, 5}).ids());
    }

    @Test
    void repetitionPenaltyDividesPositiveAndMultipliesNegativeLogitsOfSeenUnits() {
        BitSet seen = new BitSet();
        seen.set(0);
        seen.set(1);
        seen.set(3);
        double[] penalised = Sampler.penalised(new float[] {2f, -1f, 0.5f, 3f, -4f}, seen, 2);
        assertArrayEquals(new double[] {1.0, -2.0, 0.5, 1.5, -4.0}, penalised);
    }

    @Test
    void repetitionPenaltyCountsPromptUnitsAndSampledOnes() {
        float[] logits = {3f, 2f, -1f};
        // unit 0 is in the prompt: 3 / 2 = 1.5 < 2, so greedy moves to unit 1; unit 1 is then seen: 2 / 2 = 1 < 1.5
        ScriptedDecoder decoder = new ScriptedDecoder(new int[] {0}, 2, logits);
        assertArrayEquals(new int[] {1, 0, 0}, new Sampler(settings(0, 0, 1, 2, 3)).generate(decoder, 0).unitIds());
        ScriptedDecoder unpenalised = new ScriptedDecoder(new int[] {0}, 2, logits);
        assertArrayEquals(new int[] {0, 0, 0}, new Sampler(settings(0, 0, 1, 1, 3)).generate(unpenalised, 0).unitIds());
    }

    @Test
    void theSameSeedGivesTheSameSample() {
        Sampler sampler = new Sampler(settings(0.8, 50, 0.9, 1.3, 60));
        GeneratedText first = sampler.generate(model.decoder(PROMPT), 42);
        GeneratedText again = sampler.generate(model.decoder(PROMPT), 42);
        GeneratedText other = sampler.generate(model.decoder(PROMPT), 43);
        assertArrayEquals(first.unitIds(), again.unitIds());
        assertEquals(first.text(), again.text());
        assertNotEquals(Arrays.toString(first.unitIds()), Arrays.toString(other.unitIds()));
    }

    @Test
    void stopsAtTheEndUnitOrAtMaxNewTokens() {
        float[] favourFour = {0f, 0f, 0f, 0f, 9f};
        float[] favourEnd = {0f, 9f, 0f, 0f, 0f};
        ScriptedDecoder ending = new ScriptedDecoder(new int[0], 1, favourFour, favourFour, favourEnd);
        GeneratedText ended = new Sampler(settings(0, 0, 1, 1, 10)).generate(ending, 0);
        assertArrayEquals(new int[] {4, 4}, ended.unitIds());
        assertTrue(ended.endReached());
        assertEquals(2, ending.accepted.size(), "the end unit is not fed back");

        GeneratedText cut = new Sampler(settings(0, 0, 1, 1, 1))
                .generate(new ScriptedDecoder(new int[0], 1, favourFour, favourFour, favourEnd), 0);
        assertArrayEquals(new int[] {4}, cut.unitIds());
        assertFalse(cut.endReached());
    }

    @Test
    void cachedAndUncachedDecodingGiveTheSameTokens() {
        SamplingSettings sampling = settings(0.8, 50, 0.9, 1.3, 80);
        int[] tokens = DecoderEquivalence.assertSameTokens(model.decoder(PROMPT), model.uncachedDecoder(PROMPT),
                sampling, 3407, 0);
        assertTrue(tokens.length > 1);
        DecoderEquivalence.assertSameTokens(model.decoder(PROMPT), model.uncachedDecoder(PROMPT),
                settings(0, 0, 1, 1, 80), 0, 0);
    }

    @Test
    void theEquivalenceCheckCatchesACacheThatLostThePrompt() {
        org.junit.jupiter.api.Assertions.assertThrows(org.opentest4j.AssertionFailedError.class,
                () -> DecoderEquivalence.assertSameTokens(model.brokenCacheDecoder(PROMPT),
                        model.uncachedDecoder(PROMPT), settings(0, 0, 1, 1, 5), 0, 1e-3));
    }
}
