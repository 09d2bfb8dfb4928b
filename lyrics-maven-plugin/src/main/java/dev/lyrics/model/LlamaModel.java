package dev.lyrics.model;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.ndarray.types.SparseFormat;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.function.Function;

/**
 * A Llama / Mistral decoder with the math and tensor names of transformers' LlamaForCausalLM and
 * MistralForCausalLM: token embedding, pre-norm decoder layers (RMSNorm, attention with half-split
 * rotary embeddings and grouped-query heads, SwiGLU MLP), a final RMSNorm and the lm_head.
 *
 * <p>Every weight belongs to the model's NDManager. Every array a forward pass makes belongs to the
 * manager of the input ids (a per-step sub-manager at the caller), so closing that manager frees
 * the step: operations here always put an activation first, never a weight, because DJL puts a
 * result in its first operand's manager.
 */
public final class LlamaModel implements AutoCloseable {
    /** The projections of a decoder layer, by the names peft's target_modules use. */
    public static final List<String> PROJECTIONS =
            List.of("q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj");

    /**
     * A bias-free linear map y = x W^T, W stored [out, in] as nn.Linear does. Fine-tuning replaces
     * a model's projections with wrappers (LoRA adds a low-rank delta to the output).
     */
    public interface Projection {
        /** (..., in) -> (..., out) */
        NDArray forward(NDArray x);
    }

    /** The plain projection: one fused libtorch linear call. */
    public record Linear(NDArray weight) implements Projection {
        @Override
        public NDArray forward(NDArray x) {
            return linear(x, weight);
        }
    }

    private static NDArray linear(NDArray x, NDArray weight) {
        return x.getNDArrayInternal().linear(x, weight, null).singletonOrThrow();
    }

    /**
     * Projections of one layer that read the same input, q|k|v or gate|up (issue 18: fewer, bigger
     * kernels per layer). Their weights are row slices (views) of one [sum of outputs, in] tensor, so
     * the model holds each weight once while the parameters keep their transformers names: what is
     * written through a slice in place (an optimiser step, a LoRA merge) is in the fused tensor too.
     */
    private static final class FusedGroup {
        /** [sum of outputs, in], the model manager's; the parts' weights are views of its rows */
        final NDArray weight;
        /** the layer's own plain projections, in row order */
        final Linear[] parts;
        /** where each part's output after the first starts in the fused output */
        final long[] splits;

        private FusedGroup(NDArray weight, Linear[] parts, long[] splits) {
            this.weight = weight;
            this.parts = parts;
            this.splits = splits;
        }

        /**
         * Fuses the weights of {@code projections} of the layer at {@code prefix}, replacing each in
         * {@code weights} by its view; null (and nothing changed) when one of them is given as a
         * projection of its own (an NF4 base) or is not in {@code weights}.
         */
        static FusedGroup of(NDManager manager, Map<String, NDArray> weights, Map<String, Projection> given,
                             String prefix, String... projections) {
            NDList originals = new NDList();
            for (String projection : projections) {
                String module = prefix + modulePath(projection);
                NDArray weight = weights.get(module + ".weight");
                if (given.containsKey(module) || weight == null) {
                    return null;
                }
                originals.add(weight);
            }
            NDArray fused = NDArrays.concat(originals, 0);
            fused.attach(manager);
            Linear[] parts = new Linear[projections.length];
            long[] splits = new long[projections.length - 1];
            long row = 0;
            for (int i = 0; i < projections.length; i++) {
                long rows = originals.get(i).getShape().get(0);
                // a basic slice: a view of the fused rows, no copy
                NDArray view = Torch.view(fused, new NDIndex("{}:{}", row, row + rows), manager);
                weights.put(prefix + modulePath(projections[i]) + ".weight", view);
                parts[i] = new Linear(view);
                row += rows;
                if (i < splits.length) {
                    splits[i] = row;
                }
            }
            originals.forEach(NDArray::close);
            return new FusedGroup(fused, parts, splits);
        }

