package dev.lyrics.train;

import ai.djl.Device;
import ai.djl.ndarray.types.DataType;
import dev.lyrics.cache.StageContext;
import dev.lyrics.core.ConfigException;
import dev.lyrics.core.InputException;
import dev.lyrics.core.Json;
import dev.lyrics.core.Log;
import dev.lyrics.dataset.AlpacaRecord;
import dev.lyrics.dataset.PromptTemplate;
import dev.lyrics.lora.LoraModel;
import dev.lyrics.model.HfCheckpoint;
import dev.lyrics.model.LlamaConfig;
import dev.lyrics.model.LlamaModel;
import dev.lyrics.model.MemoryPlan;
import dev.lyrics.model.Torch;
import dev.lyrics.quant.BnbCheckpoint;
import dev.lyrics.quant.Quantization;
import dev.lyrics.tokenizer.HfTokenizer;
import java.io.IOException;
import java.math.BigDecimal;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * The fine-tune stage: the Alpaca train set through the prompt template and the base model's
 * tokenizer, LoRA training, and the outputs (peft adapter, loss.jsonl, memory.json, training.json).
 */
public final class LoraFinetune {
    /** Where the stage's parameters are named in errors. */
    public static final String PREFIX = "lyrics.finetune.";

    /**
     * @param baseModel a Hugging Face directory with config.json, weights and tokenizer.json
     */
    public record Request(Path trainFile, Path baseModel, PromptTemplate template, LoraTrainer.Settings settings,
                          Device device, DataType dtype, Quantization quantization) {
        public Request(Path trainFile, Path baseModel, PromptTemplate template, LoraTrainer.Settings settings,
                       Device device, DataType dtype) {
            this(trainFile, baseModel, template, settings, device, dtype, Quantization.NONE);
        }
    }

    private LoraFinetune() {}

    /**
     * Checks what can be checked without training: the base directory has a config, weights and a
     * tokenizer whose ids fit the model's vocabulary. Each failure names the parameter to change.
     */
    public static void checkBaseModel(Path baseModel, String property) throws IOException {
        ConfigException.require(HfCheckpoint.isCheckpoint(baseModel), property, baseModel,
                "must be a Hugging Face model directory with config.json and model.safetensors (or an index of shards)");
        ConfigException.require(Files.isRegularFile(baseModel.resolve(HfTokenizer.FILE)), property,
                baseModel, "has no " + HfTokenizer.FILE + ": the base model's own tokenizer is needed");
        LlamaConfig config = BnbCheckpoint.config(baseModel); // issue 16: a bitsandbytes NF4 base is a base too
        try (HfTokenizer tokenizer = HfTokenizer.load(baseModel)) {
            ConfigException.require(tokenizer.vocabSize() <= config.vocabSize(), property, baseModel,
                    "its tokenizer.json has ids up to " + (tokenizer.vocabSize() - 1) + " but config.json's vocab_size is "
                            + config.vocabSize() + ": tokenizer and model do not belong together");
        }
    }

