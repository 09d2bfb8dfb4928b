package dev.lyrics.quant;

/**
 * 4-bit NormalFloat (NF4) quantization as the QLoRA paper (Dettmers et al., 2023) defines it and
 * bitsandbytes stores it: a tensor is cut into blocks of {@link #BLOCKSIZE} consecutive elements
 * (row-major), each block scaled by its absolute maximum into [-1, 1] and every element replaced by
 * the index of the nearest of the 16 {@link #CODEBOOK} levels (ties to the lower level, as
 * torch.argmin picks the first). Two codes share a byte, the first element in the high nibble. With
 * double quantization the block maxima are themselves quantized: their mean is subtracted
 * (bitsandbytes' {@code offset}) and the rest quantized to 8 bits in blocks of
 * {@link #NESTED_BLOCKSIZE} with bitsandbytes' signed dynamic map ({@link #dynamicMap()}).
 *
 * <p>One difference from bitsandbytes, in the stored codes only: a block whose maximum is 0 gets
 * the level 0.0 (index 7) here, where bitsandbytes divides by zero and stores index 0 (-1.0); both
 * dequantize to zero when the block's maximum is stored exactly (no double quantization).
 */
public final class Nf4 {
    /** Elements per block of the 4-bit codes (bitsandbytes' default, the study's). */
    public static final int BLOCKSIZE = 64;
    /** Block maxima per block of the 8-bit second quantization (bitsandbytes' default). */
    public static final int NESTED_BLOCKSIZE = 256;

    /**
     * The 16 NF4 levels: quantiles of N(0, 1) normalised to [-1, 1], with an exact zero (the values
     * of bitsandbytes' get_4bit_type("nf4") and its CUDA kernels, float32).
     */
    public static final float[] CODEBOOK = {
        -1.0f, -0.6961928009986877f, -0.5250730514526367f, -0.39491748809814453f,
        -0.28444138169288635f, -0.18477343022823334f, -0.09105003625154495f, 0.0f,
        0.07958029955625534f, 0.16093020141124725f, 0.24611230194568634f, 0.33791524171829224f,
        0.44070982933044434f, 0.5626170039176941f, 0.7229568362236023f, 1.0f,
    };

    /** The code of 0.0, for a block that is all zeros. */
    static final int ZERO_CODE = 7;

    private Nf4() {}

    /**
     * bitsandbytes' create_dynamic_map(signed=True, max_exponent_bits=7, total_bits=8), in float32 as
     * torch computes it: for i in 0..6, the 2^i midpoints of linspace(0.1, 1, 2^i + 1) times
     * 10^(i - 6), positive and negative, then 0 and 1, sorted (256 values).
     */
    public static float[] dynamicMap() {
        double[] powers = {1e-6, 1e-5, 1e-4, 1e-3, 1e-2, 1e-1, 1.0};
        float[] map = new float[256];
        int n = 0;
        for (int i = 0; i < 7; i++) {
            float[] boundaries = linspace(0.1f, 1f, (1 << i) + 1);
            float scale = (float) powers[i];
            for (int j = 0; j + 1 < boundaries.length; j++) {
                float mean = (boundaries[j] + boundaries[j + 1]) / 2.0f;
                map[n++] = scale * mean;
                map[n++] = -(scale * mean);
            }
        }
        map[n++] = 0f;
        map[n++] = 1f;
        if (n != 256) {
            throw new IllegalStateException("dynamic map has " + n + " values");
        }
        java.util.Arrays.sort(map);
        return map;
    }

    /** torch.linspace in float32 (CPU kernel): the first half counted from start, the second from end. */
    private static float[] linspace(float start, float end, int steps) {
        float[] out = new float[steps];
        float step = (end - start) / (steps - 1);
        int halfway = steps / 2;
        for (int i = 0; i < steps; i++) {
            out[i] = i < halfway ? start + step * i : end - step * (steps - i - 1);
        }
        return out;
    }

    /** Number of blocks of {@code blocksize} that cover n elements (the last may be shorter). */
    static int blocks(long n, int blocksize) {
        return Math.toIntExact((n + blocksize - 1) / blocksize);
    }

    /** Index of the level nearest to x, the first on a tie (torch.argmin). */
    static int nearest(float x, float[] levels) {
        int best = 0;
        float bestDistance = Math.abs(x - levels[0]);
        for (int i = 1; i < levels.length; i++) {
            float distance = Math.abs(x - levels[i]);
            if (distance < bestDistance) {
                best = i;
                bestDistance = distance;
            }
        }
        return best;
    }

