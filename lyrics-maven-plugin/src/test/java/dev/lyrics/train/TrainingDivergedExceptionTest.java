package dev.lyrics.train;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

/** The divergence rule the LoRA, pretraining and recurrent loops share. */
class TrainingDivergedExceptionTest {
    @Test
    void finiteLossAndNormPass() {
        assertDoesNotThrow(() -> TrainingDivergedException.check("lyrics:pretrain", 3, 10, 12.5, 1e30, "advice"));
        assertDoesNotThrow(() -> TrainingDivergedException.check("lyrics:pretrain", 3, 10, 0, 0, "advice"));
    }

    @Test
    void aNonFiniteLossOrNormStopsNamingStageStepValuesAndAdvice() {
        TrainingDivergedException e = assertThrows(TrainingDivergedException.class,
                () -> TrainingDivergedException.check("lyrics:finetune [rnn-gru-char]", 7, 120, Double.NaN, 0.5,
                        "Lower <learningRate>"));
        assertEquals("lyrics:finetune [rnn-gru-char] diverged at step 7 of 120: loss NaN, gradient norm 0.5; nothing is"
                + " published. Lower <learningRate>", e.getMessage());
        assertThrows(TrainingDivergedException.class,
                () -> TrainingDivergedException.check("s", 1, 1, 2.0, Double.POSITIVE_INFINITY, "a"));
        assertThrows(TrainingDivergedException.class,
                () -> TrainingDivergedException.check("s", 1, 1, Double.NEGATIVE_INFINITY, 1.0, "a"));
    }
}
