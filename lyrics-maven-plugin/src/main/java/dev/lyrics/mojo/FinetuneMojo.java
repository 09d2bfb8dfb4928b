package dev.lyrics.mojo;

import ai.djl.Device;
import ai.djl.ndarray.types.DataType;
import dev.lyrics.cache.StageRunner;
import dev.lyrics.cache.StageSpec;
import dev.lyrics.core.ConfigException;
import dev.lyrics.core.Log;
import dev.lyrics.dataset.PromptTemplate;
import dev.lyrics.lora.LoraConfig;
import dev.lyrics.train.LoraFinetune;
import dev.lyrics.train.LoraTrainer;
import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.apache.maven.plugins.annotations.LifecyclePhase;
import org.apache.maven.plugins.annotations.Mojo;
import org.apache.maven.plugins.annotations.Parameter;

/**
 * Trains the experiment's models: the LoRA fine-tune of the base model on the Alpaca train set,
 * with the study's hyperparameters as defaults. Every model is its own stage with its own cache key.
 */
@Mojo(name = "finetune", defaultPhase = LifecyclePhase.COMPILE, threadSafe = true)
public class FinetuneMojo extends AbstractModelMojo {
    private static final String LORA_STAGE = "finetune";

    /** Skips this goal. */
    @Parameter(property = "lyrics.finetune.skip", defaultValue = "false")
    boolean skipFinetune;

    /** The output directory of lyrics:preprocess: train.json for the LoRA fine-tune. */
    @Parameter(property = "lyrics.finetune.preprocessDirectory", defaultValue = "${project.build.directory}/lyrics/preprocess")
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

    /** Seed of the adapters' initialisation, the data order and dropout. */
    @Parameter(property = "lyrics.finetune.seed", defaultValue = "3407")
    long seed;

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
        if (skipLora) {
            log.info("lyrics:finetune LoRA fine-tune skipped");
        } else {
            runLora(runner, log);
        }
    }

    /** Checks every LoRA parameter and the inputs, then runs the fine-tune stage. */
    private void runLora(StageRunner runner, Log log) throws Exception {
        LoraTrainer.Settings settings = loraSettings().validate(LoraFinetune.PREFIX);
        PromptTemplate template = promptTemplate();
        Path trainFile = preprocessDirectory.toPath().resolve("train.json");
        ConfigException.require(Files.isRegularFile(trainFile), "lyrics.finetune.preprocessDirectory", preprocessDirectory,
                "has no train.json; run lyrics:preprocess first or point it at a directory that has");
        LoraFinetune.checkBaseModel(baseModel.toPath(), "lyrics.baseModel");
        Device resolvedDevice = device();
        DataType resolvedDtype = dtype();

        StageSpec.Builder spec = StageSpec.builder("finetune", LORA_STAGE, stageDir(LORA_STAGE))
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
                .param("checkpointSteps", checkpointSteps);
        environment(spec, resolvedDevice);
        LoraFinetune.Request request = new LoraFinetune.Request(trainFile, baseModel.toPath(), template, settings,
                resolvedDevice, resolvedDtype);
        runner.run(spec.build(), context -> LoraFinetune.run(request, context));
    }

    LoraTrainer.Settings loraSettings() {
        LoraConfig lora = new LoraConfig(r, alpha, dropout, targetModules == null ? List.of() : targetModules, useRslora);
        return new LoraTrainer.Settings(lora, learningRate, weightDecay, warmupSteps, epochs, batchSize,
                gradientAccumulation, seed, maxSeqLength, maxGradNorm, trainOnResponsesOnly, checkpointSteps, adamBeta1,
                adamBeta2, adamEpsilon);
    }

    private PromptTemplate promptTemplate() {
        try {
            return new PromptTemplate(promptTemplate);
        } catch (IllegalArgumentException e) {
            throw ConfigException.of("lyrics.promptTemplate", "\"" + promptTemplate + "\"", e.getMessage());
        }
    }
}
