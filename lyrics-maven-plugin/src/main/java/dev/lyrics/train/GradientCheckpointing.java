package dev.lyrics.train;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.training.GradientCollector;
import dev.lyrics.model.LlamaModel;
import dev.lyrics.model.Torch;
import java.util.function.Function;

/**
 * Per-layer gradient checkpointing (transformers' gradient_checkpointing_enable): the forward pass
 * runs without autograd and keeps only each decoder layer's input; the backward pass then goes down
 * the layers from the top, recomputing one layer with autograd and back-propagating the gradient
 * that arrived at its output. DJL has no custom autograd function, so the vector-Jacobian product
 * of a layer comes from the backward of sum(out * gradOut), gradOut held constant: its gradient with
 * respect to the layer's input and LoRA weights is gradOut^T d out / d (input, weights). At most
 * one layer's activations (and attention scores) are alive at a time, at the cost of a second
 * forward pass through every layer.
 */
final class GradientCheckpointing {
    private GradientCheckpointing() {}

    /**
     * Accumulates into the trainable parameters' gradients what
     * {@code backward(objective(model.hiddenStates(ids, null, null)))} would, with no collector open on entry.
     *
     * @param ids         (B, T) int64; every array made here belongs to its manager or a sub-manager
     * @param objective   the scalar to differentiate, from the final-norm hidden states (B, T, hidden)
     * @param dropoutSeed seeds libtorch's generator before each layer's forward and its recomputation,
     *                    so a dropout mask is drawn the same both times
     */
    static void backward(LlamaModel model, NDArray ids, Function<NDArray, NDArray> objective, long dropoutSeed) {
        Engine engine = Torch.engine();
        NDManager scope = ids.getManager();
        LlamaModel.Positions positions = model.positions(ids);
        int layers = model.layerCount();
        // inputs[i]: (B, T, hidden) entering layer i; inputs[layers]: the last layer's output
        NDArray[] inputs = new NDArray[layers + 1];
        inputs[0] = model.embed(ids);
        for (int i = 0; i < layers; i++) {
            try (NDManager layerScope = scope.newSubManager()) {
                inputs[i].tempAttach(layerScope);
                engine.setRandomSeed(layerSeed(dropoutSeed, i));
                NDArray out = model.decoderLayer(i, inputs[i], positions);
                out.attach(scope);
                inputs[i + 1] = out;
            }
        }
        NDArray gradOut;
        try (NDManager top = scope.newSubManager(); GradientCollector collector = engine.newGradientCollector()) {
            NDArray hidden = inputs[layers];
            hidden.attach(top);
            hidden.setRequiresGradient(true);
            collector.backward(objective.apply(model.finalNorm(hidden)));
            gradOut = hidden.getGradient();
            gradOut.attach(scope);
        }
        for (int i = layers - 1; i >= 0; i--) {
            try (NDManager layerScope = scope.newSubManager(); GradientCollector collector = engine.newGradientCollector()) {
                NDArray input = inputs[i];
                input.attach(layerScope);
                gradOut.attach(layerScope);
                // the embeddings are frozen: layer 0's input needs no gradient
                if (i > 0) {
                    input.setRequiresGradient(true);
                }
                engine.setRandomSeed(layerSeed(dropoutSeed, i));
                NDArray out = model.decoderLayer(i, input, positions);
                collector.backward(out.mul(gradOut).sum());
                if (i > 0) {
                    gradOut = input.getGradient();
                    gradOut.attach(scope);
                }
            }
        }
    }

    private static int layerSeed(long dropoutSeed, int layer) {
        return (int) (dropoutSeed * 1009 + layer);
    }
}
