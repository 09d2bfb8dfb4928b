package dev.lyrics.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.SparseFormat;
import java.util.ArrayList;
import java.util.List;

/**
 * The next-token loss read straight from final hidden states through the lm_head, a block of rows
 * at a time, so that at most {@link #BLOCK_ELEMENTS} logits (and their log-softmax) exist at once
 * instead of several batch x sequence x vocab arrays.
 *
 * <p>Training needs the gradient of L = sum_i c_i (logsumexp(z_i) - z_i[t_i]), z_i = W h_i and
 * c_i = scale x weight_i, which
 * autograd would get through a log-softmax backward and a gather backward over the whole logits.
 * DJL has no custom autograd function, so the gradient is computed here block by block with no
 * graph, as dL/dz_i = c_i softmax(z_i) - c_i onehot(t_i), and handed to autograd through a
 * surrogate whose gradient is the same:
 * <pre>
 *   S = sum_i h_i . (sum_block P W - c_i W[t_i]) + [W trains] sum(W . P^T h)      P = c softmax(z), constant
 * </pre>
 * The W[t_i] rows come from an embedding lookup inside the graph, so their gradient reaches W (and
 * a tied embedding) as autograd's scatter-add. The objective returned is S - detach(S) + L: its
 * value is the loss and its gradient that of S.
 */
final class LmHeadLoss {
    /** Logits per block (16 MiB of float32); a block has at least one row. */
    static final long BLOCK_ELEMENTS = 1L << 22;

    private LmHeadLoss() {}

    /** Rows of a block for a vocabulary of {@code vocab}, at most {@code rows}. */
    static long blockRows(long rows, long vocab) {
        return Math.max(1, Math.min(rows, BLOCK_ELEMENTS / vocab));
    }

    /** log p(target) (N) float32 of hidden (N, d) and targets (N) int64, with no gradient. */
    static NDArray targetLogProbs(NDArray hidden, NDArray weight, NDArray targets) {
        return blocks(hidden.stopGradient(), weight.stopGradient(), targets, null, false).logProbs;
    }

    /**
     * @param hidden  (N, d) final-norm hidden states, in the graph
     * @param weight  (V, d) the lm_head weight, trained or not
     * @param targets (N) int64
     * @param weights (N) float32: what each position's -log p(target) weighs in the loss
     * @param scale   what the objective multiplies the loss by (a mean's divisor, a float16 loss scale)
     * @return the objective and the loss, sum_i weights_i (-log p(t_i)), unscaled
     */
    static Result loss(NDArray hidden, NDArray weight, NDArray targets, NDArray weights, double scale) {
        boolean trainsWeight = weight.hasGradient();
        NDArray c = weights.mul(Torch.scalar(weights, scale));
        Blocks blocks = blocks(hidden.stopGradient(), weight.stopGradient(), targets, c, trainsWeight);
        double loss = -blocks.logProbs.mul(weights).sum().toType(DataType.FLOAT64, false).getDouble();
        // (N, d): W[t_i], in the graph when W trains
        NDArray targetRows = Torch.cast(targets.getNDArrayInternal().embedding(targets, weight, SparseFormat.DENSE)
                .singletonOrThrow(), DataType.FLOAT32);
        // dot products of flattened arrays: no product array as large as the weight is made
        NDArray surrogate = dot(Torch.cast(hidden, DataType.FLOAT32),
                blocks.hiddenGradient.sub(targetRows.mul(c.expandDims(-1))));
        if (trainsWeight) {
            surrogate = surrogate.add(dot(Torch.cast(weight, DataType.FLOAT32), blocks.weightGradient));
        }
        NDArray objective = surrogate.sub(surrogate.stopGradient()).add(Torch.scalar(surrogate, scale * loss));
        return new Result(objective, loss);
    }

    /** sum(a * b) of two arrays of one shape, as one dot product. */
    private static NDArray dot(NDArray a, NDArray b) {
        return a.reshape(-1).dot(b.reshape(-1));
    }

    /** What {@link #loss} returns: the scalar to back-propagate (its value is scale x loss) and the loss. */
    record Result(NDArray objective, double loss) {}

    /**
     * log p(t) of every row, and with coefficients P W (N, d) and, when {@code withWeightGradient}, P^T h
     * (V, d) for P = c softmax(W h); in float32, in the manager of {@code hidden}.
     */
    private static Blocks blocks(NDArray hidden, NDArray weight, NDArray targets, NDArray coefficients,
                                 boolean withWeightGradient) {
        NDManager scope = hidden.getManager();
        long rows = hidden.getShape().get(0);
        long step = blockRows(rows, weight.getShape().get(0));
        DataType dtype = weight.getDataType();
        List<NDArray> logProbs = new ArrayList<>();
        List<NDArray> hiddenGradients = new ArrayList<>();
        NDArray weightGradient = null;
        for (long first = 0; first < rows; first += step) {
            long last = Math.min(rows, first + step);
            try (NDManager block = scope.newSubManager()) {
                NDIndex index = new NDIndex("{}:{}", first, last);
                NDArray h = Torch.view(hidden, index, block);
                // (rows, V) float32 logits and their log-softmax: the only vocabulary-wide arrays
                NDArray z = Torch.cast(h.getNDArrayInternal().linear(h, weight, null).singletonOrThrow(), DataType.FLOAT32);
                NDArray logP = z.logSoftmax(-1);
                NDArray t = Torch.view(targets, index, block);
                NDArray picked = logP.gather(t.expandDims(-1), -1).squeeze(-1);
                picked.attach(scope);
                logProbs.add(picked);
                if (coefficients != null) {
                    NDArray c = Torch.view(coefficients, index, block);
                    // P = c softmax: c scales the (rows, d) sides of the products, not the (rows, V) one
                    NDArray softmax = Torch.cast(logP.exp(), dtype);
                    NDArray rowScale = c.expandDims(-1);
                    NDArray toHidden = Torch.cast(softmax.matMul(weight), DataType.FLOAT32).mul(rowScale);
                    toHidden.attach(scope);
                    hiddenGradients.add(toHidden);
                    if (withWeightGradient) {
                        NDArray scaled = Torch.cast(Torch.cast(h, DataType.FLOAT32).mul(rowScale), dtype);
                        NDArray toWeight = Torch.cast(softmax.transpose().matMul(scaled), DataType.FLOAT32);
                        // (V, d) per block: summed into the first block's, the others go with their block
                        if (weightGradient == null) {
                            toWeight.attach(scope);
                            weightGradient = toWeight;
                        } else {
                            weightGradient.addi(toWeight);
                        }
                    }
                }
            }
        }
        return new Blocks(join(logProbs), coefficients == null ? null : join(hiddenGradients), weightGradient);
    }

    private static NDArray join(List<NDArray> parts) {
        return parts.size() == 1 ? parts.get(0) : NDArrays.concat(new NDList(parts), 0);
    }

    private record Blocks(NDArray logProbs, NDArray hiddenGradient, NDArray weightGradient) {}
}
