package dev.lyrics.train;

import ai.djl.Device;
import ai.djl.ndarray.types.DataType;
import dev.lyrics.core.Log;
import dev.lyrics.lora.LoraConfig;
import dev.lyrics.lora.LoraModel;
import dev.lyrics.model.LlamaConfig;
import dev.lyrics.model.LlamaModel;
import dev.lyrics.model.MemoryPlan;
import dev.lyrics.model.Torch;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * The scale proof (a benchmark, not a test): one optimiser step of the study's LoRA fine-tune on a
 * Mistral-7B-shaped model at its real width (hidden 4096, MLP 14336, 32 query / 8 key-value heads of
 * 128, vocabulary 32768) with few layers, random weights, gradient checkpointing on; prints seconds
 * per step, the planned memory against the measured resident peak, and the extrapolation to 32 layers.
 *
 * <pre>
 * mvn -B -q -Ptest -pl lyrics-maven-plugin test-compile dependency:build-classpath -Dmdep.outputFile=target/classpath.txt -Dmdep.includeScope=test
 * java -Xmx8g -cp lyrics-maven-plugin/target/test-classes:lyrics-maven-plugin/target/classes:$(cat lyrics-maven-plugin/target/classpath.txt) \
 *     dev.lyrics.train.ScaleProof [layers 2] [batch 2] [seq 2048] [float32|float16] [checkpointing true] [threads 2]
 * </pre>
 */
public final class ScaleProof {
    private ScaleProof() {}

    public static void main(String[] args) throws Exception {
        int layers = args.length > 0 ? Integer.parseInt(args[0]) : 2;
        int batch = args.length > 1 ? Integer.parseInt(args[1]) : 2;
        int seq = args.length > 2 ? Integer.parseInt(args[2]) : 2048;
        DataType dtype = Torch.dtype(args.length > 3 ? args[3] : "float32", "dtype");
        boolean checkpointing = args.length <= 4 || Boolean.parseBoolean(args[4]);
        int threads = args.length > 5 ? Integer.parseInt(args[5]) : 2;
        Torch.engine(threads);
        LlamaConfig config = mistral(layers);
        LoraConfig lora = new LoraConfig(32, 64, 0, LlamaModel.PROJECTIONS, false);
        LoraTrainer.Settings settings = new LoraTrainer.Settings(lora, 2e-4, 0.01, 0, 1, batch, 1, 3407, seq, 1.0, false,
                0, 0.9, 0.999, 1e-8, checkpointing).validate("lyrics.finetune.");
        MemoryPlan.DeviceMemory ram = MemoryPlan.DeviceMemory.of(Device.cpu());
        MemoryPlan plan = MemoryPlan.training(config, dtype, "random", lora.trainableParameters(config.tensorShapes()),
                lora.r(), batch, seq, checkpointing);
        plan.table(ram).forEach(System.out::println);
        MemoryPlan full = MemoryPlan.training(mistral(32), dtype, "random",
                lora.trainableParameters(mistral(32).tensorShapes()), lora.r(), batch, seq, checkpointing);

        List<TrainingExample> examples = new ArrayList<>();
        SplittableRandom random = new SplittableRandom(1);
        for (int i = 0; i < batch; i++) {
            int[] ids = random.ints(seq, 3, config.vocabSize()).toArray();
            ids[0] = 1;
            boolean[] targets = new boolean[seq];
            Arrays.fill(targets, 1, seq, true);
            examples.add(new TrainingExample(ids, targets));
        }
        long start = System.nanoTime();
        try (LlamaModel base = LlamaModel.initialize(config, 1, Device.cpu(), dtype);
             LoraModel model = LoraModel.create(base, lora, 3407)) {
            // random initialisation leaves gigabytes of float[] garbage on the Java heap: collected (and the
            // heap shrunk) here, so that the peak measured is the fine-tune's, not the garbage collector's timing
            System.gc();
            System.out.printf(Locale.ROOT, "initialised %d layers in %.1f s; resident %s, peak %s%n", layers,
                    (System.nanoTime() - start) / 1e9, MemoryPlan.gib(MemoryUsage.now().residentBytes()),
                    MemoryPlan.gib(MemoryUsage.now().residentPeakBytes()));
            Path work = Files.createTempDirectory("scale-proof");
            LoraTrainer.Result result = new LoraTrainer(model, settings, work, Log.SILENT).train(examples, 0);
            MemoryUsage after = MemoryUsage.now();
            double seconds = result.seconds();
            // matrix FLOPs per token: the layers' projections and attention, and the lm_head (the embedding is a lookup)
            double layerFlops = layerMatrixParameters(config) + 2.0 * config.numAttentionHeads() * config.headDim() * seq;
            double headFlops = (double) config.vocabSize() * config.hiddenSize();
            double extrapolated = seconds * (32 * layerFlops + headFlops) / (layers * layerFlops + headFlops);
            System.out.printf(Locale.ROOT, "step: loss %.4f, %.1f s (%,.0f tokens/s), %s%n", result.lossLog().get(0).loss(),
                    seconds, result.tokensPerSecond(), checkpointing ? "gradient checkpointing" : "activations kept");
            System.out.printf(Locale.ROOT, "memory: planned %s, measured resident peak (VmHWM) %s: measured / planned %.2f%n",
                    MemoryPlan.gib(plan.totalBytes()), MemoryPlan.gib(after.residentPeakBytes()),
                    after.residentPeakBytes() / (double) plan.totalBytes());
            System.out.printf(Locale.ROOT, "32 layers: about %.0f s per step of %d x %d on this CPU; planned memory %s%n",
                    extrapolated, batch, seq, MemoryPlan.gib(full.totalBytes()));
        }
    }

    /** Mistral-7B-Instruct-v0.3's shape with {@code layers} decoder layers. */
    static LlamaConfig mistral(int layers) {
        return new LlamaConfig(32768, 4096, 14336, layers, 32, 8, 128, 1e-5, 1e6, 32768, false, 0, 1, 2, 0.02);
    }

    private static double layerMatrixParameters(LlamaConfig config) {
        long h = config.hiddenSize();
        long q = (long) config.numAttentionHeads() * config.headDim();
        long kv = (long) config.numKeyValueHeads() * config.headDim();
        return h * q * 2 + h * kv * 2 + 3.0 * h * config.intermediateSize();
    }
}
