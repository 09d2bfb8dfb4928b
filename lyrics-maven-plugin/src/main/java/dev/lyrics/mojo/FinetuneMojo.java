package dev.lyrics.mojo;

import dev.lyrics.cache.StageRunner;
import dev.lyrics.core.Log;
import dev.lyrics.dataset.PromptTemplate;
import dev.lyrics.train.FinetuneSeeds;
import dev.lyrics.lora.LoraConfig;
import dev.lyrics.stage.Execution;
import dev.lyrics.stage.Finetune;
import dev.lyrics.stage.Preprocess;
import dev.lyrics.stage.RecurrentFinetune;
import dev.lyrics.train.LoraTrainer;
import java.io.File;
import java.util.List;
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

    /**
     * libtorch intra-op threads for the recurrent models (lyrics.threads is the LoRA fine-tune's); 0
     * uses one per core. One by default: their many small operations run fastest on one thread,
     * where a second costs more to wake than it saves (README, "Benchmark").
     */
    @Parameter(property = "lyrics.finetune.recurrent.threads", defaultValue = "1")
    int recurrentThreads;

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
        Preprocess.Outputs preprocess = new Preprocess.Outputs(preprocessDirectory.toPath(), PREPROCESS_DIRECTORY);
        List<Finetune.Run> lora = skipLora ? List.of() : Finetune.perSeed(loraSettings(), seeds);
        List<RecurrentFinetune.Settings> recurrent = skipRecurrent || recurrentModels == null ? List.of()
                : RecurrentFinetune.of(recurrentModels.stream().map(RecurrentModel::toConfig).toList(), preprocess,
                        Execution.defaultDevice(recurrentThreads));
        for (Finetune.Run run : lora) {
            runner.run(new Finetune(), run.name(), run.settings(), stageDir(run.name()));
        }
        int trained = 0;
        for (RecurrentFinetune.Settings model : recurrent) {
            trained += runner.run(new RecurrentFinetune(), model.model().name(), model, stageDir(model.model().name())).hit() ? 0 : 1;
        }
        log.info(skipLora ? "lyrics:finetune LoRA fine-tune skipped" : "lyrics:finetune LoRA fine-tunes: " + lora.size());
        log.info("lyrics:finetune recurrent models: " + (skipRecurrent ? "skipped" : recurrent.isEmpty() ? "none configured"
                : trained + " trained, " + (recurrent.size() - trained) + " up to date"));
    }

    Finetune.Settings loraSettings() {
        Execution execution = execution();
        LoraConfig lora = new LoraConfig(r, alpha, dropout, targetModules == null ? List.of() : targetModules, useRslora);
        LoraTrainer.Settings training = new LoraTrainer.Settings(lora, learningRate, weightDecay, warmupSteps, epochs,
                batchSize, gradientAccumulation, 0, maxSeqLength, maxGradNorm, trainOnResponsesOnly, checkpointSteps, adamBeta1,
                adamBeta2, adamEpsilon, Finetune.gradientCheckpointing(gradientCheckpointing, execution));
        return new Finetune.Settings(new Preprocess.Outputs(preprocessDirectory.toPath(), PREPROCESS_DIRECTORY).trainJson(),
                baseModel.toPath(), promptTemplate, training, execution);
    }
}
