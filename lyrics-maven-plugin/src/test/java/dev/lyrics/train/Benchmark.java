package dev.lyrics.train;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.training.GradientCollector;
import dev.lyrics.model.LlamaConfig;
import dev.lyrics.model.LlamaModel;
import dev.lyrics.model.Torch;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;
import java.util.Random;

/**
 * Training and evaluation speed of the Java decoder on the configuration of
 * ../shared/reference/llama_ref.py bench, printed in its format (train_tokens_per_s,
 * eval_tokens_per_s) so the two can be run side by side, plus the machine's measured float32
 * matrix-multiply peak, the model FLOPs per token assumed, the utilisation they imply, and the
 * process's resident memory after 50 and after the last training step (flat memory means every
 * step's arrays are freed). Test scope, like {@link ScaleProof}: a measurement, not part of the
 * plugin, so it neither ships nor reaches a stage's code fingerprint.
 *
 * <pre>
 * mvn -B -q -Ptest -pl lyrics-maven-plugin test-compile dependency:build-classpath -Dmdep.outputFile=target/classpath.txt -Dmdep.includeScope=test
 * java -cp lyrics-maven-plugin/target/test-classes:lyrics-maven-plugin/target/classes:$(cat lyrics-maven-plugin/target/classpath.txt) \
 *     dev.lyrics.train.Benchmark [--threads 2] [--steps 500] [--warmup 3] [--eval-passes 10] [--profile trace.json]
 * /usr/bin/python3 ../shared/reference/llama_ref.py bench
 * </pre>
 */
public final class Benchmark {
    private Benchmark() {}

    public static void main(String[] args) throws IOException {
        int threads = option(args, "--threads", 2);
        int steps = option(args, "--steps", 500);
        int vocab = option(args, "--vocab", 4096);
        int dim = option(args, "--dim", 256);
        int layers = option(args, "--layers", 4);
        int heads = option(args, "--heads", 4);
        int kvHeads = option(args, "--kv-heads", 4);
        int ffn = option(args, "--ffn", 688);
        int seq = option(args, "--seq", 256);
        int batch = option(args, "--batch", 8);
        int evalPasses = option(args, "--eval-passes", 10);
        int warmup = option(args, "--warmup", 3);
        String profile = stringOption(args, "--profile", null);
        Engine engine = Torch.engine(threads);
        System.out.println(dev.lyrics.model.NativeTuning.apply());
        LlamaConfig config = LlamaConfig.of(vocab, dim, ffn, layers, heads, kvHeads, seq, false);
        long parameters = config.parameterCount();
        // the input embedding is a lookup, not a product; attention scores and mixing are 2 * 2 * seq * dim per layer
        long matrixParameters = parameters - (long) vocab * dim;
        double attention = 4.0 * layers * seq * config.numAttentionHeads() * config.headDim();
        double trainFlops = 6.0 * matrixParameters + 3 * attention;
        double evalFlops = 2.0 * matrixParameters + attention;

        System.out.printf(Locale.ROOT, "djl %s %s threads %d params %d%n", Engine.getDjlVersion(),
                engine.getVersion(), threads, parameters);
        double[] peak = matmulGflops(2048, 12);
        try (LlamaModel model = LlamaModel.initialize(config, 3407, Device.cpu(), DataType.FLOAT32);
             AdamW optimizer = new AdamW(model.manager(), 0.9, 0.999, 1e-8, 0.01)) {
            model.parameters().values().forEach(p -> p.setRequiresGradient(true));
            Random random = new Random(3407);
            long[] inputs = new long[batch * seq];
            long[] targets = new long[batch * seq];
            for (int i = 0; i < batch * seq; i++) {
                inputs[i] = random.nextInt(vocab);
                targets[i] = random.nextInt(vocab);
            }
            double[] stepSeconds = new double[steps];
            long rssAt50 = 0;
            for (int step = 0; step < warmup + steps; step++) {
                long start = System.nanoTime();
                try (NDManager scope = model.manager().newSubManager();
                     GradientCollector collector = engine.newGradientCollector()) {
                    NDArray ids = scope.create(inputs, new Shape(batch, seq));
                    collector.backward(meanLoss(model, ids, scope.create(targets, new Shape(batch, seq))));
                }
                optimizer.step(model.parameters(), 3e-4);
                if (step >= warmup) {
                    stepSeconds[step - warmup] = (System.nanoTime() - start) / 1e9;
                }
                if (step + 1 - warmup == 50) {
                    rssAt50 = residentBytes();
                }
            }
            long rssAtEnd = residentBytes();
            if (profile != null) {
                // straight after the measured steps, while memory is as training left it
                profileStep(engine, model, optimizer, inputs, targets, batch, seq, profile);
            }
            model.parameters().values().forEach(p -> p.setRequiresGradient(false));
            double[] evalSeconds = new double[evalPasses];
            for (int pass = -1; pass < evalSeconds.length; pass++) {
                long start = System.nanoTime();
                try (NDManager scope = model.manager().newSubManager()) {
                    model.forward(scope.create(inputs, new Shape(batch, seq))).sum().getFloat();
                }
                if (pass >= 0) {
                    evalSeconds[pass] = (System.nanoTime() - start) / 1e9;
                }
            }
            int tokens = batch * seq;
            double trainRate = tokens / mean(stepSeconds, Math.min(steps, 50));
            double evalRate = tokens / mean(evalSeconds, evalSeconds.length);
            System.out.printf(Locale.ROOT, "train_tokens_per_s %.0f%n", trainRate);
            System.out.printf(Locale.ROOT, "eval_tokens_per_s %.0f%n", evalRate);
            System.out.printf(Locale.ROOT, "train_tokens_per_s_median_of_%d_steps %.0f%n", steps, tokens / median(stepSeconds));
            System.out.printf(Locale.ROOT, "matmul_2048_fp32_gflops peak %.1f median %.1f%n", peak[0], peak[1]);
            System.out.printf(Locale.ROOT, "model_flops_per_token train %.3e eval %.3e "
                    + "(6 x %d matrix parameters + 3 x attention %.3e; the embedding lookup is free)%n",
                    trainFlops, evalFlops, matrixParameters, attention);
            System.out.printf(Locale.ROOT, "utilisation_of_matmul_peak train %.1f%% eval %.1f%%%n",
                    100 * trainRate * trainFlops / (peak[0] * 1e9), 100 * evalRate * evalFlops / (peak[0] * 1e9));
            // the median step: the steady state, after the process's memory has settled
            System.out.printf(Locale.ROOT, "utilisation_of_matmul_peak_median_step train %.1f%% eval %.1f%%%n",
                    100 * tokens / median(stepSeconds) * trainFlops / (peak[0] * 1e9),
                    100 * tokens / median(evalSeconds) * evalFlops / (peak[0] * 1e9));
            System.out.printf(Locale.ROOT, "rss_mb step 50 %.1f step %d %.1f (%+.1f%%)%n", rssAt50 / 1e6, steps,
                    rssAtEnd / 1e6, 100.0 * (rssAtEnd - rssAt50) / rssAt50);
        }
    }

