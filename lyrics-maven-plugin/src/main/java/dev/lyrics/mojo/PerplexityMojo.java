package dev.lyrics.mojo;

import dev.lyrics.cache.StageResult;
import dev.lyrics.cache.StageRunner;
import dev.lyrics.cache.StageSpec;
import dev.lyrics.core.ConfigException;
import dev.lyrics.core.Files2;
import dev.lyrics.core.Json;
import dev.lyrics.core.Log;
import dev.lyrics.dataset.PromptTemplate;
import dev.lyrics.eval.FinetuneSeeds;
import dev.lyrics.eval.GateCheck;
import dev.lyrics.eval.JUnitReport;
import dev.lyrics.eval.ModelCatalog;
import dev.lyrics.eval.ModelLoader;
import dev.lyrics.eval.ModelUnderTest;
import dev.lyrics.eval.PerplexityEvaluator;
import dev.lyrics.eval.PerplexityGate;
import dev.lyrics.eval.PerplexityResults;
import dev.lyrics.eval.TestSet;
import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
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
        return "perplexity";
    }

    @Override
    protected boolean goalSkipped() {
        return skipPerplexity;
    }

    @Override
    protected void run(StageRunner runner, Log log) throws Exception {
        PromptTemplate template = validate();
        List<Path> inputs = preprocessed("test.json", "test_lyrics.txt");
        Path testJson = inputs.get(0);
        Path testLyrics = inputs.get(1);
        List<Long> checkedSeeds = FinetuneSeeds.check(seeds);
        List<ModelUnderTest> models = new ModelCatalog(outputDirectory.toPath(), goal())
                .discover(baseModel.toPath(), finetuneStage, checkedSeeds, nonBlank(recurrentStages));
        ModelLoader loader = modelLoader();

        StageSpec.Builder spec = StageSpec.builder("perplexity", "perplexity", stageDir("perplexity"))
                .input("test.json", testJson)
                .input("test_lyrics.txt", testLyrics)
                .param("promptTemplate", template.template())
                .param("perplexity.contextLength", contextLength)
                .param("perplexity.stride", stride)
                .param("perplexity.batchSize", batchSize);
        addModels(spec, models, loader);

        StageResult result = runner.run(spec.build(), context -> {
            TestSet testSet = TestSet.read(testJson, template, testLyrics, OUTPUT_DIRECTORY);
            PerplexityResults results = new PerplexityEvaluator(loader, batchSize, context.log()).evaluate(models, testSet)
                    .withSeeds(checkedSeeds);
            Json.write(context.outputDir().resolve("perplexity.json"), results.toJson());
            Files2.writeAtomically(context.outputDir().resolve("perplexity.md"), results.toMarkdown());
        });

        Path out = result.outputDir();
        Files.readAllLines(out.resolve("perplexity.md")).forEach(log::info);
        // the gate runs on every build, cached figures or not: the baseline file may have changed
        PerplexityGate gate = new PerplexityGate(new PerplexityGate.Settings(maxPerplexity, minImprovement, tolerance,
                baselineFile.toPath(), updateBaseline, nonBlank(optionalModels), finetuneStage, nonBlank(recurrentStages)));
        Path figures = out.resolve("perplexity.json");
        List<GateCheck> checks = gate.check(PerplexityResults.readValues(figures), PerplexityResults.readSeedSpread(figures), log);
        JUnitReport.write(out.resolve(JUnitReport.FILE_NAME), checks);
        long failed = checks.stream().filter(GateCheck::failed).count();
        long skipped = checks.stream().filter(c -> c.outcome() == GateCheck.Outcome.SKIPPED).count();
        log.info("lyrics:perplexity " + models.size() + " models; gate: " + (checks.size() - failed - skipped)
                + " passed, " + failed + " failed, " + skipped + " skipped (" + out.resolve(JUnitReport.FILE_NAME) + ")");
        PerplexityGate.enforce(checks);
    }

    private PromptTemplate validate() {
        ConfigException.require(contextLength == 0 || contextLength >= 2, "lyrics.perplexity.contextLength", contextLength,
                "must be 0 (the model's own) or at least 2");
        ConfigException.require(stride >= 0, "lyrics.perplexity.stride", stride, "must be 0 (half the context) or positive");
        ConfigException.require(contextLength == 0 || stride <= contextLength, "lyrics.perplexity.stride", stride,
                "must be at most contextLength " + contextLength);
        ConfigException.require(batchSize >= 1, "lyrics.perplexity.batchSize", batchSize, "must be at least 1");
        ConfigException.require(maxPerplexity >= 1, "lyrics.perplexity.maxPerplexity", maxPerplexity,
                "must be at least 1 (no model has a perplexity below 1)");
        ConfigException.require(minImprovement < 1, "lyrics.perplexity.minImprovement", minImprovement,
                "must be below 1 (a fraction of the base model's perplexity), or -Infinity for none");
        ConfigException.require(tolerance >= 0, "lyrics.perplexity.tolerance", tolerance, "must be 0 or more");
        return promptTemplate(promptTemplate);
    }

    @Override
    ModelLoader modelLoader() {
        return studyModelLoader(contextLength, stride).planning("lyrics:perplexity", batchSize,
                "lyrics.perplexity.batchSize", new MavenLog(getLog()));
    }
}