    public static void run(Request request, StageContext context) throws IOException {
        Torch.requireVisible(request.device(), "lyrics.device");
        Log log = context.log();
        LoraTrainer.Settings settings = request.settings();
        List<AlpacaRecord> records = AlpacaRecord.readAll(request.trainFile(), "lyrics.finetune.preprocessDirectory");
        if (records.isEmpty()) {
            throw InputException.at(request.trainFile(), "no training records");
        }
        LlamaConfig config = LlamaConfig.read(request.baseModel().resolve(HfCheckpoint.CONFIG));
        MemoryPlan.DeviceMemory device = MemoryPlan.DeviceMemory.of(request.device());
        MemoryPlan plan = planOrFail(config, HfCheckpoint.storageFormats(request.baseModel()), settings, request.dtype(),
                request.quantization(), device);
        plan.table(device).forEach(line -> log.info("lyrics:finetune " + line));
        try (HfTokenizer tokenizer = HfTokenizer.load(request.baseModel());
             LlamaModel base = request.quantization().load(request.baseModel(), request.device(), request.dtype())) {
            List<TrainingExample> examples = examples(records, request, tokenizer, base.config(), log);
            // padding is never attended to nor scored, so any id would do
            int padId = tokenizer.addedTokenId("<pad>") >= 0 ? tokenizer.addedTokenId("<pad>") : base.config().eosTokenId();
            try (LoraModel lora = LoraModel.create(base, settings.lora(), settings.seed())) {
                long trainable = lora.trainableParameterCount();
                long total = base.config().parameterCount();
                log.info(String.format(Locale.ROOT, "lyrics:finetune LoRA r %d, alpha %s on %s: %,d trainable parameters,"
                                + " %.2f%% of the base model's %,d (%s, %s)", settings.lora().r(),
                        BigDecimal.valueOf(settings.lora().alpha()).stripTrailingZeros().toPlainString(),
                        settings.lora().targetModules(), trainable, 100.0 * trainable / total, total, request.device().getDeviceType(),
                        request.dtype()));
                MemoryUsage before = MemoryUsage.now();
                LoraTrainer.Result result = new LoraTrainer(lora, settings, context.workDir().resolve("checkpoints"), log)
                        .train(examples, padId);
                MemoryUsage after = MemoryUsage.now();

                Path out = context.outputDir();
                lora.save(out, request.baseModel().getFileName().toString());
                try (LossLog lossLog = new LossLog(out.resolve(LossLog.FILE))) {
                    for (LoraTrainer.StepRecord record : result.lossLog()) {
                        record.writeTo(lossLog);
                    }
                }
                Map<String, Object> memory = MemoryUsage.report(before, after);
                memory.put("plan", plan.toJson(device));
                memory.put("measured_peak_gib", MemoryUsage.measuredPeakGib(request.device(), after));
                Json.write(out.resolve("memory.json"), memory);
                Map<String, Object> summary = new TreeMap<>();
                summary.put("examples", examples.size());
                summary.put("steps", result.steps());
                summary.put("trainable_parameters", trainable);
                summary.put("base_parameters", total);
                summary.put("trainable_percent", Math.round(1e6 * trainable / total) / 1e4);
                summary.put("train_tokens_per_s", Math.round(result.tokensPerSecond() * 10) / 10.0);
                summary.put("train_seconds", Math.round(result.seconds() * 10) / 10.0);
                summary.put("final_loss", result.lossLog().get(result.lossLog().size() - 1).loss());
                summary.put("gradient_checkpointing", settings.gradientCheckpointing());
                if (result.lossScaler() != null) {
                    summary.put("loss_scaler", result.lossScaler());
                }
                Json.write(out.resolve("training.json"), summary);
                log.info(String.format(Locale.ROOT, "lyrics:finetune trained %d steps, final loss %.4f, %.0f tokens/s;"
                                + " resident memory peak %s MiB", result.steps(), summary.get("final_loss"),
                        result.tokensPerSecond(), after.toMiB().get("resident_peak_mib")));
            }
        }
    }

