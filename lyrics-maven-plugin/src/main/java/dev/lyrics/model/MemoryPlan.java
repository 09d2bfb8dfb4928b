package dev.lyrics.model;

import ai.djl.Device;
import ai.djl.ndarray.types.DataType;
import ai.djl.util.cuda.CudaUtils;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryUsage;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * What a run of {@link LlamaModel} will hold in memory, worked out from config.json and the settings
 * before anything is allocated. DJL frees no intermediate array until its step's manager closes,
 * so the activations counted are every array one decoder layer's forward pass makes (not only what
 * autograd saves), per token: the counts follow LlamaModel's and LoraLinear's code line by line.
 *
 * @param title what the plan is for ("lyrics:finetune, batch 2 x 2048")
 * @param rows  the table: every item, and whether it counts towards the total
 */
public record MemoryPlan(String title, List<Row> rows) {
    /** Allocator slack, libtorch's own buffers, the JVM: a fixed allowance, measured at 0.4-0.6 GiB here. */
    static final long RUNTIME_BYTES = 512L << 20;

    /** One line of the table; {@code counted} false for an alternative shown for comparison. */
    public record Row(String item, long bytes, boolean counted) {}

    /** The memory of the device a run goes to: its total and what is free now. */
    public record DeviceMemory(String device, long totalBytes, long freeBytes) {
        /** CUDA: the device's total and free memory; CPU: physical RAM (as the JVM sees it, so cgroup limits count) and free RAM. */
        public static DeviceMemory of(Device device) {
            if (device.isGpu()) {
                MemoryUsage usage = CudaUtils.getGpuMemory(device);
                return new DeviceMemory(device.toString(), usage.getMax(), usage.getMax() - usage.getCommitted());
            }
            com.sun.management.OperatingSystemMXBean os =
                    (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
            return new DeviceMemory("cpu (RAM)", os.getTotalMemorySize(), os.getFreeMemorySize());
        }

        /** What a plan may use: everything free on a GPU; all the RAM on a CPU, where the OS can page out others. */
        public long availableBytes() {
            return device.startsWith("cpu") ? totalBytes : freeBytes;
        }
    }

    /**
     * Fine-tuning: frozen base in {@code dtype}, float32 LoRA weights with their gradients and two
     * AdamW moments, the activations of a micro-batch with and without gradient checkpointing (the
     * chosen one counted), and the loss's arrays (a block of logits at a time, {@link LmHeadLoss}).
     *
     * @param loraParameters trainable parameters (LoraConfig.trainableParameters)
     * @param storage        how the checkpoint stores the weights ("BF16"), for the table
     */
    public static MemoryPlan training(LlamaConfig config, DataType dtype, String storage, long loraParameters,
                                      int loraRank, int batch, int seq, boolean checkpointing) {
        Sizes sizes = new Sizes(config, dtype, loraRank, true);
        long tokens = (long) batch * seq;
        List<Row> rows = new ArrayList<>();
        rows.add(weights(config, dtype, storage));
        rows.add(new Row(String.format(Locale.ROOT, "LoRA weights, float32 (%,d parameters)", loraParameters),
                4 * loraParameters, true));
        rows.add(new Row("LoRA gradients, float32", 4 * loraParameters, true));
        rows.add(new Row("AdamW moments (2), float32", 8 * loraParameters, true));
        long layer = sizes.layerPerToken(seq) * tokens;
        long backward = sizes.backwardPerToken(seq) * tokens;
        long mask = sizes.maskBytes(seq);
        long kept = config.numHiddenLayers() * layer + mask + sizes.embedPerToken() * tokens;
        long recomputed = (config.numHiddenLayers() + 1L) * sizes.hidden() * tokens + mask + layer;
        rows.add(new Row(String.format(Locale.ROOT, "activations, %d layers kept (%d x %,d)", config.numHiddenLayers(),
                batch, seq), kept + backward, !checkpointing));
        rows.add(new Row(String.format(Locale.ROOT, "activations, checkpointed: layer inputs + one layer (%d x %,d)",
                batch, seq), recomputed + backward, checkpointing));
        rows.add(new Row(String.format(Locale.ROOT, "loss: logits a block of %,d at a time, float32, and the hidden states' gradient",
                sizes.blockElements(tokens)), sizes.head(true, tokens), true));
        rows.add(new Row("runtime (libtorch, JVM, allocator)", RUNTIME_BYTES, true));
        return new MemoryPlan(String.format(Locale.ROOT, "lyrics:finetune, %s base, batch %d x %d tokens, LoRA r %d,"
                + " gradient checkpointing %s", dtypeName(dtype), batch, seq, loraRank, checkpointing ? "on" : "off"), rows);
    }

