package dev.lyrics.mojo;

import ai.djl.Device;
import ai.djl.ndarray.types.DataType;
import dev.lyrics.cache.StageRunner;
import dev.lyrics.cache.StageSpec;
import dev.lyrics.core.ConfigException;
import dev.lyrics.core.Log;
import dev.lyrics.dataset.PromptTemplate;
import dev.lyrics.dataset.SongText;
import dev.lyrics.eval.FinetuneSeeds;
import dev.lyrics.lora.LoraConfig;
import dev.lyrics.rnn.RecurrentConfig;
import dev.lyrics.rnn.RecurrentTrainer;
import dev.lyrics.rnn.UnitCodec;
import dev.lyrics.train.LoraFinetune;
import dev.lyrics.train.LoraTrainer;
import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SortedMap;
import org.apache.maven.plugins.annotations.LifecyclePhase;
import org.apache.maven.plugins.annotations.Mojo;
import org.apache.maven.plugins.annotations.Parameter;

/**
 * Trains the experiment's models: the LoRA fine-tune of the base model and the recurrent
 * language models (RNN, LSTM, GRU on chars or words). Every model is its own stage with its own
 * cache key, so changing one model's settings retrains that model only.
 */
@Mojo(name = "finetune", defaultPhase = LifecyclePhase.COMPILE, threadSafe = true)
public class FinetuneMojo extends AbstractModelMojo {
    private static final String PREPROCESS_DIRECTORY = "lyrics.finetune.preprocessDirectory";

    private static final String LORA_STAGE = "finetune";

    /** Skips this goal. */
    @Parameter(property = "lyrics.finetune.skip", defaultValue = "false")
    boolean skipFinetune;

    /** Skips the recurrent models (the LoRA fine-tune still runs). */
    @Parameter(property = "lyrics.finetune.recurrent.skip", defaultValue = "false")
    boolean skipRecurrent;

    /** The output directory of lyrics:preprocess: train.json, train_lyrics.txt, vocab_char.json, vocab_word.json. */
    @Parameter(property = PREPROCESS_DIRECTORY, defaultValue = "${project.build.directory}/lyrics/preprocess")
    File preprocessDirectory;

    /** Skips the LoRA fine-tune. */
    @Parameter(property = "lyrics.finetune.lora.skip", defaultValue = "false")
    boolean skipLora;

    /** The base model: a Hugging Face directory (config.json, model.safetensors or shards, tokenizer.json). */
    @Parameter(property = "lyrics.baseModel", defaultValue = "${project.basedir}/../data/models/kjv-base")
    File baseModel;

    /** The Alpaca prompt, {instruction}, {input} and {output} filled in; shared with perplexity and generation. */
    @Parameter(property = "lyrics.promptTemplate", defaultValue = PromptTemplate.STUDY)
    String promptTemplate;

    /** LoRA rank r of each adapter. */
    @Parameter(property = "lyrics.finetune.lora.r", defaultValue = "32")
    int r;

    /** LoRA alpha: the update is scaled by alpha / r (alpha / sqrt(r) with useRslora). */
    @Parameter(property = "lyrics.finetune.lora.alpha", defaultValue = "64")
    double alpha;

    /** Dropout on the adapters' input while training, in [0, 1). */
    @Parameter(property = "lyrics.finetune.lora.dropout", defaultValue = "0")
    double dropout;

    /** The projections that get adapters (comma-separated with -D). */
    @Parameter(property = "lyrics.finetune.lora.targetModules",
            defaultValue = "q_proj,k_proj,v_proj,o_proj,gate_proj,up_proj,down_proj")
    List<String> targetModules;

    /** Rank-stabilised LoRA: scale alpha / sqrt(r) instead of alpha / r. */
    @Parameter(property = "lyrics.finetune.lora.useRslora", defaultValue = "false")
    boolean useRslora;

    /** AdamW's peak learning rate. */
    @Parameter(property = "lyrics.finetune.learningRate", defaultValue = "2e-4")
    double learningRate;

    /** AdamW's decoupled weight decay. */
    @Parameter(property = "lyrics.finetune.weightDecay", defaultValue = "0.01")
    double weightDecay;

    /** AdamW's beta1. */
    @Parameter(property = "lyrics.finetune.adamBeta1", defaultValue = "0.9")
    double adamBeta1;

    /** AdamW's beta2. */
    @Parameter(property = "lyrics.finetune.adamBeta2", defaultValue = "0.999")
    double adamBeta2;

    /** AdamW's epsilon. */
    @Parameter(property = "lyrics.finetune.adamEpsilon", defaultValue = "1e-8")
    double adamEpsilon;

    /** Steps of linear warm-up before the linear decay to 0. */
    @Parameter(property = "lyrics.finetune.warmupSteps", defaultValue = "5")
    int warmupSteps;

    /** Passes over the train set. */
    @Parameter(property = "lyrics.finetune.epochs", defaultValue = "3")
    int epochs;