        /**
         * The outputs of the layer's own projections of this group for x from one product, or null
         * (each then runs its own forward) when one of them has been replaced (a LoRA adapter, an NF4
         * projection, any wrapper) or when the weights themselves train. Measured in one process
         * (bench/InProcessAB.java): adapters adding to the slices of a fused product were 0.947x at
         * the Mistral-7B width (an A/A run there 1.004x) and 0.96-1.00x at hidden size 256, and
         * trained weights concatenated in every pass 0.92x at hidden size 1024 with +1.2 GB at the
         * Mistral-7B width; frozen plain projections (evaluation, sampling, a merged model) 0.98-1.03x.
         */
        NDArray[] forward(NDArray x, Projection... current) {
            for (int i = 0; i < parts.length; i++) {
                if (current[i] != parts[i] || parts[i].weight().hasGradient()) {
                    return null;
                }
            }
            NDArray out = linear(x, weight);
            // views of the fused output; reshaping a slice of the last axis into heads copies nothing either
            NDList split = out.split(splits, out.getShape().dimension() - 1);
            return split.toArray(new NDArray[0]);
        }
    }

    private final LlamaConfig config;
    private final NDManager manager;
    private final DataType dtype;
    private final SortedMap<String, NDArray> weights;
    private final NDArray embedTokens;
    private final List<DecoderLayer> layers = new ArrayList<>();
    private final NDArray norm;
    private final Linear lmHead;
    private final float[] inverseFrequencies;
    private final float attentionScale;
    /** rotary tables of positions 0 .. length-1 (see {@link #rotary}), kept across passes; guarded by this */
    private NDArray[] rotaryTables;
    /** the causal mask of the longest pass without padding or cache so far; guarded by this */
    private NDArray causalMask;

    /** One decoder layer: x + attn(norm(x)), then x + mlp(norm(x)). */
    private static final class DecoderLayer {
        final NDArray inputLayernorm;
        final NDArray postAttentionLayernorm;
        Projection qProj;
        Projection kProj;
        Projection vProj;
        Projection oProj;
        Projection gateProj;
        Projection upProj;
        Projection downProj;
        /** q|k|v and gate|up in one product each, or null where a base projection is given (NF4) */
        final FusedGroup qkv;
        final FusedGroup gateUp;

        /** Fuses q|k|v and gate|up where it can, putting their weights' views in {@code weights}. */
        DecoderLayer(NDManager manager, Map<String, NDArray> weights, Map<String, Projection> given, String prefix) {
            inputLayernorm = weights.get(prefix + "input_layernorm.weight");
            postAttentionLayernorm = weights.get(prefix + "post_attention_layernorm.weight");
            qkv = FusedGroup.of(manager, weights, given, prefix, "q_proj", "k_proj", "v_proj");
            gateUp = FusedGroup.of(manager, weights, given, prefix, "gate_proj", "up_proj");
            for (String projection : PROJECTIONS) {
                String module = prefix + modulePath(projection);
                set(projection, given.containsKey(module) ? given.get(module) : own(weights.get(module + ".weight")));
            }
        }

        /** The layer's plain projection: the fused group's part for q, k, v, gate and up where they are fused. */
        private Linear own(NDArray weight) {
            for (FusedGroup group : new FusedGroup[] {qkv, gateUp}) {
                if (group != null) {
                    for (Linear part : group.parts) {
                        if (part.weight() == weight) {
                            return part;
                        }
                    }
                }
            }
            return new Linear(weight);
        }

        Projection get(String projection) {
            return switch (projection) {
                case "q_proj" -> qProj;
                case "k_proj" -> kProj;
                case "v_proj" -> vProj;
                case "o_proj" -> oProj;
                case "gate_proj" -> gateProj;
                case "up_proj" -> upProj;
                case "down_proj" -> downProj;
                default -> throw new IllegalArgumentException("no projection " + projection);
            };
        }

        void set(String projection, Projection value) {
            switch (projection) {
                case "q_proj" -> qProj = value;
                case "k_proj" -> kProj = value;
                case "v_proj" -> vProj = value;
                case "o_proj" -> oProj = value;
                case "gate_proj" -> gateProj = value;
                case "up_proj" -> upProj = value;
                case "down_proj" -> downProj = value;
                default -> throw new IllegalArgumentException("no projection " + projection);
            }
        }
    }

    private LlamaModel(LlamaConfig config, NDManager manager, DataType dtype, SortedMap<String, NDArray> weights) {
        this(config, manager, dtype, weights, Map.of());
    }