    /** Scoring or sampling without gradients: the weights, and a batch's arrays for every layer (none is freed before the batch ends). */
    public static MemoryPlan inference(String goal, LlamaConfig config, DataType dtype, String storage, int batch, int seq) {
        Sizes sizes = new Sizes(config, dtype, 0, false);
        long tokens = (long) batch * seq;
        List<Row> rows = new ArrayList<>();
        rows.add(weights(config, dtype, storage));
        rows.add(new Row(String.format(Locale.ROOT, "activations, %d layers (%d x %,d)", config.numHiddenLayers(), batch, seq),
                config.numHiddenLayers() * sizes.layerPerToken(seq) * tokens + sizes.maskBytes(seq)
                        + sizes.embedPerToken() * tokens, true));
        rows.add(new Row(String.format(Locale.ROOT, "log p(target): logits a block of %,d at a time, float32",
                sizes.blockElements(tokens)), sizes.head(false, tokens), true));
        rows.add(new Row("runtime (libtorch, JVM, allocator)", RUNTIME_BYTES, true));
        return new MemoryPlan(String.format(Locale.ROOT, "%s, %s weights, batch %d x %d tokens", goal, dtypeName(dtype),
                batch, seq), rows);
    }

    private static Row weights(LlamaConfig config, DataType dtype, String storage) {
        return new Row(String.format(Locale.ROOT, "base weights, %s (%,d parameters; stored as %s)", dtypeName(dtype),
                config.parameterCount(), storage), config.parameterCount() * bytes(dtype), true);
    }

    /**
     * The same plan with the base's seven projections held in a compact form (the NF4 base): the
     * first row becomes their stored bytes plus the rest in the compute dtype, and one layer's
     * projections dequantized for the pass is added.
     *
     * @param storedBytes the bytes of the projections as held, per projection tensor's element count
     * @param label       how they are held, e.g. "NF4 (double quantization)"
     */
    public MemoryPlan withProjectionsStored(LlamaConfig config, DataType dtype, java.util.function.LongUnaryOperator storedBytes,
            String label) {
        long projections = 0;
        long packed = 0;
        for (Map.Entry<String, long[]> tensor : config.tensorShapes().entrySet()) {
            if (LlamaModel.PROJECTIONS.stream().anyMatch(p -> tensor.getKey().endsWith("." + p + ".weight"))) {
                long elements = java.util.Arrays.stream(tensor.getValue()).reduce(1, (a, b) -> a * b);
                projections += elements;
                packed += storedBytes.applyAsLong(elements);
            }
        }
        long rest = (config.parameterCount() - projections) * bytes(dtype);
        List<Row> stored = new ArrayList<>();
        stored.add(new Row(String.format(Locale.ROOT, "base weights: %,d projection weights %s, the rest %s",
                projections, label, dtypeName(dtype)), packed + rest, true));
        stored.add(new Row(String.format(Locale.ROOT, "one layer's projections dequantized to %s", dtypeName(dtype)),
                projections / config.numHiddenLayers() * bytes(dtype), true));
        stored.addAll(rows.subList(1, rows.size()));
        return new MemoryPlan(title + ", " + label.replaceAll(" .*", "") + " base", stored);
    }

    public long totalBytes() {
        return rows.stream().filter(Row::counted).mapToLong(Row::bytes).sum();
    }

    public boolean fits(DeviceMemory device) {
        return totalBytes() <= device.availableBytes();
    }

    /** The table as printed before loading, one line per row, the total against the device. */
    public List<String> table(DeviceMemory device) {
        List<String> lines = new ArrayList<>();
        lines.add("memory plan: " + title);
        for (Row row : rows) {
            lines.add(String.format(Locale.ROOT, "  %-72s %10s%s", row.item(), gib(row.bytes()),
                    row.counted() ? "" : "  (not used)"));
        }
        lines.add(String.format(Locale.ROOT, "  %-72s %10s  of %s: %s total, %s free", "total", gib(totalBytes()),
                device.device(), gib(device.totalBytes()), gib(device.freeBytes())));
        return lines;
    }

