package dev.lyrics.mojo;

import ai.djl.Device;
import dev.lyrics.cache.StageResult;
import dev.lyrics.cache.StageRunner;
import dev.lyrics.cache.StageSpec;
import dev.lyrics.core.ConfigException;
import dev.lyrics.core.Files2;
import dev.lyrics.core.InputException;
import dev.lyrics.core.Log;
import dev.lyrics.model.SafetensorsFile;
import dev.lyrics.train.LrSchedule;
import dev.lyrics.train.Pretrainer;
import java.io.File;
import java.util.Locale;
import org.apache.maven.plugins.annotations.Mojo;
import org.apache.maven.plugins.annotations.Parameter;

/**
 * Pretrains a small Llama-architecture base model and its byte-level BPE tokenizer from scratch on a
 * text corpus, written in the Hugging Face layout. Not bound to a phase: the experiment's
 * {@code pretrain} profile runs it to rebuild the embedded base model.
 */
@Mojo(name = "pretrain", threadSafe = true)
public class PretrainMojo extends AbstractModelMojo {
    /** How the experiment POM's profile runs this goal (written into the model card). */
    static final String REBUILD_COMMAND = "mvn -B -q install -pl .,lyrics-maven-plugin && mvn -B -Ppretrain validate -pl experiment";

    /** Skips this goal. */
    @Parameter(property = "lyrics.pretrain.skip", defaultValue = "false")
    boolean skipPretrain;

    /** The corpus: one passage per line, documents separated by blank lines. */
    @Parameter(property = "lyrics.pretrain.corpusFile", defaultValue = "${project.basedir}/../data/kjv-pretrain.txt")
    File corpusFile;

    /** When set, the trained model directory is also copied here (e.g. data/models/kjv-base). */
    @Parameter(property = "lyrics.pretrain.exportDirectory")
    File exportDirectory;

    /** Tokenizer vocabulary size, special and byte tokens included. */
    @Parameter(property = "lyrics.pretrain.vocabSize", defaultValue = "4096")
    int vocabSize;

    /** Model width (hidden_size). */
    @Parameter(property = "lyrics.pretrain.hiddenSize", defaultValue = "256")
    int hiddenSize;

    /** SwiGLU inner width (intermediate_size). */
    @Parameter(property = "lyrics.pretrain.intermediateSize", defaultValue = "688")
    int intermediateSize;

    /** Decoder layers. */
    @Parameter(property = "lyrics.pretrain.layers", defaultValue = "4")
    int layers;

    /** Attention (query) heads. */
    @Parameter(property = "lyrics.pretrain.heads", defaultValue = "4")
    int heads;

    /** Key/value heads; fewer than heads gives grouped-query attention. */
    @Parameter(property = "lyrics.pretrain.kvHeads", defaultValue = "2")
    int kvHeads;

    /** Training window in tokens, also max_position_embeddings. */
    @Parameter(property = "lyrics.pretrain.contextLength", defaultValue = "256")
    int contextLength;

    /** Shares the input embedding with lm_head. */
    @Parameter(property = "lyrics.pretrain.tieWordEmbeddings", defaultValue = "false")
    boolean tieWordEmbeddings;

    /** Windows per optimiser step. */
    @Parameter(property = "lyrics.pretrain.batchSize", defaultValue = "8")
    int batchSize;

    /** Optimiser steps. */
    @Parameter(property = "lyrics.pretrain.steps", defaultValue = "1800")
    int steps;

    /** Peak learning rate. */
    @Parameter(property = "lyrics.pretrain.learningRate", defaultValue = "0.0015")
    double learningRate;

    /** The learning rate decays to this share of the peak. */
    @Parameter(property = "lyrics.pretrain.minLrRatio", defaultValue = "0.1")
    double minLrRatio;

    /** Steps of linear warm-up. */
    @Parameter(property = "lyrics.pretrain.warmupSteps", defaultValue = "100")
    int warmupSteps;