    private LlamaModel(LlamaConfig config, NDManager manager, DataType dtype, SortedMap<String, NDArray> weights,
                       Map<String, Projection> projections) {
        this.config = config;
        this.manager = manager;
        this.dtype = dtype;
        // the layers put the views of their fused weights in place of the weights they replace
        SortedMap<String, NDArray> own = new TreeMap<>(weights);
        embedTokens = own.get("model.embed_tokens.weight");
        for (int i = 0; i < config.numHiddenLayers(); i++) {
            layers.add(new DecoderLayer(manager, own, projections, "model.layers." + i + "."));
        }
        this.weights = Collections.unmodifiableSortedMap(own);
        norm = own.get("model.norm.weight");
        lmHead = new Linear(config.tieWordEmbeddings() ? embedTokens : own.get("lm_head.weight"));
        int half = config.headDim() / 2;
        inverseFrequencies = new float[half];
        for (int i = 0; i < half; i++) {
            inverseFrequencies[i] = (float) (1.0 / Math.pow(config.ropeTheta(), 2.0 * i / config.headDim()));
        }
        attentionScale = (float) (1.0 / Math.sqrt(config.headDim()));
    }

    /** Loads a Hugging Face model directory (config.json and safetensors weights). */
    public static LlamaModel load(Path dir, Device device, DataType dtype) throws IOException {
        LlamaConfig config = LlamaConfig.read(dir.resolve(HfCheckpoint.CONFIG));
        NDManager manager = Torch.manager(device);
        try {
            return new LlamaModel(config, manager, dtype, HfCheckpoint.loadTensors(dir, config, manager, dtype));
        } catch (RuntimeException | IOException e) {
            manager.close();
            throw e;
        }
    }

    /**
     * A model whose projections are given by module name ("model.layers.0.self_attn.q_proj"), each
     * in place of a weight {@code weights} then need not hold (issue 16: NF4 projections that keep
     * their weights packed, dev.lyrics.quant). The model owns {@code manager}, which holds the weights
     * and the projections' arrays.
     */
    public static LlamaModel withProjections(LlamaConfig config, NDManager manager, DataType dtype,
                                             SortedMap<String, NDArray> weights, Map<String, Projection> projections) {
        return new LlamaModel(config, manager, dtype, weights, projections);
    }

    /** A freshly initialised model as transformers does it: N(0, initializer_range) matrices, norms of ones. */
    public static LlamaModel initialize(LlamaConfig config, long seed, Device device, DataType dtype) {
        NDManager manager = Torch.manager(device);
        SplittableRandom random = new SplittableRandom(seed);
        SortedMap<String, NDArray> weights = new TreeMap<>();
        for (Map.Entry<String, long[]> entry : config.tensorShapes().entrySet()) {
            Shape shape = new Shape(entry.getValue());
            float[] values = new float[Math.toIntExact(shape.size())];
            if (shape.dimension() == 1) {
                Arrays.fill(values, 1f);
            } else {
                for (int i = 0; i < values.length; i++) {
                    values[i] = (float) (random.nextGaussian() * config.initializerRange());
                }
            }
            NDArray weight = manager.create(values, shape);
            weights.put(entry.getKey(), dtype == DataType.FLOAT32 ? weight : convert(weight, dtype));
        }
        return new LlamaModel(config, manager, dtype, weights);
    }

    private static NDArray convert(NDArray weight, DataType dtype) {
        try (weight) {
            return weight.toType(dtype, false);
        }
    }

    public LlamaConfig config() {
        return config;
    }

    public DataType dtype() {
        return dtype;
    }

    public Device device() {
        return manager.getDevice();
    }

    /** The manager that owns the weights; per-step work belongs in a sub-manager of it. */
    public NDManager manager() {
        return manager;
    }

    /**
     * The base weights by transformers name (a tied lm_head is not listed twice). They start frozen
     * (no gradients); a trainer turns gradients on for the ones it trains. A layer's q, k and v
     * weights, and its gate and up weights, are row views of one tensor each (see {@code FusedGroup}):
     * an in-place change of one is what the model computes with.
     */
    public SortedMap<String, NDArray> parameters() {
        return weights;
    }

