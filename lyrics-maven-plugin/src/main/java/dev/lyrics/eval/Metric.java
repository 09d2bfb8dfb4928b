package dev.lyrics.eval;

import java.util.function.ToDoubleFunction;
import java.util.function.ToLongFunction;

/**
 * The figures lyrics:perplexity reports, each named in every output. All are lower-is-better.
 * Each is a sum of negative log-likelihoods (nats) over a count: perplexities are
 * exp(nll / count), bits per byte is nll / (ln 2 count).
 */
public enum Metric {
    /** Hugging Face's definition: token-weighted over the whole test set. */
    CORPUS_PERPLEXITY("corpus_perplexity", ScoreTally::nll, ScoreTally::units, "units", false,
            "exp(sum of NLL / number of scored units) over the whole test set (Hugging Face)",
            Scored.WHOLE_RECORD, Scored.WHOLE_SONG),
    /** The study's script: each example's mean loss, averaged over examples, then exponentiated. */
    STUDY_PERPLEXITY("study_perplexity", ScoreTally::windowMeanNllSum, ScoreTally::windows, "windows", false,
            "exp(mean over texts, or over windows of texts longer than the context, of each one's mean NLL);"
                    + " prompt not masked (the study's figure)",
            Scored.WHOLE_RECORD, Scored.WHOLE_SONG),
    /** Only the units that predict the lyrics: the template masked. */
    RESPONSE_PERPLEXITY("response_perplexity", ScoreTally::responseNll, ScoreTally::responseUnits, "response units", false,
            "exp(sum of NLL / number of scored units) over the units ending after the response start",
            Scored.RESPONSE, Scored.LYRICS),
    /** lm-evaluation-harness's bits_per_byte: comparable across tokenisers. */
    BITS_PER_BYTE("bits_per_byte", ScoreTally::lyricsNll, ScoreTally::responseBytes, "bytes", true,
            "sum of NLL of the units of the lyrics / (ln 2 x UTF-8 bytes of the lyrics) (lm-evaluation-harness's rolling"
                    + " log-likelihood: numerator and denominator over the same text, no end-of-song unit)",
            Scored.LYRICS_TOKENS, Scored.LYRICS_UNITS),
    /** lm-evaluation-harness's word_perplexity: comparable across tokenisers. */
    WORD_PERPLEXITY("word_perplexity", ScoreTally::lyricsNll, ScoreTally::responseWords, "words", false,
            "exp(sum of NLL of the units of the lyrics / whitespace-separated words of the lyrics) (lm-evaluation-harness's"
                    + " rolling log-likelihood: numerator and denominator over the same text, no end-of-song unit)",
            Scored.LYRICS_TOKENS, Scored.LYRICS_UNITS);

    /** What each family of models scores for a metric. */
    private static final class Scored {
        static final String WHOLE_RECORD =
                "every token of each test record rendered with the Alpaca template (system line, instruction, input, response)";
        static final String WHOLE_SONG = "every unit the model scores of each test song of test_lyrics.txt, delimiters included";
        static final String RESPONSE = "the tokens of the response (the lyrics, and the end of sequence after them when the"
                + " model scores one); the template masked";
        static final String LYRICS = "the units after \"<|song_start|>\\n\": the lyrics and the closing \"\\n<|song_end|>\\n\"";
        static final String LYRICS_TOKENS = "the tokens that end inside the lyrics; the end of sequence after them left out";
        static final String LYRICS_UNITS = "the units of the lyrics; the closing \"\\n<|song_end|>\\n\" left out";
    }

    private final String key;
    private final ToDoubleFunction<ScoreTally> nll;
    private final ToLongFunction<ScoreTally> count;
    private final String averagedOver;
    private final boolean bits;
    private final String formula;
    private final String scoredTransformer;
    private final String scoredRecurrent;

    Metric(String key, ToDoubleFunction<ScoreTally> nll, ToLongFunction<ScoreTally> count, String averagedOver,
           boolean bits, String formula, String scoredTransformer, String scoredRecurrent) {
        this.key = key;
        this.nll = nll;
        this.count = count;
        this.averagedOver = averagedOver;
        this.bits = bits;
        this.formula = formula;
        this.scoredTransformer = scoredTransformer;
        this.scoredRecurrent = scoredRecurrent;
    }

    /** The metric's name in perplexity.json, the baseline file and gate messages. */
    public String key() {
        return key;
    }

    /** What the count is a number of ("units", "bytes"). */
    public String averagedOver() {
        return averagedOver;
    }

    public String formula() {
        return formula;
    }

    /** Which text, and which part of it, the metric scores for a family of models. */
    public String scoredText(ModelFamily family) {
        return family == ModelFamily.TRANSFORMER ? scoredTransformer : scoredRecurrent;
    }

    /** The summed negative log-likelihood (nats) that goes into the figure. */
    public double nll(ScoreTally tally) {
        return nll.applyAsDouble(tally);
    }

    /** What the NLL is averaged over. */
    public long count(ScoreTally tally) {
        return count.applyAsLong(tally);
    }

    /** The figure for a tally; NaN when there is nothing to average over. */
    public double value(ScoreTally tally) {
        long n = count(tally);
        if (n == 0) {
            return Double.NaN;
        }
        return bits ? nll(tally) / (Math.log(2) * n) : Math.exp(nll(tally) / n);
    }
}
