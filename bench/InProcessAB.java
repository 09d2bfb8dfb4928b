import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import dev.lyrics.lora.LoraConfig;
import dev.lyrics.lora.LoraModel;
import dev.lyrics.model.LlamaConfig;
import dev.lyrics.model.LlamaModel;
import dev.lyrics.model.NativeTuning;
import dev.lyrics.model.Torch;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Random;

/**
 * Two variants of the decoder side by side in one process, alternating rounds of steps, so that the
 * machine's run-to-run noise (memory layout, huge pages, clock) does not decide a difference of a
 * few percent. Prints the median step of each variant and the ratio. Variants:
 * <ul>
 *   <li>{@code fusion-eval}: forward passes of frozen weights, q|k|v and gate|up fused (the model as
 *       it is) against separate products (every projection wrapped, which disables the fusion);</li>
 *   <li>{@code lora-train}: the experiment's LoRA (r 32, alpha 64, all seven projections) on a frozen
 *       base, the model as it is against separate products. The results in bench/results were taken
 *       while the base products under adapters were fused, each adapter adding to its slice; since
 *       they were slower, a group with an adapter runs apart, and both sides now compute alike;</li>
 *   <li>{@code loss-train}: every weight trained, the loss from hidden states block-wise
 *       ({@code LlamaModel.tokenLoss}) against autograd through the whole logits (log-softmax and
 *       gather, {@code LlamaModel.targetLogProbs}).</li>
 * </ul>
 * <pre>
 * java -Ddim=256 -Dffn=688 -Dlayers=4 -cp lyrics-maven-plugin/target/test-classes:lyrics-maven-plugin/target/classes:$(cat lyrics-maven-plugin/target/classpath.txt) \
 *     bench/InProcessAB.java loss-train
 * </pre>
 * The benchmark's configuration (vocabulary 4096, 4 heads, sequence 256, batch 8, 1 thread); -Ddim,
 * -Dffn and -Dlayers change the width, -Drounds the rounds (8). -Daa=true runs the model as it is on both sides (an A/A run:
 * the ratio it prints is the method's own noise).
 */
public class InProcessAB {
    public static void main(String[] args) {
        String mode = args[0];
        Torch.engine(1);
        System.out.println(NativeTuning.apply());
        LlamaConfig config = LlamaConfig.of(4096, Integer.getInteger("dim", 256), Integer.getInteger("ffn", 688),
                Integer.getInteger("layers", 4), 4, 4, 256, false);
        boolean train = !mode.equals("fusion-eval");
        boolean oldLoss = mode.equals("loss-train");
        boolean lora = mode.equals("lora-train");
        try (LlamaModel a = LlamaModel.initialize(config, 3407, Device.cpu(), DataType.FLOAT32);
             LlamaModel b = LlamaModel.initialize(config, 3407, Device.cpu(), DataType.FLOAT32)) {
            if (lora) {
                LoraConfig settings = new LoraConfig(32, 64, 0, List.copyOf(LlamaModel.PROJECTIONS), false);
                LoraModel.create(a, settings, 3407);
                LoraModel.create(b, settings, 3407);
            }
            if (!oldLoss && !Boolean.getBoolean("aa")) {
                for (String name : b.projectionNames()) {
                    LlamaModel.Projection original = b.projection(name);
                    b.setProjection(name, original::forward);
                }
            }
            if (train && !lora) {
                a.parameters().values().forEach(p -> p.setRequiresGradient(true));
                b.parameters().values().forEach(p -> p.setRequiresGradient(true));
            }
            Random random = new Random(1);
            long[] ids = new long[2048];
            long[] targets = new long[2048];
            for (int i = 0; i < ids.length; i++) {
                ids[i] = random.nextInt(4096);
                targets[i] = random.nextInt(4096);
            }
            run(a, train, false, ids, targets, 5, null);
            run(b, train, oldLoss, ids, targets, 5, null);
            List<Double> first = new ArrayList<>();
            List<Double> second = new ArrayList<>();
            for (int round = 0; round < Integer.getInteger("rounds", 8); round++) {
                run(a, train, false, ids, targets, 4, first);
                run(b, train, oldLoss, ids, targets, 4, second);
            }
            double ma = median(first);
            double mb = median(second);
            System.out.printf(Locale.ROOT, "%s dim %d: median step %.1f ms (the model as it is) against %.1f ms (%s): %.3fx%n",
                    mode, config.hiddenSize(), ma, mb, oldLoss ? "loss through the whole logits" : "separate products",
                    mb / ma);
        }
    }

    private static void run(LlamaModel model, boolean train, boolean oldLoss, long[] ids, long[] targets, int steps,
                            List<Double> times) {
        for (int step = 0; step < steps; step++) {
            long start = System.nanoTime();
            try (NDManager scope = model.manager().newSubManager()) {
                NDArray input = scope.create(ids, new Shape(8, 256));
                NDArray target = scope.create(targets, new Shape(8, 256));
                if (train) {
                    try (GradientCollector collector = Torch.engine().newGradientCollector()) {
                        NDArray hidden = model.hiddenStates(input, null, null);
                        collector.backward(oldLoss
                                ? LlamaModel.targetLogProbs(model.logits(hidden), target).mean().neg()
                                : model.tokenLoss(hidden, target, target.onesLike().toType(DataType.FLOAT32, false),
                                        1.0 / ids.length).objective());
                    }
                } else {
                    model.forward(input).sum().getFloat();
                }
            }
            if (times != null) {
                times.add((System.nanoTime() - start) / 1e6);
            }
        }
    }

    private static double median(List<Double> values) {
        List<Double> sorted = new ArrayList<>(values);
        Collections.sort(sorted);
        return sorted.get(sorted.size() / 2);
    }
}
