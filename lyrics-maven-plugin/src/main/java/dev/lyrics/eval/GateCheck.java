package dev.lyrics.eval;

/**
 * One check of the perplexity gate: a figure against its limit (every figure is lower-is-better).
 *
 * @param check   which rule: "maxPerplexity", "minImprovement" or "baseline"
 * @param model   the model checked
 * @param metric  the metric checked
 * @param value   the model's figure (NaN when it was not evaluated)
 * @param limit   the highest value that passes (NaN when there is none)
 * @param outcome what became of it
 * @param message a sentence a user can act on: the figures, and for a failure how to accept it
 */
public record GateCheck(String check, String model, String metric, double value, double limit, Outcome outcome, String message) {
    public enum Outcome {
        /** within its limit */
        PASSED,
        /** passed, and better than its baseline by more than the tolerance */
        IMPROVED,
        /** worse than its baseline (or without one), taken as the new baseline by updateBaseline */
        ACCEPTED,
        FAILED,
        /** could not be checked (not configured, or a figure missing on one side) */
        SKIPPED
    }

    /** Stable across builds, so CI servers track each check's history as one test. */
    public String testName() {
        return check + " " + model + " " + metric;
    }

    public boolean failed() {
        return outcome == Outcome.FAILED;
    }
}