    /** For memory.json: every row in bytes and GiB, the total, and the device. */
    public Map<String, Object> toJson(DeviceMemory device) {
        Map<String, Object> json = new TreeMap<>();
        List<Map<String, Object>> items = new ArrayList<>();
        for (Row row : rows) {
            Map<String, Object> item = new TreeMap<>();
            item.put("item", row.item());
            item.put("bytes", row.bytes());
            item.put("gib", round(row.bytes()));
            item.put("counted", row.counted());
            items.add(item);
        }
        json.put("title", title);
        json.put("rows", items);
        json.put("total_bytes", totalBytes());
        json.put("total_gib", round(totalBytes()));
        json.put("device", device.device());
        json.put("device_total_gib", round(device.totalBytes()));
        json.put("device_free_gib", round(device.freeBytes()));
        return json;
    }

    public static String gib(long bytes) {
        return String.format(Locale.ROOT, "%.2f GiB", bytes / (double) (1L << 30));
    }

    private static double round(long bytes) {
        return Math.round(bytes / (double) (1L << 30) * 1000) / 1000.0;
    }

    static String dtypeName(DataType dtype) {
        return dtype == DataType.FLOAT16 ? "float16" : "float32";
    }

    static int bytes(DataType dtype) {
        return dtype == DataType.FLOAT16 ? 2 : 4;
    }

    /** Bytes per token of each part of a pass, counted from the arrays LlamaModel's code makes. */
    private record Sizes(LlamaConfig config, int s, int rank, boolean lora) {
        Sizes(LlamaConfig config, DataType dtype, int rank, boolean lora) {
            this(config, bytes(dtype), rank, lora);
        }

        long hidden() {
            return (long) config.hiddenSize() * s;
        }

        boolean half() {
            return s == 2;
        }

        /** rmsNorm: float32 copy (half only), square, normed, cast back (half only), times the weight. */
        long norm() {
            long h = config.hiddenSize();
            return h * 8 + h * s + (half() ? h * 4 + h * s : 0);
        }

        /** A projection's output, and with LoRA: float32 input (half only), A x, B A x, its scaling, cast (half only), sum. */
        long projection(long in, long out) {
            long bytes = out * s;
            if (lora) {
                bytes += (half() ? in * 4 + out * s : 0) + rank * 4L + out * 8 + out * s;
            }
            return bytes;
        }

        /** Every array of one decoder layer for one token of a sequence of {@code seq}. */
        long layerPerToken(long seq) {
            long h = config.hiddenSize();
            long q = (long) config.numAttentionHeads() * config.headDim();
            long kv = (long) config.numKeyValueHeads() * config.headDim();
            long i = config.intermediateSize();
            long attention = projection(h, q) + 2 * projection(h, kv)
                    // rotary on q and k: the halves swapped, two products (the sum goes in place)
                    + (q + kv) * s * 3
                    // scores (the mask added in place), softmax: heads x seq each
                    + 2L * config.numAttentionHeads() * seq * s
                    // attention output and its transposed copy
                    + 2 * q * s
                    // the residual sums go in place into the sublayers' outputs
                    + projection(q, h);
            long mlp = 2 * projection(h, i) + 3 * i * s + projection(i, h);
            return 2 * norm() + attention + mlp;
        }

        /** The backward pass's transient gradients at their largest: the attention scores' pair, or the MLP's. */
        long backwardPerToken(long seq) {
            long scores = 2L * config.numAttentionHeads() * seq * s;
            long mlp = 3L * config.intermediateSize() * s;
            return Math.max(scores, mlp) + 2 * hidden();
        }

        long embedPerToken() {
            return hidden();
        }

        /** The causal mask: positions compared (bool), then cast, shifted and scaled in the model's dtype. */
        long maskBytes(long seq) {
            return seq * seq * (1 + 3L * s);
        }

        /** Logits in one block of LmHeadLoss: all of a pass's, up to its limit. */
        long blockElements(long tokens) {
            long v = config.vocabSize();
            return LmHeadLoss.blockRows(tokens, v) * v;
        }

        /**
         * Final norm and LmHeadLoss: per token its log p(target) and in training the float32 arrays
         * of the surrogate (the hidden states' gradient in parts and joined, the target rows of the
         * lm_head, their scaled difference, the hidden states in float32, their gradient); once, a
         * block's lm_head output (half precision too), float32 logits, log-softmax and, in training,
         * softmax (its half-precision copy too).
         */
        long head(boolean training, long tokens) {
            long h = config.hiddenSize();
            long perToken = norm() + 4 + (training ? h * (24 + s + (half() ? 4 : 0)) : 0);
            long block = blockElements(tokens) * (8 + (half() ? s : 0) + (training ? 4 + (half() ? s : 0) : 0));
            return perToken * tokens + block;
        }
    }
}
