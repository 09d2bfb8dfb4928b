package dev.lyrics.eval;

/**
 * Per-unit scores of one text.
 *
 * @param logProbs natural-log probability of each scored unit, in text order
 * @param unitEnds for each scored unit, the char index in the text just after it, so callers can
 *                 mask units by position (e.g. score only the response part of a prompt)
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
