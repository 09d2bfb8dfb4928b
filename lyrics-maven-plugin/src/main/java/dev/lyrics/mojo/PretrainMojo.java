package dev.lyrics.mojo;

import dev.lyrics.cache.StageResult;
import dev.lyrics.cache.StageRunner;
import dev.lyrics.core.Files2;
import dev.lyrics.core.Log;
import dev.lyrics.stage.Pretrain;
import dev.lyrics.train.Pretrainer;
import java.io.File;
import org.apache.maven.plugins.annotations.Mojo;
import org.apache.maven.plugins.annotations.Parameter;

/**
 * Pretrains a small Llama-architecture base model and its byte-level BPE tokenizer from scratch on a
 * text corpus, written in the Hugging Face layout. Not bound to a phase: the experiment's
 * {@code pretrain} profile runs it to rebuild the embedded base model.
 */
@Mojo(name = "pretrain", threadSafe = true)
public class PretrainMojo extends AbstractModelMojo {
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
        StageResult result = runner.run(new Pretrain(), Pretrain.GOAL,
                new Pretrain.Settings(corpusFile.toPath(), settings(), execution()), stageDir(Pretrain.GOAL));
        if (exportDirectory != null) {
            Files2.copyRecursively(result.outputDir(), exportDirectory.toPath());
            log.info("lyrics:pretrain copied the model to " + exportDirectory);
        }
    }

    Pretrainer.Settings settings() {
        return new Pretrainer.Settings(vocabSize, hiddenSize, intermediateSize, layers, heads, kvHeads,
                contextLength, tieWordEmbeddings, batchSize, steps, learningRate, minLrRatio, warmupSteps,
                Pretrainer.Settings.schedule(schedule), weightDecay, beta1, beta2, gradClip, seed, validationFraction,
                evalInterval, Pretrainer.Settings.storage(storage));
    }
}
