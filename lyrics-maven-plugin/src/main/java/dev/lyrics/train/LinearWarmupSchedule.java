package dev.lyrics.train;

/**
 * The learning rate of optimiser step {@code step} (from 0) under Hugging Face's
 * get_linear_schedule_with_warmup: rising linearly from 0 over the warm-up steps, then falling
 * linearly to 0 at the last step + 1. The first update therefore uses a learning rate of 0, as in
 * transformers, where the scheduler advances after each optimiser step.
 */
public record LinearWarmupSchedule(double peak, int warmupSteps, int totalSteps) {
    public double at(int step) {
        if (step < warmupSteps) {
            return peak * step / Math.max(1, warmupSteps);
        }
        return peak * Math.max(0.0, (double) (totalSteps - step) / Math.max(1, totalSteps - warmupSteps));
    }
}
