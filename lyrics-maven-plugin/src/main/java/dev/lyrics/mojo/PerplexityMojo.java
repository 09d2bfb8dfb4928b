package dev.lyrics.mojo;

import dev.lyrics.cache.StageResult;
import dev.lyrics.cache.StageRunner;
import dev.lyrics.core.Log;
import dev.lyrics.train.FinetuneSeeds;
import dev.lyrics.eval.PerplexityGate;
import dev.lyrics.stage.Perplexity;
import dev.lyrics.stage.Preprocess;
import java.io.File;
import java.io.IOException;
import java.util.List;
import org.apache.maven.plugins.annotations.LifecyclePhase;
import org.apache.maven.plugins.annotations.Mojo;
import org.apache.maven.plugins.annotations.Parameter;

/**
 * Scores the test split with the base model, the fine-tuned one and every recurrent model, writes
 * perplexity.json and perplexity.md (a cached stage), then runs the regression gate on every
 * build: TEST-lyrics-perplexity.xml beside them, and a build failure when a figure regressed.
 */
@Mojo(name = "perplexity", defaultPhase = LifecyclePhase.VERIFY, threadSafe = true)
public class PerplexityMojo extends AbstractEvaluationMojo {
    /** Skips this goal. */
    @Parameter(property = "lyrics.perplexity.skip", defaultValue = "false")
    boolean skipPerplexity;

    /** Most tokens one window reads when a text is longer; 0 takes the model's max_position_embeddings. */
    @Parameter(property = "lyrics.perplexity.contextLength", defaultValue = "0")
    int contextLength;

    /** How far consecutive windows advance (Hugging Face's stride); 0 takes half the context. */
    @Parameter(property = "lyrics.perplexity.stride", defaultValue = "0")
    int stride;

    /** Texts scored per forward pass. */
    @Parameter(property = "lyrics.perplexity.batchSize", defaultValue = "8")
    int batchSize;

    /** Ceiling on the fine-tuned model's corpus perplexity; Infinity for none. */
    @Parameter(property = "lyrics.perplexity.maxPerplexity", defaultValue = "Infinity")
    double maxPerplexity;

    /** Fraction by which the fine-tuned corpus perplexity must be below the base model's; -Infinity for none. */
    @Parameter(property = "lyrics.perplexity.minImprovement", defaultValue = "0.15")
    double minImprovement;

    /** Relative slack over a baseline figure before it counts as a regression. */
    @Parameter(property = "lyrics.perplexity.tolerance", defaultValue = "0.02")
    double tolerance;

    /** The committed baseline, model -> metric -> value; a missing file fails the build (updateBaseline creates it). */
    @Parameter(property = "lyrics.perplexity.baselineFile", defaultValue = "${project.basedir}/perplexity-baseline.json")
    File baselineFile;

    /**
     * Baseline models (names or globs) this build may leave out; any other baseline model it did not
     * evaluate fails the gate (comma-separated with -D).
     */
    @Parameter(property = PerplexityGate.OPTIONAL_PROPERTY)
    List<String> optionalModels;

    /**
     * The fine-tune's seeds, as lyrics:finetune trained them (one adapter each); every seed's model
     * is scored and the gate checks their mean as "finetuned" (comma-separated with -D).
     */
    @Parameter(property = FinetuneSeeds.PROPERTY, defaultValue = "3407")
    List<Long> seeds;

    /** Rewrites the baseline file with this build's figures: accepts a deliberate change. */
    @Parameter(property = PerplexityGate.UPDATE_PROPERTY, defaultValue = "false")
    boolean updateBaseline;

    @Override
    protected String goal() {
        return Perplexity.GOAL;
    }

    @Override
    protected boolean goalSkipped() {
        return skipPerplexity;
    }

    @Override
    protected void run(StageRunner runner, Log log) throws Exception {
        Perplexity.Settings settings = settings();
        Perplexity stage = stage();
        StageResult result = runner.run(stage, Perplexity.GOAL, settings, stageDir(Perplexity.GOAL));
        stage.gate(settings, new Perplexity.Outputs(result.outputDir()), log);
    }

    Perplexity.Settings settings() throws IOException {
        Preprocess.Outputs preprocess = preprocess();
        List<Long> checkedSeeds = FinetuneSeeds.check(seeds);
        return new Perplexity.Settings(preprocess.testJson(), preprocess.testLyrics(), promptTemplate, checkedSeeds,
                models(checkedSeeds), contextLength, stride, batchSize, execution(),
                new PerplexityGate.Settings(maxPerplexity, minImprovement, tolerance, baselineFile.toPath(), updateBaseline,
                        nonBlank(optionalModels), finetuneStage, nonBlank(recurrentStages)));
    }

    /** The core stage: a seam for tests, which open fake models. */
    Perplexity stage() {
        return new Perplexity();
    }
}
