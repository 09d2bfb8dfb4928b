package dev.lyrics.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import java.util.Collection;

/**
 * Gradient bookkeeping DJL leaves to the caller: reading a parameter's gradient without leaking
 * its handle, zeroing after an update (libtorch accumulates into .grad across backward passes,
 * which is what gradient accumulation relies on), and clipping by global norm as
 * torch.nn.utils.clip_grad_norm_ does (DJL's clipGrad only clamps each value).
 */
public final class Gradients {
    private Gradients() {}

    /** The gradient of a parameter, as an array handle owned by {@code scope}. */
    public static NDArray of(NDArray parameter, NDManager scope) {
        return into(scope, parameter.getGradient());
    }

    /** Moves an array into a scope and returns it. */
    static NDArray into(NDManager scope, NDArray array) {
        array.attach(scope);
        return array;
    }

    /** Sets every gradient to zero (torch's zero_grad without set_to_none). */
    public static void zero(Collection<NDArray> parameters) {
        for (NDArray parameter : parameters) {
            JniUtils.zeroGrad((PtNDArray) parameter);
        }
    }

    /** The L2 norm of all gradients together. */
    public static double globalNorm(Collection<NDArray> parameters, NDManager scope) {
        double sumOfSquares = 0;
        for (NDArray parameter : parameters) {
            sumOfSquares += of(parameter, scope).square().sum().toType(DataType.FLOAT64, false)
                    .getDouble();
        }
        return Math.sqrt(sumOfSquares);
    }

    /**
     * Scales every gradient by min(1, maxNorm / (norm + 1e-6)) as clip_grad_norm_ does.
     *
     * @return the norm before clipping
     */
    public static double clipGlobalNorm(Collection<NDArray> parameters, double maxNorm, NDManager scope) {
        double norm = globalNorm(parameters, scope);
        double coefficient = maxNorm / (norm + 1e-6);
        if (coefficient < 1) {
            for (NDArray parameter : parameters) {
                of(parameter, scope).muli((float) coefficient);
            }
        }
        return norm;
    }
}
