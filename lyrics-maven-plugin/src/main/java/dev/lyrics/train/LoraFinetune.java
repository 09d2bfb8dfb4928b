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
import dev.lyrics.quant.BnbCheckpoint;
import dev.lyrics.quant.Quantization;
import dev.lyrics.tokenizer.HfTokenizer;
import java.io.IOException;
import java.math.BigDecimal;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
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
        Log log = context.log();
        LoraTrainer.Settings settings = request.settings();
        List<AlpacaRecord> records = AlpacaRecord.readAll(request.trainFile(), "lyrics.finetune.preprocessDirectory");
        if (records.isEmpty()) {
            throw InputException.at(request.trainFile(), "no training records");
        }
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
                Json.write(out.resolve("memory.json"), MemoryUsage.report(before, after));
                Map<String, Object> summary = new TreeMap<>();
                summary.put("examples", examples.size());
                summary.put("steps", result.steps());
                summary.put("trainable_parameters", trainable);
                summary.put("base_parameters", total);
                summary.put("trainable_percent", Math.round(1e6 * trainable / total) / 1e4);
                summary.put("train_tokens_per_s", Math.round(result.tokensPerSecond() * 10) / 10.0);
                summary.put("train_seconds", Math.round(result.seconds() * 10) / 10.0);
                summary.put("final_loss", result.lossLog().get(result.lossLog().size() - 1).loss());
                Json.write(out.resolve("training.json"), summary);
                log.info(String.format(Locale.ROOT, "lyrics:finetune trained %d steps, final loss %.4f, %.0f tokens/s;"
                                + " resident memory peak %s MiB", result.steps(), summary.get("final_loss"),
                        result.tokensPerSecond(), after.toMiB().get("resident_peak_mib")));
            }
        }
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