    /** The module names of every projection ("model.layers.0.self_attn.q_proj"), in layer order. */
    public List<String> projectionNames() {
        List<String> names = new ArrayList<>();
        for (int i = 0; i < layers.size(); i++) {
            for (String projection : PROJECTIONS) {
                names.add("model.layers." + i + "." + modulePath(projection));
            }
        }
        return names;
    }

    /** The projection behind a module name of {@link #projectionNames()}. */
    public Projection projection(String moduleName) {
        return layers.get(layerIndex(moduleName)).get(projectionOf(moduleName));
    }

    /** Replaces a projection (a fine-tuning wrapper around the one it had). */
    public void setProjection(String moduleName, Projection projection) {
        layers.get(layerIndex(moduleName)).set(projectionOf(moduleName), projection);
    }

    /** "q_proj" -> "self_attn.q_proj", "up_proj" -> "mlp.up_proj". */
    public static String modulePath(String projection) {
        return (PROJECTIONS.indexOf(projection) < 4 ? "self_attn." : "mlp.") + projection;
    }

    private int layerIndex(String moduleName) {
        String[] parts = moduleName.split("\\.");
        if (parts.length != 5 || !parts[0].equals("model") || !parts[1].equals("layers")
                || !moduleName.endsWith(modulePath(parts[4]))) {
            throw new IllegalArgumentException("not a projection module name: " + moduleName);
        }
        return Integer.parseInt(parts[2]);
    }

    private static String projectionOf(String moduleName) {
        return moduleName.substring(moduleName.lastIndexOf('.') + 1);
    }

    /** Logits of every position for ids (B, T): (B, T, vocab) float32, no padding, no cache. */
    public NDArray forward(NDArray ids) {
        return logits(hiddenStates(ids, null, null));
    }

    /**
     * The final-norm hidden states (B, T, hidden) of ids (B, T) int64.
     *
     * @param padding (B, past + T) with 1 for real tokens and 0 for padding, or null for none
     * @param cache   null, or decoding state that this call reads and extends by T positions
     */
    public NDArray hiddenStates(NDArray ids, NDArray padding, KvCache cache) {
        long past = cache == null ? 0 : cache.length;
        long t = ids.getShape().get(1);
        NDManager scope = ids.getManager();
        Positions positions = positions(scope, past, t, padding);
        NDArray x = embed(ids);
        for (int i = 0; i < layers.size(); i++) {
            x = decoderLayer(i, x, positions, cache);
        }
        if (cache != null) {
            cache.length += t;
        }
        return finalNorm(x);
    }

    /**
     * What every decoder layer of one pass over T positions shares: the rotary tables
     * (see {@link #rotary}) and the additive attention mask (null when every key is visible).
     */
    public record Positions(NDArray[] rotary, NDArray mask) {}

    /** Positions 0 .. T-1 of ids (B, T) without padding or cache, as training reads a batch. */
    public Positions positions(NDArray ids) {
        return positions(ids.getManager(), 0, ids.getShape().get(1), null);
    }

    /**
     * The rotary tables of positions past .. past+T-1 and the mask of a pass, in {@code scope}: views
     * of tables the model keeps (built once, grown to the next power of two when a longer pass comes),
     * except a mask with padding or a cache, which is made for the pass.
     */
    private Positions positions(NDManager scope, long past, long t, NDArray padding) {
        NDArray[] rotary;
        NDArray mask;
        synchronized (this) {
            if (rotaryTables == null || rotaryTables[0].getShape().get(0) < past + t) {
                rotaryTables = keep(rotaryTables, build -> rotary(build, 0, capacity(past + t)));
            }
            rotary = new NDArray[rotaryTables.length];
            for (int i = 0; i < rotary.length; i++) {
                rotary[i] = Torch.view(rotaryTables[i], new NDIndex("{}:{}", past, past + t), scope);
            }
            if (past > 0 || padding != null || t == 1) {
                mask = attentionMask(scope, past, t, padding);
            } else {
                if (causalMask == null || causalMask.getShape().get(3) < t) {
                    causalMask = keep(causalMask == null ? null : new NDArray[] {causalMask},
                            build -> new NDArray[] {attentionMask(build, 0, capacity(t), null)})[0];
                }
                // the causal (and sliding-window) mask of T positions is the top left corner of a longer one
                mask = Torch.view(causalMask, new NDIndex(":, :, :, :{}, :{}", t, t), scope);
            }
        }
        return new Positions(rotary, mask);
    }

