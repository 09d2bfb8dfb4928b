package dev.lyrics.quant;

import java.util.Arrays;

/**
 * One NF4-quantized tensor as bitsandbytes keeps it: the packed codes (two per byte, the first
 * element high), the 16-level codebook ({@code quant_map}) and the block maxima, either as float32
 * ({@code absmax}) or, with double quantization, as 8-bit codes with their own statistics
 * ({@link Nested}). Nothing here is dequantized until {@link #dequantize()} is called.
 *
 * @param dtype  the tensor's original dtype as bitsandbytes names it ("float32", "bfloat16", "float16")
 * @param absmax the float32 block maxima, or null when {@code nested} holds them
 */
public record Nf4Tensor(String name, long[] shape, String dtype, int blocksize, byte[] packed, float[] code,
                        float[] absmax, Nested nested) {
    /**
     * Double-quantized block maxima: absmax[i] = code[quantized[i]] * absmax[i / blocksize] + offset,
     * computed in float32 in that order (bitsandbytes' dequantize_blockwise, then + offset).
     */
    public record Nested(byte[] quantized, float[] absmax, float[] code, int blocksize, float offset) {}

    public long elementCount() {
        return 2L * packed.length;
    }

    /** The float32 maximum of every block, resolving the second quantization. */
    public float[] blockAbsmax() {
        if (nested == null) {
            return absmax;
        }
        float[] resolved = new float[nested.quantized.length];
        for (int i = 0; i < resolved.length; i++) {
            resolved[i] = nested.code[nested.quantized[i] & 0xFF] * nested.absmax[i / nested.blocksize] + nested.offset;
        }
        return resolved;
    }

    /** The tensor's values, row-major, float32: code[q] * absmax of its block. */
    public float[] dequantize() {
        float[] blockMax = blockAbsmax();
        float[] out = new float[Math.toIntExact(elementCount())];
        for (int i = 0; i < packed.length; i++) {
            int b = packed[i] & 0xFF;
            out[2 * i] = code[b >>> 4] * blockMax[2 * i / blocksize];
            out[2 * i + 1] = code[b & 0x0F] * blockMax[(2 * i + 1) / blocksize];
        }
        return out;
    }

    /** Bytes this representation holds: the codes plus the statistics (codebooks not counted). */
    public long storageBytes() {
        long bytes = packed.length;
        if (nested == null) {
            return bytes + 4L * absmax.length;
        }
        return bytes + nested.quantized.length + 4L * nested.absmax.length + 4;
    }

    /**
     * What {@link #storageBytes()} comes to for a tensor of this many elements quantized by
     * {@link Nf4#quantize} in blocks of 64 (nested blocks of 256): the memory plan's figure before
     * anything is loaded.
     */
    public static long storageBytes(long elements, boolean doubleQuant) {
        long blocks = (elements + Nf4.BLOCKSIZE - 1) / Nf4.BLOCKSIZE;
        long packed = (elements + 1) / 2;
        if (!doubleQuant) {
            return packed + 4L * blocks;
        }
        return packed + blocks + 4L * ((blocks + Nf4.NESTED_BLOCKSIZE - 1) / Nf4.NESTED_BLOCKSIZE) + 4;
    }

    @Override
    public String toString() {
        return "Nf4Tensor[" + name + " " + Arrays.toString(shape) + " " + dtype + (nested == null ? "" : ", double-quantized") + "]";
    }
}
