package dev.lyrics.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.types.DataType;
import dev.lyrics.core.ConfigException;
import dev.lyrics.lora.LoraConfig;
import dev.lyrics.model.LlamaConfig;
import dev.lyrics.model.MemoryPlan;
import dev.lyrics.quant.Quantization;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The memory plan of the study: Mistral-7B-Instruct-v0.3, batch 2 x 2048, LoRA r 32 on the seven projections. */
class MemoryPlanTest {
    /** Mistral-7B-Instruct-v0.3's config.json. */
    static final LlamaConfig MISTRAL_7B = new LlamaConfig(32768, 4096, 14336, 32, 32, 8, 128, 1e-5, 1e6, 32768, false, 0,
            1, 2, 0.02);
    static final MemoryPlan.DeviceMemory GPU_24GB = new MemoryPlan.DeviceMemory("gpu(0)", 24L << 30, 23L << 30);

    static LoraTrainer.Settings study(boolean checkpointing) {
        return new LoraTrainer.Settings(new LoraConfig(32, 64, 0, LoraTrainerTest.ALL, false), 2e-4, 0.01, 5, 3, 2, 8, 3407,
                2048, 1.0, false, 5, 0.9, 0.999, 1e-8, checkpointing);
    }

    static MemoryPlan plan(DataType dtype, boolean checkpointing) {
        return LoraFinetune.planOrFail(MISTRAL_7B, "BF16", study(checkpointing), dtype, Quantization.NONE,
                new MemoryPlan.DeviceMemory("test", Long.MAX_VALUE, Long.MAX_VALUE));
    }

    @Test
    void theStudyOnMistral7B() {
        MemoryPlan f32 = plan(DataType.FLOAT32, false);
        MemoryPlan f16 = plan(DataType.FLOAT16, false);
        MemoryPlan f16Checkpointed = plan(DataType.FLOAT16, true);
        for (MemoryPlan plan : List.of(f32, f16, f16Checkpointed)) {
            plan.table(GPU_24GB).forEach(System.out::println);
        }
        assertEquals(7_248_023_552L, MISTRAL_7B.parameterCount());
        assertEquals(7_248_023_552L * 4, f32.rows().get(0).bytes());
        assertEquals(7_248_023_552L * 2, f16.rows().get(0).bytes());
        // LoRA: 83,886,080 parameters, each with a gradient and two moments, all float32
        assertEquals(83_886_080L * 16, f32.rows().subList(1, 4).stream().mapToLong(MemoryPlan.Row::bytes).sum());
        // the loss: a block of 4,194,304 logits at a time, where the whole logits (2 x 2048 x 32768 float32, 0.5 GiB)
        // with their log-softmax and two gradients took 2 GiB; what is per token is the hidden size's
        assertTrue(f32.rows().get(6).item().contains("a block of 4,194,304 at a time"), f32.rows().get(6).toString());
        assertTrue(f32.rows().get(6).bytes() < 4L * 2 * 2048 * 32768 * 4 / 2, f32.rows().get(6).toString());
        assertTrue(f32.rows().get(6).bytes() >= 8L * (1 << 22), f32.rows().get(6).toString());
        assertFalse(f32.fits(GPU_24GB));
        assertFalse(f16.fits(GPU_24GB), "float16 alone keeps every layer's attention scores");
        // every array of a layer stays alive until its scope closes: at 2 x 2048 even one layer is too much for 24 GB
        assertFalse(f16Checkpointed.fits(GPU_24GB), MemoryPlan.gib(f16Checkpointed.totalBytes()));
        assertTrue(f16Checkpointed.fits(new MemoryPlan.DeviceMemory("gpu(0)", 40L << 30, 39L << 30)));
        assertTrue(f16Checkpointed.totalBytes() < f16.totalBytes() / 5);
        MemoryPlan oneRow = LoraFinetune.planOrFail(MISTRAL_7B, "BF16", study(true).withBatch(1, 16), DataType.FLOAT16, Quantization.NONE,
                GPU_24GB);
        oneRow.table(GPU_24GB).forEach(System.out::println);
    }

    @Test
    void aPlanThatDoesNotFitFailsNamingWhatWouldFit() {
        ConfigException e = assertThrows(ConfigException.class, () -> LoraFinetune.planOrFail(MISTRAL_7B, "BF16",
                study(false), DataType.FLOAT32, Quantization.NONE, GPU_24GB));
        String message = e.getMessage();
        assertTrue(message.contains("nothing was loaded"), message);
        assertTrue(message.contains("-Dlyrics.finetune.gradientCheckpointing=true"), message);
        assertTrue(message.contains("-Dlyrics.dtype=float16 -Dlyrics.finetune.gradientCheckpointing=true: "), message);
        assertTrue(message.contains("-Dlyrics.dtype=float16 -Dlyrics.finetune.gradientCheckpointing=true"
                + " -Dlyrics.finetune.batchSize=1 -Dlyrics.finetune.gradientAccumulation=16: ") && message.contains("(fits)"),
                message);
        assertTrue(message.contains("-Dlyrics.finetune.batchSize=1 -Dlyrics.finetune.gradientAccumulation=16"), message);
        assertTrue(message.contains("-Dlyrics.finetune.maxSeqLength=1024"), message);
        assertTrue(message.contains("-Dlyrics.quantization=nf4 (a 4-bit base): "), message);
    }

    @Test
    void theStudysNf4BaseCountsItsPackedProjectionsAndOneDequantizedLayer() {
        MemoryPlan nf4 = LoraFinetune.planOrFail(MISTRAL_7B, "U8, BF16", study(true), DataType.FLOAT16,
                Quantization.of("nf4", true), new MemoryPlan.DeviceMemory("test", Long.MAX_VALUE, Long.MAX_VALUE));
        nf4.table(GPU_24GB).forEach(System.out::println);
        // per layer: q 4096x4096, k and v 4096x1024, o 4096x4096, gate, up and down 4096x14336
        long perLayer = 2L * 4096 * 4096 + 2L * 4096 * 1024 + 3L * 4096 * 14336;
        long projections = 32 * perLayer;
        assertEquals(6_979_321_856L, projections);
        // each of the 224 tensors: packed codes, one 8-bit maximum per block of 64, a float32 per 256 blocks, an offset
        long packed = 0;
        for (long elements : new long[] {4096L * 4096, 4096L * 1024, 4096L * 1024, 4096L * 4096, 4096L * 14336,
                4096L * 14336, 4096L * 14336}) {
            long blocks = elements / 64;
            packed += 32 * (elements / 2 + blocks + (blocks + 255) / 256 * 4 + 4);
        }
        long rest = (MISTRAL_7B.parameterCount() - projections) * 2;
        assertEquals(packed + rest, nf4.rows().get(0).bytes(), nf4.rows().get(0).toString());
        assertEquals(perLayer * 2, nf4.rows().get(1).bytes(), "one layer dequantized to float16");
        MemoryPlan f16 = plan(DataType.FLOAT16, true);
        assertEquals(f16.totalBytes() - f16.rows().get(0).bytes() + packed + rest + perLayer * 2, nf4.totalBytes(),
                "everything but the base weights as in the float16 plan");
    }
}