    /** n, or the next power of two above it: how long a kept table is made. */
    private static long capacity(long n) {
        return Math.max(n, Long.highestOneBit(Math.max(1, n - 1)) << 1);
    }

    /**
     * Builds tables in a scratch manager and keeps them in the model's, closing the ones they replace
     * (a pass that read those holds views, which keep their memory).
     */
    private NDArray[] keep(NDArray[] replaced, Function<NDManager, NDArray[]> builder) {
        try (NDManager build = manager.newSubManager()) {
            NDArray[] tables = builder.apply(build);
            for (NDArray table : tables) {
                table.attach(manager);
            }
            if (replaced != null) {
                for (NDArray table : replaced) {
                    table.close();
                }
            }
            return tables;
        }
    }

    public int layerCount() {
        return layers.size();
    }

    /** The token embeddings: (B, T) int64 -> (B, T, hidden). */
    public NDArray embed(NDArray ids) {
        return ids.getNDArrayInternal().embedding(ids, embedTokens, SparseFormat.DENSE).singletonOrThrow();
    }

    /** Decoder layer {@code index}: (B, T, hidden) -> (B, T, hidden), x + attn(norm(x)), then x + mlp(norm(x)). */
    public NDArray decoderLayer(int index, NDArray x, Positions positions) {
        return decoderLayer(index, x, positions, null);
    }

    private NDArray decoderLayer(int index, NDArray x, Positions positions, KvCache cache) {
        DecoderLayer layer = layers.get(index);
        // the residual adds go in place into the sublayers' outputs, which no backward function reads
        x = attention(layer, rmsNorm(x, layer.inputLayernorm), positions.rotary(), positions.mask(), cache, index).addi(x);
        return mlp(layer, rmsNorm(x, layer.postAttentionLayernorm)).addi(x);
    }

    /** The final RMSNorm over the last layer's output. */
    public NDArray finalNorm(NDArray x) {
        return rmsNorm(x, norm);
    }

    /** lm_head: (..., hidden) -> (..., vocab), in float32 whatever the model's dtype. */
    public NDArray logits(NDArray hidden) {
        return Torch.cast(lmHead.forward(hidden), DataType.FLOAT32);
    }

    /**
     * log p(target) at every position (B, T) float32 from final hidden states (B, T, hidden) and
     * targets (B, T) int64, with no gradient; the logits exist a block of rows at a time
     * ({@link LmHeadLoss}), never all at once.
     */
    public NDArray logProbsOf(NDArray hidden, NDArray targets) {
        long rows = targets.getShape().size();
        return LmHeadLoss.targetLogProbs(hidden.reshape(rows, -1), lmHead.weight(), targets.reshape(rows))
                .reshape(targets.getShape());
    }

    /**
     * The weighted next-token loss sum(weights * -log p(target)) from final hidden states
     * (B, T, hidden), targets (B, T) int64 and weights (B, T) float32, and the scalar to
     * back-propagate for {@code scale} times it: its gradient reaches the hidden states (and the
     * lm_head weight when it trains) as the log-softmax's would, but no batch x sequence x vocab
     * array is made ({@link LmHeadLoss}).
     */
    public TokenLoss tokenLoss(NDArray hidden, NDArray targets, NDArray weights, double scale) {
        long rows = targets.getShape().size();
        LmHeadLoss.Result result = LmHeadLoss.loss(hidden.reshape(rows, -1), lmHead.weight(), targets.reshape(rows),
                weights.reshape(rows), scale);
        return new TokenLoss(result.objective(), result.loss());
    }

    /** What {@link #tokenLoss} returns: the scalar to back-propagate (scale x loss) and the loss. */
    public record TokenLoss(NDArray objective, double loss) {}

    /**
     * log p(target) at every position (B, T) from logits (B, T, vocab) and targets (B, T) int64:
     * log-softmax and gather. DJL's softmax cross-entropy has no ignore-index, so callers weight
     * this by their own loss mask.
     */
    public static NDArray targetLogProbs(NDArray logits, NDArray targets) {
        return logits.logSoftmax(-1).gather(targets.expandDims(-1), -1).squeeze(-1);
    }

