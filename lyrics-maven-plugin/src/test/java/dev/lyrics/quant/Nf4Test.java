package dev.lyrics.quant;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class Nf4Test {
    /**
     * The largest distance from a point of [-1, 1] to its nearest NF4 level: half the widest gap,
     * the one between -1.0 and -0.6961928, so 0.1519: the per-element bound is 0.1519 x the block's maximum.
     */
    static final double HALF_GAP = (1.0 - 0.6961928009986877) / 2;

    @Test
    void codebookIsBitsandbytesNf4() {
        // bitsandbytes' get_4bit_type("nf4") / the NF4 table of its CUDA kernels, float32
        double[] expected = {-1.0, -0.6961928009986877, -0.5250730514526367, -0.39491748809814453,
            -0.28444138169288635, -0.18477343022823334, -0.09105003625154495, 0.0, 0.07958029955625534,
            0.16093020141124725, 0.24611230194568634, 0.33791524171829224, 0.44070982933044434, 0.5626170039176941,
            0.7229568362236023, 1.0};
        assertEquals(16, Nf4.CODEBOOK.length);
        for (int i = 0; i < 16; i++) {
            assertEquals(expected[i], Nf4.CODEBOOK[i], 0.0, "level " + i);
        }
        assertEquals(7, Nf4.ZERO_CODE);
        assertEquals(HALF_GAP, maxHalfGap(Nf4.CODEBOOK), 1e-7);
    }

    @Test
    void dynamicMapIsBitsandbytesSignedEightBitMap() {
        float[] map = Nf4.dynamicMap();
        assertEquals(256, map.length);
        for (int i = 1; i < 256; i++) {
            assertTrue(map[i - 1] <= map[i], "sorted at " + i);
        }
        // 127 negative values, 0, 127 positive values and 1.0
        assertEquals(0f, map[127]);
        assertEquals(1f, map[255]);
        // the smallest magnitude: 1e-6 x the midpoint of linspace(0.1, 1, 2), 0.55
        assertEquals((float) 1e-6 * 0.55f, map[128]);
        assertEquals(-map[128], map[126]);
        // the largest below 1: the last midpoint of linspace(0.1, 1, 65) = (0.9859375 + 1) / 2
        assertEquals(0.99296875f, map[254], 1e-7f);
        assertEquals(-map[254], map[0]);
    }

    @Test
    void errorOnNormalWeightsIsBoundedPerBlock() {
        SplittableRandom random = new SplittableRandom(3407);
        float[] values = new float[64 * 1000];
        for (int i = 0; i < values.length; i++) {
            values[i] = (float) (0.02 * random.nextGaussian());
        }
        for (boolean doubleQuant : new boolean[] {false, true}) {
            Nf4Tensor tensor = Nf4.quantize("w", values, new long[] {1000, 64}, "float32", doubleQuant);
            float[] exactMax = Nf4.absmax(values, 64);
            float[] storedMax = tensor.blockAbsmax();
            float[] restored = tensor.dequantize();
            double squares = 0;
            double errors = 0;
            for (int block = 0; block < 1000; block++) {
                // bound: half the widest gap of the codebook times the block's maximum, plus how far the stored
                // (double-quantized) maximum is from the true one; float32 rounding is below 1e-6 of the maximum
                double bound = HALF_GAP * exactMax[block] + Math.abs(exactMax[block] - storedMax[block])
                        + 1e-6 * exactMax[block];
                for (int i = block * 64; i < block * 64 + 64; i++) {
                    double error = Math.abs(values[i] - restored[i]);
                    assertTrue(error <= bound, "element " + i + " error " + error + " > bound " + bound);
                    squares += (double) values[i] * values[i];
                    errors += error * error;
                }
            }
            double relativeRms = Math.sqrt(errors / squares);
            // NF4 on normal weights in blocks of 64: 9.2% of the weights' RMS (measured), checked below 10%
            assertTrue(relativeRms < 0.10, "relative RMS error " + relativeRms);
            assertTrue(relativeRms > 0.05, "relative RMS error " + relativeRms + " implausibly small");
        }
    }

    @Test
    void blockOfEqualValuesIsExact() {
        float[] values = new float[128];
        Arrays.fill(values, 0, 64, 0.5f);
        Arrays.fill(values, 64, 128, -0.25f);
        Nf4Tensor tensor = Nf4.quantize("w", values, new long[] {2, 64}, "float32", false);
        assertArrayEquals(new float[] {0.5f, 0.25f}, tensor.absmax());
        for (int i = 0; i < 32; i++) {
            assertEquals((byte) 0xFF, tensor.packed()[i], "+1.0 is level 15 in both nibbles");
            assertEquals((byte) 0x00, tensor.packed()[32 + i], "-1.0 is level 0 in both nibbles");
        }
        assertArrayEquals(values, tensor.dequantize());
    }

    @Test
    void oneOutlierTakesTheBlockAndTheFirstElementIsTheHighNibble() {
        float[] values = new float[64];
        values[5] = 8f;
        values[40] = 0.05f; // 0.05 / 8 = 0.00625 is nearest to 0.0: lost to the outlier
        values[41] = -2f;   // -0.25 -> nearest -0.28444138
        Nf4Tensor tensor = Nf4.quantize("w", values, new long[] {64}, "float32", false);
        assertEquals(8f, tensor.absmax()[0]);
        assertEquals((byte) 0x7F, tensor.packed()[2], "elements 4 (0.0, level 7) high, 5 (+1.0, level 15) low");
        assertEquals((byte) 0x74, tensor.packed()[20], "elements 40 (0.0) high, 41 (level 4) low");
        assertEquals((byte) 0x77, tensor.packed()[0]);
        float[] restored = tensor.dequantize();
        assertEquals(8f, restored[5]);
        assertEquals(0f, restored[40]);
        assertEquals(Nf4.CODEBOOK[4] * 8f, restored[41]);
    }

    @Test
    void lastBlockShorterThan64HasItsOwnMaximum() {
        float[] values = new float[66];
        Arrays.fill(values, 0, 64, 1f);
        values[64] = 3f;
        values[65] = -1.5f; // -0.5 -> nearest level -0.52507305 (index 2)
        Nf4Tensor tensor = Nf4.quantize("w", values, new long[] {6, 11}, "float32", false);
        assertArrayEquals(new float[] {1f, 3f}, tensor.absmax());
        assertEquals(33, tensor.packed().length);
        assertEquals((byte) 0xF2, tensor.packed()[32]);
        float[] restored = tensor.dequantize();
        assertEquals(3f, restored[64]);
        assertEquals(Nf4.CODEBOOK[2] * 3f, restored[65]);
    }

    @Test
    void allZeroBlockDequantizesToZero() {
        float[] values = new float[128];
        values[100] = 1f;
        Nf4Tensor tensor = Nf4.quantize("w", values, new long[] {128}, "float32", false);
        assertEquals(0f, tensor.absmax()[0]);
        assertEquals((byte) 0x77, tensor.packed()[0]);
        assertArrayEquals(values, tensor.dequantize());
    }

    @Test
    void doubleQuantizationSubtractsTheMeanAndQuantizesBlocksOf256() {
        // 300 block maxima: 1.0 .. 300.0 in blocks of 64 values whose first element is the maximum
        float[] values = new float[300 * 64];
        for (int block = 0; block < 300; block++) {
            values[block * 64] = block + 1;
        }
        Nf4Tensor tensor = Nf4.quantize("w", values, new long[] {300, 64}, "float32", true);
        assertNull(tensor.absmax());
        Nf4Tensor.Nested nested = tensor.nested();
        assertNotNull(nested);
        assertEquals(150.5f, nested.offset(), "offset = mean of 1..300");
        assertEquals(256, nested.blocksize());
        // centered maxima -149.5 .. 149.5: the first 256 reach -149.5, the last 44 (257..300 - 150.5) reach 149.5
        assertArrayEquals(new float[] {149.5f, 149.5f}, nested.absmax());
        assertEquals(300, nested.quantized().length);
        float[] map = Nf4.dynamicMap();
        // the block maximum 300 is +1.0 of the second nested block: code 255, restored exactly
        assertEquals(255, nested.quantized()[299] & 0xFF);
        float[] resolved = tensor.blockAbsmax();
        assertEquals(300f, resolved[299]);
        // 1 is -149.5 / 149.5 = -1.0, which the map lacks: its nearest is -0.99296875
        assertEquals(0, nested.quantized()[0] & 0xFF);
        assertEquals(map[0] * 149.5f + 150.5f, resolved[0]);
        // 151 is 0.5 / 149.5 of the way: the map's nearest value, then x 149.5 + 150.5
        int code = nested.quantized()[150] & 0xFF;
        assertEquals(Nf4.nearest(0.5f * (1f / 149.5f), map), code);
        assertEquals(map[code] * 149.5f + 150.5f, resolved[150]);
        for (int block = 0; block < 300; block++) {
            assertEquals(block + 1, resolved[block], 149.5 * 0.0071, "8-bit maxima within half a map step");
        }
        assertEquals(300 * 32 + 300 + 2 * 4 + 4, tensor.storageBytes());
        // the memory plan's formula, from the element count alone, is the same
        assertEquals(tensor.storageBytes(), Nf4Tensor.storageBytes(tensor.elementCount(), true));
    }

    @Test
    void thePlansFormulaCountsWhatQuantizingHolds() {
        for (boolean doubleQuant : new boolean[] {false, true}) {
            for (int elements : new int[] {64, 128, 64 * 300, 64 * 257 + 64}) {
                Nf4Tensor tensor = Nf4.quantize("t", new float[elements], new long[] {elements / 64, 64}, "float32", doubleQuant);
                assertEquals(tensor.storageBytes(), Nf4Tensor.storageBytes(elements, doubleQuant), elements + " " + doubleQuant);
            }
        }
    }

    @Test
    void oddElementCountFailsNamingTheTensor() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Nf4.quantize("model.layers.0.mlp.up_proj.weight", new float[63], new long[] {7, 9}, "float32", true));
        assertTrue(e.getMessage().contains("model.layers.0.mlp.up_proj.weight"), e.getMessage());
        assertTrue(e.getMessage().contains("odd"), e.getMessage());
    }

    private static double maxHalfGap(float[] levels) {
        double max = 0;
        for (int i = 1; i < levels.length; i++) {
            max = Math.max(max, (levels[i] - (double) levels[i - 1]) / 2);
        }
        return max;
    }
}