    /** Decay after warm-up: cosine, linear or constant. */
    @Parameter(property = "lyrics.pretrain.schedule", defaultValue = "cosine")
    String schedule;

    /** AdamW decoupled weight decay (matrices only). */
    @Parameter(property = "lyrics.pretrain.weightDecay", defaultValue = "0.1")
    double weightDecay;

    /** AdamW beta1. */
    @Parameter(property = "lyrics.pretrain.beta1", defaultValue = "0.9")
    double beta1;

    /** AdamW beta2. */
    @Parameter(property = "lyrics.pretrain.beta2", defaultValue = "0.95")
    double beta2;

    /** Gradients are scaled down to this global L2 norm; 0 turns clipping off. */
    @Parameter(property = "lyrics.pretrain.gradClip", defaultValue = "1.0")
    double gradClip;

    /** Seeds initialisation and the order of training windows. */
    @Parameter(property = "lyrics.pretrain.seed", defaultValue = "3407")
    long seed;

    /** Share of the corpus held out for the validation loss, in (0, 0.5]. */
    @Parameter(property = "lyrics.pretrain.validationFraction", defaultValue = "0.05")
    double validationFraction;

    /** Steps between held-out losses. */
    @Parameter(property = "lyrics.pretrain.evalInterval", defaultValue = "250")
    int evalInterval;

    /** dtype of model.safetensors: float16, bfloat16 or float32. */
    @Parameter(property = "lyrics.pretrain.storage", defaultValue = "float16")
    String storage;

    @Override
    protected String goal() {
        return "pretrain";
    }

    @Override
    protected boolean goalSkipped() {
        return skipPretrain;
    }

    @Override
    protected void run(StageRunner runner, Log log) throws Exception {
        Pretrainer.Settings settings = settings();
        if (!corpusFile.isFile()) {
            throw InputException.at(corpusFile.toPath(), "corpus file not found; set <corpusFile> or -Dlyrics.pretrain.corpusFile");
        }
        Device resolved = device();
        StageSpec.Builder spec = StageSpec.builder("pretrain", "pretrain", stageDir("pretrain"))
                .input("corpus", corpusFile.toPath())
                .param("pretrain.vocabSize", vocabSize)
                .param("pretrain.hiddenSize", hiddenSize)
                .param("pretrain.intermediateSize", intermediateSize)
                .param("pretrain.layers", layers)
                .param("pretrain.heads", heads)
                .param("pretrain.kvHeads", kvHeads)
                .param("pretrain.contextLength", contextLength)
                .param("pretrain.tieWordEmbeddings", tieWordEmbeddings)
                .param("pretrain.batchSize", batchSize)
                .param("pretrain.steps", steps)
                .param("pretrain.learningRate", learningRate)
                .param("pretrain.minLrRatio", minLrRatio)
                .param("pretrain.warmupSteps", warmupSteps)
                .param("pretrain.schedule", schedule)
                .param("pretrain.weightDecay", weightDecay)
                .param("pretrain.beta1", beta1)
                .param("pretrain.beta2", beta2)
                .param("pretrain.gradClip", gradClip)
                .param("pretrain.seed", seed)
                .param("pretrain.validationFraction", validationFraction)
                .param("pretrain.evalInterval", evalInterval)
                .param("pretrain.storage", storage);
        environment(spec, resolved);
        String command = REBUILD_COMMAND + "\n# trained on " + Pretrainer.describe(resolved) + ", " + dtype + ", "
                + (threads == 0 ? "one thread per core" : threads == 1 ? "1 thread" : threads + " threads");
        StageResult result = runner.run(spec.build(), context -> {
            Pretrainer.Result trained = new Pretrainer(settings, resolved, dtype(), context.log())
                    .run(corpusFile.toPath(), context.outputDir(), command);
            double validation = trained.validationLosses().values().stream().reduce((a, b) -> b).orElse(Double.NaN);
            context.log().info(String.format(Locale.ROOT, "lyrics:pretrain finished: held-out loss %.4f after %d steps, %.1f min",
                    validation, settings.steps(), trained.seconds() / 60));
        });
        if (exportDirectory != null) {
            Files2.copyRecursively(result.outputDir(), exportDirectory.toPath());
            log.info("lyrics:pretrain copied the model to " + exportDirectory);
        }
    }

