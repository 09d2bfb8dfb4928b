package dev.lyrics.train;

import dev.lyrics.core.LyricsException;
import java.util.Locale;

/**
 * The loss or the gradients stopped being finite numbers: training stops and nothing is published.
 * {@link #check} is the one rule every training loop (LoRA, pretraining, recurrent) applies after
 * the backward pass and clipping, before the optimiser step, so a diverged step never reaches the
 * weights, a checkpoint or the stage's outputs.
 */
public class TrainingDivergedException extends LyricsException {
    public TrainingDivergedException(String message) {
        super(message);
    }

    /**
     * Throws when the step's loss or gradient norm is not finite (NaN or infinite).
     *
     * @param stage  the goal and model, as its log lines name it (e.g. "lyrics:finetune [rnn-gru-char]")
     * @param step   the step that diverged, counted from 1
     * @param advice what to change, naming the -D properties (e.g. "Lower lyrics.finetune.learningRate (now 2e-4)")
     */
    public static void check(String stage, int step, long totalSteps, double loss, double gradNorm, String advice) {
        if (!Double.isFinite(loss) || !Double.isFinite(gradNorm)) {
            throw new TrainingDivergedException(String.format(Locale.ROOT,
                    "%s diverged at step %d of %d: loss %s, gradient norm %s; nothing is published. %s",
                    stage, step, totalSteps, loss, gradNorm, advice));
        }
    }
}