    /**
     * The memory plan of this run; when it does not fit the device, a {@link ConfigException} before
     * anything is loaded, naming the settings that would make it fit.
     */
    static MemoryPlan planOrFail(LlamaConfig config, String storage, LoraTrainer.Settings settings, DataType dtype,
                                 Quantization quantization, MemoryPlan.DeviceMemory device) {
        MemoryPlan plan = plan(config, storage, settings, dtype, quantization, settings.batchSize(),
                settings.maxSeqLength(), settings.gradientCheckpointing());
        if (plan.fits(device)) {
            return plan;
        }
        int batch = settings.batchSize();
        int seq = settings.maxSeqLength();
        boolean checkpointing = settings.gradientCheckpointing();
        Map<String, MemoryPlan> alternatives = new LinkedHashMap<>();
        if (!checkpointing) {
            alternatives.put("-D" + PREFIX + "gradientCheckpointing=true",
                    plan(config, storage, settings, dtype, quantization, batch, seq, true));
        }
        if (dtype != DataType.FLOAT16) {
            alternatives.put("-Dlyrics.dtype=float16", plan(config, storage, settings, DataType.FLOAT16, quantization, batch, seq, checkpointing));
            alternatives.put("-Dlyrics.dtype=float16 -D" + PREFIX + "gradientCheckpointing=true",
                    plan(config, storage, settings, DataType.FLOAT16, quantization, batch, seq, true));
        }
        if (batch > 1) {
            alternatives.put(String.format(Locale.ROOT, "-D%sbatchSize=1 -D%sgradientAccumulation=%d (the same %d examples"
                            + " per step)", PREFIX, PREFIX, batch * settings.gradientAccumulation(), settings.examplesPerStep()),
                    plan(config, storage, settings, dtype, quantization, 1, seq, checkpointing));
        }
        alternatives.put("-D" + PREFIX + "maxSeqLength=" + seq / 2 + " (longer examples are cut)",
                plan(config, storage, settings, dtype, quantization, batch, seq / 2, checkpointing));
        if (batch > 1 && (dtype != DataType.FLOAT16 || !checkpointing)) {
            alternatives.put(String.format(Locale.ROOT, "-Dlyrics.dtype=float16 -D%sgradientCheckpointing=true -D%sbatchSize=1"
                            + " -D%sgradientAccumulation=%d", PREFIX, PREFIX, PREFIX, batch * settings.gradientAccumulation()),
                    plan(config, storage, settings, DataType.FLOAT16, quantization, 1, seq, true));
        }
        StringBuilder message = new StringBuilder(String.format(Locale.ROOT,
                "lyrics:finetune needs about %s (%s) but %s has %s; nothing was loaded.",
                MemoryPlan.gib(plan.totalBytes()), plan.title(), device.device(), MemoryPlan.gib(device.availableBytes())));
        message.append(" What the plan gives instead:");
        alternatives.forEach((change, alternative) -> message.append(String.format(Locale.ROOT, "%n  %s: %s%s", change,
                MemoryPlan.gib(alternative.totalBytes()), alternative.fits(device) ? " (fits)" : "")));
        if (!quantization.quantized()) {
            MemoryPlan nf4 = plan(config, storage, settings, dtype, Quantization.of("nf4", true), batch, seq, checkpointing);
            message.append(String.format(Locale.ROOT, "%n  -Dlyrics.quantization=nf4 (a 4-bit base): %s%s",
                    MemoryPlan.gib(nf4.totalBytes()), nf4.fits(device) ? " (fits)" : ""));
        }
        throw new ConfigException(message.toString());
    }

    private static MemoryPlan plan(LlamaConfig config, String storage, LoraTrainer.Settings settings, DataType dtype,
                                   Quantization quantization, int batch, int seq, boolean checkpointing) {
        MemoryPlan plan = MemoryPlan.training(config, dtype, storage, settings.lora().trainableParameters(config.tensorShapes()),
                settings.lora().r(), batch, seq, checkpointing);
        return quantization.plan(plan, config, dtype);
    }

    private static List<TrainingExample> examples(List<AlpacaRecord> records, Request request, HfTokenizer tokenizer,
                                                  LlamaConfig config, Log log) {
        LoraTrainer.Settings settings = request.settings();
        List<TrainingExample> examples = new ArrayList<>();
        int truncated = 0;
        int withoutTargets = 0;
        long tokens = 0;
        for (AlpacaRecord record : records) {
            TrainingExample whole = TrainingExample.of(record, request.template(), tokenizer::encode,
                    config.bosTokenId(), config.eosTokenId(), settings.trainOnResponsesOnly());
            TrainingExample example = whole.truncated(settings.maxSeqLength());
            truncated += example == whole ? 0 : 1;
            withoutTargets += example.targetCount() == 0 ? 1 : 0;
            tokens += example.length();
            examples.add(example);
        }
        ConfigException.require(withoutTargets == 0, PREFIX + "maxSeqLength", settings.maxSeqLength(),
                withoutTargets + " of " + examples.size() + " examples keep no response token within it");
        log.info(String.format(Locale.ROOT, "lyrics:finetune tokenized %d examples: %.0f tokens on average, %d cut at maxSeqLength %d",
                examples.size(), (double) tokens / examples.size(), truncated, settings.maxSeqLength()));
        int longest = examples.stream().mapToInt(TrainingExample::length).max().orElse(0);
        if (longest > config.maxPositionEmbeddings()) {
            log.warn("lyrics:finetune examples run to " + longest + " tokens, past the base model's max_position_embeddings "
                    + config.maxPositionEmbeddings() + ": positions it never saw in pretraining (lower "
                    + PREFIX + "maxSeqLength to stay within them)");
        }
        return examples;
    }
}
