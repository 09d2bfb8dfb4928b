package dev.lyrics.quant;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.ndarray.types.SparseFormat;
import dev.lyrics.model.LlamaModel.Projection;
import dev.lyrics.model.Torch;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * A projection whose weight stays NF4 on the device: the packed codes and the (double-quantized)
 * block maxima, about 0.53 bytes per weight. Each call dequantizes the weight to the activation's
 * dtype in the activation's manager, multiplies, and drops its handle on it at once, so only
 * autograd (when the input needs a gradient) keeps a dequantized weight alive until backward.
 *
 * <p>Dequantization is two table lookups on the device: every packed byte indexes a (256, 2) table
 * of its two levels (high nibble first), every 8-bit block maximum the 256-value dynamic map.
 */
public final class QuantizedLinear implements Projection {
    private final String name;
    private final long[] shape;
    private final long elements;
    private final int blocksize;
    /** (elements / 2) uint8 */
    private final NDArray packed;
    /** (256, 2) float32: the levels of a byte's high and low nibble */
    private final NDArray pairs;
    /** (blocks) float32, or (blocks) uint8 with nested statistics */
    private final NDArray absmax;
    /** (256, 1) float32 dynamic map, (nestedBlocks) float32 maxima; null without double quantization */
    private final NDArray nestedCode;
    private final NDArray nestedAbsmax;
    private final int nestedBlocksize;
    private final float offset;
    private final long storageBytes;

    /** Puts the tensor's codes and statistics on {@code manager}'s device. */
    public QuantizedLinear(Nf4Tensor tensor, NDManager manager) {
        this.name = tensor.name();
        this.shape = tensor.shape().clone();
        this.elements = tensor.elementCount();
        this.blocksize = tensor.blocksize();
        this.packed = bytes(manager, tensor.packed());
        float[] table = new float[512];
        for (int b = 0; b < 256; b++) {
            table[2 * b] = tensor.code()[b >>> 4];
            table[2 * b + 1] = tensor.code()[b & 0x0F];
        }
        this.pairs = manager.create(table, new Shape(256, 2));
        Nf4Tensor.Nested nested = tensor.nested();
        if (nested == null) {
            this.absmax = manager.create(tensor.absmax());
            this.nestedCode = null;
            this.nestedAbsmax = null;
            this.nestedBlocksize = 0;
            this.offset = 0f;
        } else {
            this.absmax = bytes(manager, nested.quantized());
            this.nestedCode = manager.create(nested.code(), new Shape(256, 1));
            this.nestedAbsmax = manager.create(nested.absmax());
            this.nestedBlocksize = nested.blocksize();
            this.offset = nested.offset();
        }
        this.storageBytes = tensor.storageBytes();
    }

    private static NDArray bytes(NDManager manager, byte[] values) {
        ByteBuffer buffer = ByteBuffer.allocateDirect(values.length).order(ByteOrder.nativeOrder());
        buffer.put(values).flip();
        try (NDArray shared = manager.create(buffer, new Shape(values.length), DataType.UINT8)) {
            return shared.duplicate();
        }
    }

    public String name() {
        return name;
    }

    /** Bytes of codes and statistics this projection keeps. */
    public long storageBytes() {
        return storageBytes;
    }

    @Override
    public NDArray forward(NDArray x) {
        NDArray weight = dequantize(x.getManager(), x.getDataType());
        try (weight) {
            return x.getNDArrayInternal().linear(x, weight, null).singletonOrThrow();
        }
    }

    /** The weight [out, in] in {@code dtype}, an array of {@code scope}. */
    public NDArray dequantize(NDManager scope, DataType dtype) {
        try (NDManager work = scope.newSubManager()) {
            NDArray blockMax;
            if (nestedCode == null) {
                blockMax = perBlockIn(absmax, work);
            } else {
                // code[q] * nested absmax of its block, then + offset (bitsandbytes' order, float32)
                NDArray codes = lookup(absmax, nestedCode, work);
                blockMax = expand(nestedAbsmax, nestedBlocksize, codes.size(), work, codes);
                blockMax = blockMax.add(Torch.scalar(blockMax, offset));
            }
            // (elements / 2) bytes -> (elements / 2, 2) levels -> (elements)
            NDArray levels = lookup(packed, pairs, work).reshape(elements);
            NDArray values = expand(blockMax, blocksize, elements, work, levels);
            NDArray weight = (values.getDataType() == dtype ? values : values.toType(dtype, false)).reshape(new Shape(shape));
            weight.attach(scope);
            return weight;
        }
    }

    /** table[indices], an embedding lookup: (n) -> (n, columns), or (n) for a one-column table. */
    private static NDArray lookup(NDArray indices, NDArray table, NDManager work) {
        NDArray ids = indices.toType(DataType.INT32, false);
        ids.attach(work);
        NDArray found = ids.getNDArrayInternal().embedding(ids, table, SparseFormat.DENSE).singletonOrThrow();
        return found.getShape().get(found.getShape().dimension() - 1) == 1 ? found.reshape(-1) : found;
    }

    /** values (count) times its block's entry of perBlock (blocks of blocksize). */
    private static NDArray expand(NDArray perBlock, int blocksize, long count, NDManager work, NDArray values) {
        if (count % blocksize == 0) {
            // (count / blocksize, blocksize) * (count / blocksize, 1)
            return values.reshape(count / blocksize, blocksize).mul(perBlockIn(perBlock, work).reshape(-1, 1)).reshape(count);
        }
        NDArray repeated = perBlockIn(perBlock, work).repeat(0, blocksize).get(new NDIndex(":" + count));
        return values.mul(repeated);
    }

    /** A per-block array in the work manager (model arrays stay where they are). */
    private static NDArray perBlockIn(NDArray perBlock, NDManager work) {
        if (perBlock.getManager() == work) {
            return perBlock;
        }
        NDArray copy = perBlock.duplicate();
        copy.attach(work);
        return copy;
    }
}