    /** max |x| per block. */
    static float[] absmax(float[] values, int blocksize) {
        float[] absmax = new float[blocks(values.length, blocksize)];
        for (int i = 0; i < values.length; i++) {
            int block = i / blocksize;
            absmax[block] = Math.max(absmax[block], Math.abs(values[i]));
        }
        return absmax;
    }

    /** bitsandbytes' blockwise code of one value: clamp(x * (1 / absmax), -1, 1) to its nearest level. */
    static int code(float x, float absmax, float[] levels, int zeroCode) {
        if (absmax == 0f) {
            return zeroCode;
        }
        float scaled = Math.max(-1f, Math.min(1f, x * (1f / absmax)));
        return nearest(scaled, levels);
    }

    /**
     * Quantizes a tensor (row-major values of {@code shape}) to NF4 in blocks of 64, with double
     * quantization of the block maxima when {@code doubleQuant}.
     *
     * @param name  the tensor's name, for errors
     * @param dtype the dtype the tensor had and dequantizes to (bitsandbytes records it)
     */
    public static Nf4Tensor quantize(String name, float[] values, long[] shape, String dtype, boolean doubleQuant) {
        if (values.length % 2 != 0) {
            throw new IllegalArgumentException("tensor " + name + " has " + values.length
                    + " elements, an odd count: two 4-bit codes share a byte, so NF4 needs an even count");
        }
        for (int i = 0; i < values.length; i++) {
            if (!Float.isFinite(values[i])) {
                throw new IllegalArgumentException("tensor " + name + " holds " + values[i] + " at element " + i
                        + ": only finite weights can be quantized");
            }
        }
        float[] absmax = absmax(values, BLOCKSIZE);
        byte[] packed = new byte[values.length / 2];
        for (int i = 0; i < packed.length; i++) {
            int high = code(values[2 * i], absmax[2 * i / BLOCKSIZE], CODEBOOK, ZERO_CODE);
            int low = code(values[2 * i + 1], absmax[(2 * i + 1) / BLOCKSIZE], CODEBOOK, ZERO_CODE);
            packed[i] = (byte) (high << 4 | low);
        }
        Nf4Tensor.Nested nested = doubleQuant ? quantizeAbsmax(absmax) : null;
        return new Nf4Tensor(name, shape.clone(), dtype, BLOCKSIZE, packed, CODEBOOK.clone(),
                doubleQuant ? null : absmax, nested);
    }

    /**
     * The second quantization: offset = mean(absmax); absmax - offset quantized blockwise (256) to
     * the 8-bit dynamic map (bitsandbytes' quantize_blockwise, whose code for an all-zero block is
     * the map's 0).
     */
    static Nf4Tensor.Nested quantizeAbsmax(float[] absmax) {
        double sum = 0;
        for (float a : absmax) {
            sum += a;
        }
        float offset = (float) (sum / absmax.length);
        float[] centered = new float[absmax.length];
        for (int i = 0; i < absmax.length; i++) {
            centered[i] = absmax[i] - offset;
        }
        float[] map = dynamicMap();
        int zero = nearest(0f, map);
        float[] nestedAbsmax = absmax(centered, NESTED_BLOCKSIZE);
        byte[] codes = new byte[centered.length];
        for (int i = 0; i < centered.length; i++) {
            codes[i] = (byte) code(centered[i], nestedAbsmax[i / NESTED_BLOCKSIZE], map, zero);
        }
        return new Nf4Tensor.Nested(codes, nestedAbsmax, map, NESTED_BLOCKSIZE, offset);
    }

    /** Maximum and root-mean-square of |original - dequantized| over a tensor, and the RMS of the original. */
    public record Error(double max, double rms, double weightRms) {
        public static Error of(float[] original, float[] dequantized) {
            double max = 0;
            double squares = 0;
            double weights = 0;
            for (int i = 0; i < original.length; i++) {
                double d = Math.abs((double) original[i] - dequantized[i]);
                max = Math.max(max, d);
                squares += d * d;
                weights += (double) original[i] * original[i];
            }
            int n = Math.max(1, original.length);
            return new Error(max, Math.sqrt(squares / n), Math.sqrt(weights / n));
        }
    }
}