    /** x * rsqrt(mean(x^2) + eps) * weight, computed in float32 as transformers does. */
    private NDArray rmsNorm(NDArray x, NDArray weight) {
        NDArray x32 = Torch.cast(x, DataType.FLOAT32);
        NDArray meanSquare = x32.square().mean(new int[] {-1}, true).add(config.rmsNormEps());
        NDArray normed = x32.mul(meanSquare.pow(Torch.scalar(meanSquare, -0.5)));
        return Torch.cast(normed, dtype).mul(weight);
    }

    /**
     * cos (T, headDim) of positions past .. past+T-1, the frequencies repeated for both halves, and
     * the sine with the sign of rotate_half in it, cat(-sin, sin); then the same tables times
     * 1/sqrt(headDim), which rotate the queries and scale them for the attention scores in the same pass.
     */
    private NDArray[] rotary(NDManager scope, long past, long t) {
        NDArray positions = scope.arange((float) past, (float) (past + t)).reshape(t, 1);
        NDArray frequencies = positions.mul(scope.create(inverseFrequencies).reshape(1, -1));
        NDArray cos = NDArrays.concat(new NDList(frequencies, frequencies), -1).cos();
        NDArray halfSin = frequencies.sin();
        NDArray signedSin = NDArrays.concat(new NDList(halfSin.neg(), halfSin), -1);
        NDArray scale = Torch.scalar(cos, attentionScale);
        return new NDArray[] {cos.toType(dtype, false), signedSin.toType(dtype, false),
            cos.mul(scale).toType(dtype, false), signedSin.mul(scale).toType(dtype, false)};
    }

    /**
     * x * cos + rotate_half(x) * sin, where rotate_half(x) = cat(-x2, x1) for the halves of the last
     * axis: with the sign in the table, that is cat(x2, x1) * cat(-sin, sin), the same numbers with one
     * pass over x less.
     */
    private static NDArray applyRotary(NDArray x, NDArray cos, NDArray signedSin) {
        NDList halves = x.split(2, x.getShape().dimension() - 1);
        NDArray swapped = NDArrays.concat(new NDList(halves.get(1), halves.get(0)), -1);
        return x.mul(cos).addi(swapped.mul(signedSin));
    }

    /**
     * Additive mask (B or 1, 1, 1, T, past + T): 0 where query i may attend key j (causal, within
     * the sliding window, not padding), the dtype's lowest value elsewhere (finite, so a row with
     * nothing visible gives a uniform softmax rather than NaN). Null when every key is visible.
     */
    private NDArray attentionMask(NDManager scope, long past, long t, NDArray padding) {
        long keys = past + t;
        boolean windowed = config.slidingWindow() > 0 && keys > config.slidingWindow();
        if (t == 1 && padding == null && !windowed) {
            return null;
        }
        NDArray query = scope.arange((int) past, (int) keys).reshape(t, 1);
        NDArray key = scope.arange(0, (int) keys).reshape(1, keys);
        NDArray visible = key.lte(query);
        if (windowed) {
            visible = visible.logicalAnd(key.gt(query.sub(config.slidingWindow())));
        }
        visible = visible.reshape(1, 1, 1, t, keys);
        if (padding != null) {
            visible = visible.logicalAnd(padding.toType(DataType.BOOLEAN, false)
                    .reshape(padding.getShape().get(0), 1, 1, 1, keys));
        }
        float lowest = dtype == DataType.FLOAT16 ? -65504f : -Float.MAX_VALUE;
        // visible -> (1 - 1) * lowest = 0, hidden -> (0 - 1) * -lowest = lowest (DJL's where does not broadcast)
        return visible.toType(dtype, false).sub(1f).mul(-lowest);
    }

