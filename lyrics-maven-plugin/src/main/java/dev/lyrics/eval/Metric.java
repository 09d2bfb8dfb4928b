package dev.lyrics.eval;

/**
 * The figures lyrics:perplexity reports, each named in every output. All are lower-is-better.
 * Each is a sum of negative log-likelihoods (nats) over a count: perplexities are
 * exp(nll / count), bits per byte is nll / (ln 2 count).
 */
public enum Metric {
    /** Hugging Face's definition: token-weighted over the whole test set. */
    CORPUS_PERPLEXITY("corpus_perplexity", "units",
            "exp(sum of NLL / number of scored units) over the whole test set (Hugging Face)",
            "every token of each test record rendered with the Alpaca template (system line, instruction, input, response)",
            "every unit the model scores of each test song of test_lyrics.txt, delimiters included") {
        @Override
        double nll(ScoreTally t) {
            return t.nll();
        }

        @Override
        long count(ScoreTally t) {
            return t.units();
        }
    },
    /** The study's script: each example's mean loss, averaged over examples, then exponentiated. */
    STUDY_PERPLEXITY("study_perplexity", "windows",
            "exp(mean over texts, or over windows of texts longer than the context, of each one's mean NLL); prompt not masked (the study's figure)",
            CORPUS_PERPLEXITY.scoredTransformer,
            CORPUS_PERPLEXITY.scoredRecurrent) {
        @Override
        double nll(ScoreTally t) {
            return t.windowMeanNllSum();
        }

        @Override
        long count(ScoreTally t) {
            return t.windows();
        }
    },
    /** Only the units that predict the lyrics: the template masked. */
    RESPONSE_PERPLEXITY("response_perplexity", "response units",
            "exp(sum of NLL / number of scored units) over the units ending after the response start",
            "the tokens of the response (the lyrics, and the end of sequence after them when the model scores one); the template masked",
            "the units after \"<|song_start|>\\n\": the lyrics and the closing \"\\n<|song_end|>\\n\"") {
        @Override
        double nll(ScoreTally t) {
            return t.responseNll();
        }

        @Override
        long count(ScoreTally t) {
            return t.responseUnits();
        }
    },
    /** lm-evaluation-harness's bits_per_byte: comparable across tokenisers. */
    BITS_PER_BYTE("bits_per_byte", "bytes",
            "sum of NLL of the response units / (ln 2 x UTF-8 bytes of the lyrics) (lm-evaluation-harness)",
            RESPONSE_PERPLEXITY.scoredTransformer,
            RESPONSE_PERPLEXITY.scoredRecurrent) {
        @Override
        double nll(ScoreTally t) {
            return t.responseNll();
        }

        @Override
        long count(ScoreTally t) {
            return t.responseBytes();
        }

        @Override
        double value(double nll, long count) {
            return nll / (Math.log(2) * count);
        }
    },
    /** lm-evaluation-harness's word_perplexity: comparable across tokenisers. */
    WORD_PERPLEXITY("word_perplexity", "words",
            "exp(sum of NLL of the response units / whitespace-separated words of the lyrics) (lm-evaluation-harness)",
            RESPONSE_PERPLEXITY.scoredTransformer,
            RESPONSE_PERPLEXITY.scoredRecurrent) {
        @Override
        double nll(ScoreTally t) {
            return t.responseNll();
        }

        @Override
        long count(ScoreTally t) {
            return t.responseWords();
        }
    };

    private final String key;
    private final String averagedOver;
    private final String formula;
    private final String scoredTransformer;
    private final String scoredRecurrent;

    Metric(String key, String averagedOver, String formula, String scoredTransformer, String scoredRecurrent) {
        this.key = key;
        this.averagedOver = averagedOver;
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
    abstract double nll(ScoreTally t);

    /** What the NLL is averaged over. */
    abstract long count(ScoreTally t);

    double value(double nll, long count) {
        return Math.exp(nll / count);
    }

    /** The figure for a tally; NaN when there is nothing to average over. */
    public double value(ScoreTally t) {
        long count = count(t);
        return count == 0 ? Double.NaN : value(nll(t), count);
    }

    public static Metric byKey(String key) {
        for (Metric m : values()) {
            if (m.key.equals(key)) {
                return m;
            }
        }
        throw new IllegalArgumentException("unknown metric " + key);
    }
}
