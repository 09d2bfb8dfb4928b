package dev.lyrics.eval;

import ai.djl.Device;
import ai.djl.ndarray.types.DataType;
import dev.lyrics.core.ConfigException;
import dev.lyrics.core.Log;
import dev.lyrics.lm.LanguageModel;
import dev.lyrics.lm.SlidingWindow;
import dev.lyrics.lora.LoraModel;
import dev.lyrics.model.HfCheckpoint;
import dev.lyrics.model.LlamaConfig;
import dev.lyrics.model.LlamaModel;
import dev.lyrics.model.MemoryPlan;
import dev.lyrics.model.Torch;
import dev.lyrics.model.TransformerLanguageModel;
import dev.lyrics.quant.Quantization;
import dev.lyrics.rnn.RecurrentLanguageModel;
import dev.lyrics.tokenizer.HfTokenizer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.Locale;

/**
 * Opens the project's own models: a Hugging Face checkpoint with its tokenizer, the fine-tuned
 * adapter merged into it (W + scale B A, as peft's merge_and_unload: evaluation and sampling then
 * run at the base model's speed), and the recurrent models of their stage directories.
 */
public final class StudyModelLoader implements ModelLoader {
    private final Device device;
    private final DataType dtype;
    private final int contextLength;
    private final int stride;
    private final Quantization quantization;

    /**
     * @param contextLength most tokens a transformer window reads; 0 for the model's max_position_embeddings
     * @param stride        how far windows advance; 0 for half the context
     */
    public StudyModelLoader(Device device, DataType dtype, int contextLength, int stride) {
        this(device, dtype, contextLength, stride, Quantization.NONE);
    }

    /** @param quantization how the base's projections are held (issue 16: NF4) */
    public StudyModelLoader(Device device, DataType dtype, int contextLength, int stride,
                            Quantization quantization) {
        this.quantization = quantization;
        this.device = device;
        this.dtype = dtype;
        this.contextLength = contextLength;
        this.stride = stride;
    }

    /**
     * Prints a memory plan before each transformer is loaded, for batches of {@code batchSize} rows of
     * the window's length, and fails before loading when it does not fit the device.
     *
     * @param goal          "lyrics:perplexity"
     * @param batchProperty the parameter that sets the batch ("lyrics.perplexity.batchSize")
     */
    public StudyModelLoader planning(String goal, int batchSize, String batchProperty, Log log) {
        return planning(goal, batchSize, 0, "Lower " + batchProperty + " or lyrics.perplexity.contextLength", log);
    }

    /**
     * Prints a memory plan before each transformer is loaded and fails before loading when it does
     * not fit the device.
     *
     * @param goal      "lyrics:perplexity", "lyrics:generate"
     * @param batchSize rows run at once
     * @param maxTokens most tokens a row holds; 0 for the window's whole context (the plan never
     *                  counts more than the context, where sampling restarts its cache)
     * @param remedy    the sentence naming the parameters that shrink the plan ("Lower lyrics.perplexity.batchSize ...")
     */
    public StudyModelLoader planning(String goal, int batchSize, int maxTokens, String remedy, Log log) {
        this.planGoal = goal;
        this.planBatch = batchSize;
        this.planTokens = maxTokens;
        this.planRemedy = remedy;
        this.log = log;
        return this;
    }

    private String planGoal;
    private int planBatch;
    private int planTokens;
    private String planRemedy;
    private Log log;

    private void planOrFail(Path modelDir) throws IOException {
        LlamaConfig config = LlamaConfig.read(modelDir.resolve(HfCheckpoint.CONFIG));
        int context = window(config).context();
        int tokens = planTokens == 0 ? context : Math.min(planTokens, context);
        MemoryPlan plan = MemoryPlan.inference(planGoal, config, dtype, HfCheckpoint.storageFormats(modelDir), planBatch,
                tokens);
        plan = quantization.plan(plan, config, dtype);
        MemoryPlan.DeviceMemory memory = MemoryPlan.DeviceMemory.of(device);
        plan.table(memory).forEach(line -> log.info(planGoal + " " + line));
        if (!plan.fits(memory)) {
            throw new ConfigException(String.format(Locale.ROOT, "%s needs about %s (%s) but %s has %s; nothing was"
                            + " loaded. %s, or run with -Dlyrics.dtype=float16",
                    planGoal, MemoryPlan.gib(plan.totalBytes()), plan.title(), memory.device(),
                    MemoryPlan.gib(memory.availableBytes()), planRemedy));
        }
    }

    @Override
    public LanguageModel transformer(String name, Path modelDir, Path adapterDir) {
        LlamaModel model = null;
        HfTokenizer tokenizer = null;
        try {
            Torch.requireVisible(device, "lyrics.device");
            if (planGoal != null) {
                planOrFail(modelDir);
            }
            model = quantization.load(modelDir, device, dtype);
            if (adapterDir != null) {
                LoraModel adapted = LoraModel.load(model, adapterDir);
                if (!quantization.quantized()) {
                    adapted.mergeAndUnload();
                }
                // an NF4 base keeps its adapters unmerged: the packed weights have no float copy to merge into
            }
            tokenizer = HfTokenizer.load(modelDir);
            return new TransformerLanguageModel(name, model, tokenizer, window(model.config()));
        } catch (IOException | RuntimeException e) {
            if (tokenizer != null) {
                tokenizer.close();
            }
            if (model != null) {
                model.close();
            }
            if (e instanceof IOException io) {
                throw new UncheckedIOException("cannot open " + name + " from " + modelDir
                        + (adapterDir == null ? "" : " with the adapter " + adapterDir), io);
            }
            throw (RuntimeException) e;
        }
    }

    /** The window of the loader's settings for a model: contextLength and stride resolved. */
    SlidingWindow window(LlamaConfig config) {
        int positions = config.maxPositionEmbeddings();
        ConfigException.require(contextLength <= positions, "lyrics.perplexity.contextLength", contextLength,
                "must be at most the base model's max_position_embeddings " + positions);
        int context = contextLength == 0 ? positions : contextLength;
        int advance = stride == 0 ? Math.max(1, context / 2) : stride;
        ConfigException.require(advance <= context, "lyrics.perplexity.stride", stride,
                "must be at most the context " + context);
        return new SlidingWindow(context, advance);
    }

    @Override
    public LanguageModel recurrent(String name, Path stageDir) {
        try {
            return RecurrentLanguageModel.load(stageDir);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read recurrent model " + name + " from " + stageDir, e);
        }
    }
}
