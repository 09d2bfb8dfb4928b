package dev.lyrics.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;

/**
 * torch.nn.utils.clip_grad_norm_: scales all gradients together so that their global L2 norm is at
 * most maxNorm. (DJL's optimiser option clipGrad only clamps each value from above.)
 */
public final class GradientClipping {
    private GradientClipping() {}

    /** Returns the global norm before clipping; maxNorm &lt;= 0 only measures it. */
    public static double clipGlobalNorm(Collection<NDArray> parameters, double maxNorm) {
        if (parameters.isEmpty()) {
            return 0;
        }
        try (NDManager scope = parameters.iterator().next().getManager().newSubManager()) {
            List<NDArray> grads = new ArrayList<>();
            NDArray sumOfSquares = null;
            for (NDArray parameter : parameters) {
                NDArray grad = parameter.getGradient();
                grad.attach(scope);
                grads.add(grad);
                NDArray squares = grad.square().sum();
                sumOfSquares = sumOfSquares == null ? squares : sumOfSquares.add(squares);
            }
            double norm = Math.sqrt(sumOfSquares.getFloat());
            double coefficient = maxNorm / (norm + 1e-6);
            if (maxNorm > 0 && coefficient < 1) {
                for (NDArray grad : grads) {
                    grad.muli((float) coefficient);
                }
            }
            return norm;
        }
    }
}