    Pretrainer.Settings settings() {
        ConfigException.require(vocabSize >= 3 + 256, "lyrics.pretrain.vocabSize", vocabSize, "must be at least 259 (3 special tokens and 256 bytes)");
        ConfigException.require(hiddenSize > 0 && heads > 0 && hiddenSize % heads == 0 && (hiddenSize / heads) % 2 == 0,
                "lyrics.pretrain.heads", heads, "must divide hiddenSize " + hiddenSize + " into an even head size");
        ConfigException.require(kvHeads > 0 && heads % kvHeads == 0, "lyrics.pretrain.kvHeads", kvHeads, "must divide heads " + heads);
        ConfigException.require(layers >= 1, "lyrics.pretrain.layers", layers, "must be at least 1");
        ConfigException.require(intermediateSize >= 1, "lyrics.pretrain.intermediateSize", intermediateSize, "must be at least 1");
        ConfigException.require(contextLength >= 2, "lyrics.pretrain.contextLength", contextLength, "must be at least 2");
        ConfigException.require(batchSize >= 1, "lyrics.pretrain.batchSize", batchSize, "must be at least 1");
        ConfigException.require(steps >= 1, "lyrics.pretrain.steps", steps, "must be at least 1");
        ConfigException.require(learningRate > 0, "lyrics.pretrain.learningRate", learningRate, "must be positive");
        ConfigException.require(minLrRatio >= 0 && minLrRatio <= 1, "lyrics.pretrain.minLrRatio", minLrRatio, "must be in [0, 1]");
        ConfigException.require(warmupSteps >= 0, "lyrics.pretrain.warmupSteps", warmupSteps, "must not be negative");
        ConfigException.require(weightDecay >= 0, "lyrics.pretrain.weightDecay", weightDecay, "must not be negative");
        ConfigException.require(beta1 >= 0 && beta1 < 1, "lyrics.pretrain.beta1", beta1, "must be in [0, 1)");
        ConfigException.require(beta2 >= 0 && beta2 < 1, "lyrics.pretrain.beta2", beta2, "must be in [0, 1)");
        ConfigException.require(gradClip >= 0, "lyrics.pretrain.gradClip", gradClip, "must not be negative (0 turns clipping off)");
        ConfigException.require(validationFraction > 0 && validationFraction <= 0.5, "lyrics.pretrain.validationFraction",
                validationFraction, "must be in (0, 0.5]");
        ConfigException.require(evalInterval >= 1, "lyrics.pretrain.evalInterval", evalInterval, "must be at least 1");
        LrSchedule.Kind kind = switch (schedule) {
            case "cosine" -> LrSchedule.Kind.COSINE;
            case "linear" -> LrSchedule.Kind.LINEAR;
            case "constant" -> LrSchedule.Kind.CONSTANT;
            default -> throw ConfigException.of("lyrics.pretrain.schedule", schedule, "must be cosine, linear or constant");
        };
        SafetensorsFile.DType storageType = switch (storage) {
            case "float16" -> SafetensorsFile.DType.F16;
            case "bfloat16" -> SafetensorsFile.DType.BF16;
            case "float32" -> SafetensorsFile.DType.F32;
            default -> throw ConfigException.of("lyrics.pretrain.storage", storage, "must be float16, bfloat16 or float32");
        };
        return new Pretrainer.Settings(vocabSize, hiddenSize, intermediateSize, layers, heads, kvHeads, contextLength,
                tieWordEmbeddings, batchSize, steps, learningRate, minLrRatio, warmupSteps, kind, weightDecay, beta1, beta2,
                gradClip, seed, validationFraction, evalInterval, storageType);
    }
}
