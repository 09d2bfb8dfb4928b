package dev.lyrics.stage;

import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.pytorch.jni.JniUtils;
import dev.lyrics.quant.Quantization;
import org.junit.jupiter.api.Test;

class ExecutionTest {
    /**
     * libtorch's thread count is process-wide and resolving settings sets it: the finetune goal
     * resolves the recurrent models' (1 thread) after the LoRA fine-tune's (2), so each stage must
     * set its own count again when it starts, or it computes (and is keyed) under another's.
     */
    @Test
    void aStageRunsOnTheThreadCountOfItsOwnSettings() {
        int before = JniUtils.getNumThreads();
        try {
            Execution lora = Execution.resolve("cpu", "float32", 2, Quantization.NONE);
            Execution recurrent = Execution.defaultDevice(1);
            assertEquals(1, JniUtils.getNumThreads(), "resolving settings sets the count");
            lora.startEngine();
            assertEquals(2, JniUtils.getNumThreads());
            recurrent.startEngine();
            assertEquals(1, JniUtils.getNumThreads());
        } finally {
            JniUtils.setNumThreads(before);
        }
    }
}