    /** Examples per micro-batch (per device). */
    @Parameter(property = "lyrics.finetune.batchSize", defaultValue = "2")
    int batchSize;

    /** Micro-batches whose gradients add up to one optimiser step. */
    @Parameter(property = "lyrics.finetune.gradientAccumulation", defaultValue = "8")
    int gradientAccumulation;

    /**
     * Seeds of the adapters' initialisation, the data order and dropout: one fine-tune per seed,
     * each its own cached stage ("finetune", then "finetune-seed-&lt;seed&gt;"), so lyrics:perplexity can
     * measure training noise (comma-separated with -D).
     */
    @Parameter(property = FinetuneSeeds.PROPERTY, defaultValue = "3407")
    List<Long> seeds;

    /** Longest training sequence in tokens; longer examples are cut (no packing). */
    @Parameter(property = "lyrics.finetune.maxSeqLength", defaultValue = "2048")
    int maxSeqLength;

    /** Global gradient-norm clipping threshold; 0 turns clipping off. */
    @Parameter(property = "lyrics.finetune.maxGradNorm", defaultValue = "1.0")
    double maxGradNorm;

    /** Scores only the response in the loss (the study trained on every token). */
    @Parameter(property = "lyrics.finetune.trainOnResponsesOnly", defaultValue = "false")
    boolean trainOnResponsesOnly;

    /** Saves a resumable checkpoint every this many steps; 0 for none. */
    @Parameter(property = "lyrics.finetune.checkpointSteps", defaultValue = "5")
    int checkpointSteps;

    /**
     * Recomputes each decoder layer's activations in the backward pass instead of keeping them (one
     * layer's activations alive at a time, for a second forward pass): auto (on a GPU only), true or false.
     */
    @Parameter(property = "lyrics.finetune.gradientCheckpointing", defaultValue = "auto")
    String gradientCheckpointing;

    /**
     * The recurrent language models, one &lt;recurrentModel&gt; each (cell, level, embeddingSize,
     * hiddenSize, layers, dropout, sequenceLength, batchSize, epochs, learningRate, weightDecay,
     * clipNorm, seed, validationFraction, optional name); each trains into target/lyrics/&lt;name&gt;/.
     */
    @Parameter
    List<RecurrentModel> recurrentModels;

    @Override
    protected String goal() {
        return "finetune";
    }

    @Override
    protected boolean goalSkipped() {
        return skipFinetune;
    }

    @Override
    protected void run(StageRunner runner, Log log) throws Exception {
        // every setting of every model is checked before any model trains
        List<LoraStage> lora = skipLora ? List.of() : loraStages();
        List<RecurrentConfig> recurrent = skipRecurrent ? List.of() : checkedRecurrentModels();
        if (skipLora) {
            log.info("lyrics:finetune LoRA fine-tune skipped");
        }
        for (LoraStage stage : lora) {
            runner.run(stage.spec(), context -> LoraFinetune.run(stage.request(), context));
        }
        if (skipRecurrent) {
            log.info("lyrics:finetune recurrent models skipped");
        } else {
            runRecurrentModels(runner, log, recurrent);
        }
    }

    /** The LoRA fine-tune's cache spec and the request its work runs. */
    private record LoraStage(StageSpec spec, LoraFinetune.Request request) {}

    /** Checks every LoRA parameter and the inputs, and builds one fine-tune stage per seed. */
    private List<LoraStage> loraStages() throws IOException {
        List<Long> checked = FinetuneSeeds.check(seeds);
        List<LoraStage> stages = new ArrayList<>();
        for (int i = 0; i < checked.size(); i++) {
            stages.add(loraStage(FinetuneSeeds.stage(LORA_STAGE, checked, i), checked.get(i)));
        }
        return stages;
    }

    private LoraStage loraStage(String stageName, long seed) throws IOException {
        Device resolvedDevice = device();
        DataType resolvedDtype = dtype();
        LoraTrainer.Settings settings = loraSettings(seed, gradientCheckpointing(resolvedDevice)).validate(LoraFinetune.PREFIX);
        PromptTemplate template = promptTemplate(promptTemplate);
        Path trainFile = preprocessDirectory.toPath().resolve("train.json");
        requireInput(trainFile);
        LoraFinetune.checkBaseModel(baseModel.toPath(), "lyrics.baseModel");

        StageSpec.Builder spec = StageSpec.builder("finetune", stageName, stageDir(stageName))
                .input("train.json", trainFile)
                .input("baseModel", baseModel.toPath())
                .param("promptTemplate", template.template())
                .param("lora.r", r)
                .param("lora.alpha", alpha)
                .param("lora.dropout", dropout)
                .param("lora.targetModules", settings.lora().targetModules())
                .param("lora.useRslora", useRslora)
                .param("learningRate", learningRate)
                .param("weightDecay", weightDecay)
                .param("adamBeta1", adamBeta1)
                .param("adamBeta2", adamBeta2)
                .param("adamEpsilon", adamEpsilon)
                .param("warmupSteps", warmupSteps)
                .param("epochs", epochs)
                .param("batchSize", batchSize)
                .param("gradientAccumulation", gradientAccumulation)
                .param("seed", seed)
                .param("maxSeqLength", maxSeqLength)
                .param("maxGradNorm", maxGradNorm)
                .param("trainOnResponsesOnly", trainOnResponsesOnly)
                .param("checkpointSteps", checkpointSteps)
                .param("gradientCheckpointing", settings.gradientCheckpointing());
        environment(spec, resolvedDevice);
        return new LoraStage(spec.build(), new LoraFinetune.Request(trainFile, baseModel.toPath(), template, settings,
                resolvedDevice, resolvedDtype, quantization()));
    }

