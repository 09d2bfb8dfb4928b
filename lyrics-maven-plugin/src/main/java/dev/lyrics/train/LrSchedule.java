package dev.lyrics.train;

/**
 * Learning rate per optimiser step, as transformers' get_linear_schedule_with_warmup and
 * get_cosine_schedule_with_warmup compute it (the factor at step s is used for update s + 1, so
 * step 0 of a warm-up has rate 0), optionally decaying to a floor instead of to zero.
 *
 * @param minRatio the floor as a share of the peak (0 in transformers; nanoGPT decays to 0.1)
 */
public record LrSchedule(Kind kind, double peak, int warmupSteps, int totalSteps, double minRatio) {
    public enum Kind {
        LINEAR,
        COSINE,
        CONSTANT
    }

    public LrSchedule {
        if (warmupSteps < 0 || totalSteps < 1 || minRatio < 0 || minRatio > 1) {
            throw new IllegalArgumentException("bad schedule: warm-up " + warmupSteps + ", total " + totalSteps
                    + ", floor " + minRatio);
        }
    }

    public double at(int step) {
        if (step < warmupSteps) {
            return peak * step / Math.max(1, warmupSteps);
        }
        double progress = (double) (step - warmupSteps) / Math.max(1, totalSteps - warmupSteps);
        double factor = switch (kind) {
            case LINEAR -> Math.max(0, 1 - progress);
            case COSINE -> Math.max(0, 0.5 * (1 + Math.cos(Math.PI * progress)));
            case CONSTANT -> 1;
        };
        return peak * (minRatio + (1 - minRatio) * factor);
    }
}