    /**
     * Grouped-query attention. Query heads are grouped by the key/value head they share (the head
     * order of repeat_interleave), so each key/value head serves its whole group in one matrix
     * product instead of being copied per query head.
     */
    private NDArray attention(DecoderLayer layer, NDArray x, NDArray[] rotary, NDArray mask, KvCache cache,
                              int index) {
        long b = x.getShape().get(0);
        long t = x.getShape().get(1);
        long kvHeads = config.numKeyValueHeads();
        long groups = config.numAttentionHeads() / kvHeads;
        long headDim = config.headDim();
        NDArray[] qkv = layer.qkv == null ? null : layer.qkv.forward(x, layer.qProj, layer.kProj, layer.vProj);
        NDArray qOut = qkv == null ? layer.qProj.forward(x) : qkv[0];
        NDArray kOut = qkv == null ? layer.kProj.forward(x) : qkv[1];
        NDArray vOut = qkv == null ? layer.vProj.forward(x) : qkv[2];
        // (B, T, heads * headDim) -> (B, T, kvHeads, groups, headDim) -> (B, kvHeads, groups, T, headDim), rotated and
        // scaled by 1/sqrt(headDim)
        NDArray q = applyRotary(qOut.reshape(b, t, kvHeads, groups, headDim).transpose(0, 2, 3, 1, 4),
                rotary[2], rotary[3]);
        // (B, T, kvHeads * headDim) -> (B, T, kvHeads, headDim) -> (B, kvHeads, T, headDim)
        NDArray k = applyRotary(kOut.reshape(b, t, kvHeads, headDim).transpose(0, 2, 1, 3), rotary[0], rotary[1]);
        NDArray v = vOut.reshape(b, t, kvHeads, headDim).transpose(0, 2, 1, 3);
        if (cache != null) {
            k = cache.append(cache.keys, index, k);
            v = cache.append(cache.values, index, v);
        }
        long keys = k.getShape().get(2);
        // (B, kvHeads, groups * T, headDim) @ (B, kvHeads, headDim, keys) -> (B, kvHeads, groups, T, keys)
        NDArray scores = q.reshape(b, kvHeads, groups * t, headDim)
                .matMul(k.transpose(0, 1, 3, 2)).reshape(b, kvHeads, groups, t, keys);
        if (mask != null) {
            scores = scores.addi(mask);
        }
        // (B, kvHeads, groups * T, keys) @ (B, kvHeads, keys, headDim) -> (B, kvHeads, groups, T, headDim)
        NDArray out = scores.softmax(-1).reshape(b, kvHeads, groups * t, keys).matMul(v)
                .reshape(b, kvHeads, groups, t, headDim);
        // -> (B, T, kvHeads, groups, headDim) -> (B, T, heads * headDim)
        return layer.oProj.forward(out.transpose(0, 3, 1, 2, 4).reshape(b, t, kvHeads * groups * headDim));
    }

    /** SwiGLU: down(silu(gate(x)) * up(x)). */
    private static NDArray mlp(DecoderLayer layer, NDArray x) {
        NDArray[] gateUp = layer.gateUp == null ? null : layer.gateUp.forward(x, layer.gateProj, layer.upProj);
        NDArray gate = gateUp == null ? layer.gateProj.forward(x) : gateUp[0];
        NDArray silu = gate.mul(gate.getNDArrayInternal().sigmoid());
        return layer.downProj.forward(silu.mul(gateUp == null ? layer.upProj.forward(x) : gateUp[1]));
    }

    /** Starts an empty key/value cache for incremental decoding. */
    public KvCache newCache() {
        return new KvCache(manager.newSubManager(), layers.size());
    }

    /**
     * Rotated keys and values of every layer for the positions read so far, so each decoding step
     * computes attention for the new positions only. Its arrays outlive the per-step managers.
     */
    public static final class KvCache implements AutoCloseable {
        private final NDManager manager;
        private final NDArray[] keys;
        private final NDArray[] values;
        private long length;

        private KvCache(NDManager manager, int layers) {
            this.manager = manager;
            this.keys = new NDArray[layers];
            this.values = new NDArray[layers];
        }

        /** Positions read so far. */
        public long length() {
            return length;
        }

        /** Appends (B, kvHeads, T, headDim) along the positions axis; returns every position so far. */
        private NDArray append(NDArray[] store, int layer, NDArray latest) {
            // the first positions copied: the values are a view into the step's whole q|k|v output, which they would keep
            NDArray all = store[layer] == null ? latest.duplicate() : NDArrays.concat(new NDList(store[layer], latest), 2);
            all.attach(manager);
            if (store[layer] != null) {
                store[layer].close();
            }
            store[layer] = all;
            return all;
        }

        @Override
        public void close() {
            manager.close();
        }
    }

    @Override
    public void close() {
        manager.close();
    }
}