    /**
     * One more training step after the measured ones, under libtorch's autograd profiler (a Chrome
     * trace written to {@code file}, one event per native op; bench/profile-summary.py groups it),
     * with the wall time of its forward, backward and optimizer sections printed. The profiler's
     * own overhead makes this step slower than the measured ones; it is for where the time goes.
     */
    private static void profileStep(Engine engine, LlamaModel model, AdamW optimizer, long[] inputs, long[] targets,
            int batch, int seq, String file) {
        model.parameters().values().forEach(p -> p.setRequiresGradient(true));
        for (boolean profiled : new boolean[] {false, true}) {
            if (profiled) {
                JniUtils.startProfile(false, true, false);
            }
            long start = System.nanoTime();
            long forwardEnd;
            long backwardEnd;
            try (NDManager scope = model.manager().newSubManager();
                 GradientCollector collector = engine.newGradientCollector()) {
                NDArray ids = scope.create(inputs, new Shape(batch, seq));
                NDArray loss = meanLoss(model, ids, scope.create(targets, new Shape(batch, seq)));
                loss.getFloat();
                forwardEnd = System.nanoTime();
                collector.backward(loss);
                backwardEnd = System.nanoTime();
            }
            optimizer.step(model.parameters(), 3e-4);
            long end = System.nanoTime();
            if (profiled) {
                JniUtils.stopProfile(file);
            }
            System.out.printf(Locale.ROOT, "step_sections_ms%s forward %.1f backward %.1f optimizer %.1f total %.1f%n",
                    profiled ? "_profiled" : "", (forwardEnd - start) / 1e6, (backwardEnd - forwardEnd) / 1e6,
                    (end - backwardEnd) / 1e6, (end - start) / 1e6);
        }
        System.out.println("profile " + file);
    }

    /** The mean next-token loss of every position, as F.cross_entropy in llama_ref.py bench. */
    private static NDArray meanLoss(LlamaModel model, NDArray ids, NDArray targets) {
        NDArray weights = targets.onesLike().toType(DataType.FLOAT32, false);
        return model.tokenLoss(model.hiddenStates(ids, null, null), targets, weights, 1.0 / targets.size()).objective();
    }

    /** GFLOP/s of n x n float32 products: {best, median} of several. */
    static double[] matmulGflops(int n, int repeats) {
        double[] rates = new double[repeats];
        try (NDManager manager = NDManager.newBaseManager(Device.cpu(), Torch.ENGINE)) {
            NDArray a = manager.randomNormal(new Shape(n, n));
            NDArray b = manager.randomNormal(new Shape(n, n));
            for (int i = -2; i < repeats; i++) {
                try (NDManager scope = manager.newSubManager()) {
                    long start = System.nanoTime();
                    NDArray product = a.matMul(b);
                    product.attach(scope);
                    double seconds = (System.nanoTime() - start) / 1e9;
                    if (i >= 0) {
                        rates[i] = 2.0 * n * n * n / seconds / 1e9;
                    }
                }
            }
        }
        return new double[] {Arrays.stream(rates).max().orElse(0), median(rates)};
    }

    private static double mean(double[] values, int count) {
        return Arrays.stream(values, 0, count).average().orElse(Double.NaN);
    }

    private static double median(double[] values) {
        double[] sorted = values.clone();
        Arrays.sort(sorted);
        return sorted[sorted.length / 2];
    }

    /** VmRSS of this process (Linux). */
    private static long residentBytes() throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
            if (line.startsWith("VmRSS:")) {
                return Long.parseLong(line.replaceAll("\\D", "")) * 1024;
            }
        }
        return -1;
    }

    private static String stringOption(String[] args, String name, String fallback) {
        for (int i = 0; i + 1 < args.length; i++) {
            if (args[i].equals(name)) {
                return args[i + 1];
            }
        }
        return fallback;
    }

    private static int option(String[] args, String name, int fallback) {
        for (int i = 0; i + 1 < args.length; i++) {
            if (args[i].equals(name)) {
                return Integer.parseInt(args[i + 1]);
            }
        }
        return fallback;
    }
}