    LoraTrainer.Settings loraSettings(long seed, boolean resolvedCheckpointing) {
        LoraConfig lora = new LoraConfig(r, alpha, dropout, targetModules == null ? List.of() : targetModules, useRslora);
        return new LoraTrainer.Settings(lora, learningRate, weightDecay, warmupSteps, epochs, batchSize,
                gradientAccumulation, seed, maxSeqLength, maxGradNorm, trainOnResponsesOnly, checkpointSteps, adamBeta1,
                adamBeta2, adamEpsilon, resolvedCheckpointing);
    }

    /** auto: on a GPU, where activations are what runs out of memory; off on the CPU, where time is scarcer. */
    private boolean gradientCheckpointing(Device resolvedDevice) {
        return switch (gradientCheckpointing == null ? "auto" : gradientCheckpointing) {
            case "auto" -> resolvedDevice.isGpu();
            case "true" -> true;
            case "false" -> false;
            default -> throw ConfigException.of("lyrics.finetune.gradientCheckpointing", gradientCheckpointing,
                    "must be auto, true or false");
        };
    }

    /** The recurrent models' settings and inputs, checked. */
    private List<RecurrentConfig> checkedRecurrentModels() {
        List<RecurrentConfig> configs = recurrentConfigs();
        if (!configs.isEmpty()) {
            requireInput(preprocessDirectory.toPath().resolve("train_lyrics.txt"));
        }
        for (RecurrentConfig config : configs) {
            requireInput(preprocessDirectory.toPath().resolve(config.vocabFileName()));
        }
        return configs;
    }

    private void runRecurrentModels(StageRunner runner, Log log, List<RecurrentConfig> configs) throws Exception {
        if (configs.isEmpty()) {
            log.info("lyrics:finetune no <recurrentModels> configured");
            return;
        }
        Path trainText = preprocessDirectory.toPath().resolve("train_lyrics.txt");
        SortedMap<String, String> environment = RecurrentTrainer.environment(threads);
        int trained = 0;
        for (RecurrentConfig config : configs) {
            Path vocabFile = preprocessDirectory.toPath().resolve(config.vocabFileName());
            StageSpec.Builder spec = StageSpec.builder("finetune", config.name(), stageDir(config.name()))
                    .input("train_lyrics.txt", trainText)
                    .input(config.vocabFileName(), vocabFile);
            for (Map.Entry<String, Object> setting : config.settings().entrySet()) {
                spec.param("recurrent." + setting.getKey(), setting.getValue());
            }
            environment.forEach(spec::environment);
            boolean hit = runner.run(spec.build(), context -> {
                UnitCodec codec = UnitCodec.read(config.level(), vocabFile, PREPROCESS_DIRECTORY);
                List<String> songs = SongText.readLyrics(trainText, PREPROCESS_DIRECTORY).stream().map(SongText::block).toList();
                new RecurrentTrainer(config, codec, threads, context.log()).train(songs, context.outputDir());
            }).hit();
            trained += hit ? 0 : 1;
        }
        log.info("lyrics:finetune recurrent models: " + trained + " trained, " + (configs.size() - trained) + " up to date");
    }

    /** Every model's settings, checked before any model trains. */
    private List<RecurrentConfig> recurrentConfigs() {
        List<RecurrentConfig> configs = new ArrayList<>();
        Set<String> names = new HashSet<>();
        List<RecurrentModel> models = recurrentModels == null ? List.of() : recurrentModels;
        for (int i = 0; i < models.size(); i++) {
            RecurrentConfig config = models.get(i).toConfig();
            config.validate("<recurrentModel> " + (i + 1) + " (" + config.name() + ")");
            if (!names.add(config.name())) {
                throw new ConfigException("recurrent model <recurrentModel> " + (i + 1) + ": the name " + config.name()
                        + " is used twice; give one of them a distinct <name> in the <recurrentModels> of experiment/pom.xml");
            }
            configs.add(config);
        }
        return configs;
    }

    private void requireInput(Path file) {
        ConfigException.require(Files.isRegularFile(file), "lyrics.finetune.preprocessDirectory", preprocessDirectory,
                "has no " + file.getFileName() + "; run lyrics:preprocess first or point it at a directory that has");
    }
}
