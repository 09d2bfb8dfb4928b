package dev.lyrics.lora;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import dev.lyrics.model.LlamaModel.Projection;
import dev.lyrics.model.Torch;

/**
 * A projection with a LoRA update, as peft's lora.Linear computes it:
 * y = base(x) + scale * B(A(dropout(x))), A (r, in) and B (out, r) float32 whatever the base's
 * precision. Dropout touches the adapter's input only, and only while training.
 */
final class LoraLinear implements Projection {
    final Projection base;
    final NDArray a;
    final NDArray b;
    final float scale;
    private final float dropout;
    private boolean training;

    LoraLinear(Projection base, NDArray a, NDArray b, double scale, double dropout) {
        this.base = base;
        this.a = a;
        this.b = b;
        this.scale = (float) scale;
        this.dropout = (float) dropout;
    }

    void setTraining(boolean training) {
        this.training = training;
    }

    @Override
    public NDArray forward(NDArray x) {
        NDArray out = base.forward(x);
        NDArray input = training && dropout > 0
                ? x.getNDArrayInternal().dropout(x, dropout, true).singletonOrThrow() : x;
        input = Torch.cast(input, DataType.FLOAT32);
        // (..., in) -> (..., r) -> (..., out); the activation comes first so results stay in the step's manager
        NDArray low = input.getNDArrayInternal().linear(input, a, null).singletonOrThrow();
        NDArray delta = low.getNDArrayInternal().linear(low, b, null).singletonOrThrow();
        delta = delta.mul(Torch.scalar(delta, scale));
        return out.add(Torch.cast(delta, out.getDataType()));
    }
}
