package dev.lyrics.lm;

/**
 * Per-unit scores of one text.
 *
 * @param logProbs natural-log probability of each scored unit, in text order
 * @param unitEnds for each scored unit, the char index in the text just after it, so callers can
 *                 mask units by position (e.g. score only the response part of a prompt); a unit
 *                 that stands for no char of the text (a transformer's EOS) ends one past its length
 */
public record ScoredText(double[] logProbs, int[] unitEnds) {
    public ScoredText {
        if (logProbs.length != unitEnds.length) {
            throw new IllegalArgumentException("logProbs and unitEnds differ in length");
        }
    }

    public int size() {
        return logProbs.length;
    }

    /** Sum of negative log-probabilities of the units that end after char {@code from}. */
    public double nllFrom(int from) {
        double sum = 0;
        for (int i = 0; i < logProbs.length; i++) {
            if (unitEnds[i] > from) {
                sum -= logProbs[i];
            }
        }
        return sum;
    }

    /**
     * Sum of negative log-probabilities of the units that end inside (from, to]: the text's own
     * units over that span, without an end-of-text unit that ends past the text.
     */
    public double nllWithin(int from, int to) {
        double sum = 0;
        for (int i = 0; i < logProbs.length; i++) {
            if (unitEnds[i] > from && unitEnds[i] <= to) {
                sum -= logProbs[i];
            }
        }
        return sum;
    }

    /** Number of units that end inside (from, to]. */
    public int countWithin(int from, int to) {
        int n = 0;
        for (int end : unitEnds) {
            if (end > from && end <= to) {
                n++;
            }
        }
        return n;
    }

    /** Number of units that end after char {@code from}. */
    public int countFrom(int from) {
        int n = 0;
        for (int end : unitEnds) {
            if (end > from) {
                n++;
            }
        }
        return n;
    }
}
