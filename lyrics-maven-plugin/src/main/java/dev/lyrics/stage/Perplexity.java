package dev.lyrics.stage;

import dev.lyrics.cache.Stage;
import dev.lyrics.cache.StageContext;
import dev.lyrics.cache.Unkeyed;
import dev.lyrics.core.ConfigException;
import dev.lyrics.core.Files2;
import dev.lyrics.core.Json;
import dev.lyrics.core.Log;
import dev.lyrics.dataset.PromptTemplate;
import dev.lyrics.train.FinetuneSeeds;
import dev.lyrics.eval.GateCheck;
import dev.lyrics.eval.JUnitReport;
import dev.lyrics.eval.ModelUnderTest;
import dev.lyrics.eval.PerplexityEvaluator;
import dev.lyrics.eval.PerplexityGate;
import dev.lyrics.eval.PerplexityResults;
import dev.lyrics.eval.StudyModelLoader;
import dev.lyrics.eval.TestSet;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * lyrics:perplexity: scores the test split with the base model, the fine-tuned one (one per seed)
 * and every recurrent model, and writes perplexity.json and perplexity.md. Its {@link #gate} runs on
 * every build, cached figures or not (the baseline file may have changed): TEST-lyrics-perplexity.xml
 * beside them, and a {@link dev.lyrics.core.GateException} when a figure regressed.
 */
public final class Perplexity implements Stage<Perplexity.Settings> {
    public static final String GOAL = "perplexity";
    static final String FIGURES = "perplexity.json";
    static final String TABLE = "perplexity.md";

    private final LoaderFactory<Settings> loaders;

    /** The project's models, each behind a memory plan for a batch of full windows. */
    public Perplexity() {
        this(Perplexity::studyLoader);
    }

    /** @param loaders opens the models (tests pass fakes) */
    public Perplexity(LoaderFactory<Settings> loaders) {
        this.loaders = loaders;
    }

    /**
     * @param testJson       the test split as Alpaca records (lyrics:preprocess)
     * @param testLyrics     the test split as plain text, for the recurrent models
     * @param promptTemplate the Alpaca template the transformers read (lyrics.promptTemplate)
     * @param seeds          the fine-tune's seeds (lyrics.finetune.seeds): one fine-tuned model each
     * @param models         the models scored, base first: their files and their stages' keys are keyed
     * @param contextLength  most tokens one window reads; 0 for the model's max_position_embeddings
     * @param stride         how far windows advance; 0 for half the context
     * @param batchSize      texts scored per forward pass
     * @param execution      where and how the models run
     * @param gate           what the regression gate checks the figures against
     */
    public record Settings(Path testJson, Path testLyrics, String promptTemplate, List<Long> seeds, List<ModelUnderTest> models,
            int contextLength, int stride, int batchSize, Execution execution,
            @Unkeyed("the gate checks the figures on every build, cached or not; it does not make them")
            PerplexityGate.Settings gate) {
        public Settings {
            ConfigException.require(contextLength == 0 || contextLength >= 2, "lyrics.perplexity.contextLength", contextLength,
                    "must be 0 (the model's own) or at least 2");
            ConfigException.require(stride >= 0, "lyrics.perplexity.stride", stride, "must be 0 (half the context) or positive");
            ConfigException.require(contextLength == 0 || stride <= contextLength, "lyrics.perplexity.stride", stride,
                    "must be at most contextLength " + contextLength);
            ConfigException.require(batchSize >= 1, "lyrics.perplexity.batchSize", batchSize, "must be at least 1");
            ConfigException.require(gate.maxPerplexity() >= 1, "lyrics.perplexity.maxPerplexity", gate.maxPerplexity(),
                    "must be at least 1 (no model has a perplexity below 1)");
            ConfigException.require(gate.minImprovement() < 1, "lyrics.perplexity.minImprovement", gate.minImprovement(),
                    "must be below 1 (a fraction of the base model's perplexity), or -Infinity for none");
            ConfigException.require(gate.tolerance() >= 0, "lyrics.perplexity.tolerance", gate.tolerance(), "must be 0 or more");
            PromptTemplate.parameter(promptTemplate);
            seeds = FinetuneSeeds.check(seeds);
            models = List.copyOf(models);
        }

        public PromptTemplate template() {
            return PromptTemplate.parameter(promptTemplate);
        }
    }

    @Override
    public String goal() {
        return GOAL;
    }

    @Override
    public void run(Settings settings, StageContext context) throws Exception {
        settings.execution().startEngine();
        TestSet testSet = TestSet.read(settings.testJson(), settings.template(), settings.testLyrics(), "lyrics.outputDirectory");
        PerplexityResults results = new PerplexityEvaluator(loaders.loader(settings, context.log()), settings.batchSize(),
                context.log()).evaluate(settings.models(), testSet).withSeeds(settings.seeds());
        Json.write(context.outputDir().resolve(FIGURES), results.toJson());
        Files2.writeAtomically(context.outputDir().resolve(TABLE), results.toMarkdown());
    }

    /**
     * Prints the table, checks the figures against the gate's limits and baseline, writes the JUnit
     * report beside them and fails when a check failed.
     *
     * @return the checks, when none failed
     */
    public List<GateCheck> gate(Settings settings, Outputs outputs, Log log) throws IOException {
        Files.readAllLines(outputs.table()).forEach(log::info);
        PerplexityResults.Figures figures = outputs.figures();
        List<GateCheck> checks = new PerplexityGate(settings.gate()).check(figures.gateValues(), figures.seedSpread(), log);
        Path report = outputs.gateReportFile();
        JUnitReport.write(report, checks);
        long failed = checks.stream().filter(GateCheck::failed).count();
        long skipped = checks.stream().filter(c -> c.outcome() == GateCheck.Outcome.SKIPPED).count();
        log.info("lyrics:perplexity " + settings.models().size() + " models; gate: " + (checks.size() - failed - skipped)
                + " passed, " + failed + " failed, " + skipped + " skipped (" + report + ")");
        PerplexityGate.enforce(checks);
        return checks;
    }

    private static StudyModelLoader studyLoader(Settings settings, Log log) {
        Execution execution = settings.execution();
        return new StudyModelLoader(execution.toDevice(), execution.toDtype(), settings.contextLength(),
                settings.stride(), execution.quantization())
                .planning("lyrics:perplexity", settings.batchSize(), "lyrics.perplexity.batchSize", log);
    }

    /** What lyrics:perplexity wrote, for the report; every file checked to exist when read. */
    public record Outputs(Path dir) {
        /** perplexity.json, whether or not it exists. */
        public Path figuresFile() {
            return dir.resolve(FIGURES);
        }

        /** perplexity.json, typed. */
        public PerplexityResults.Figures figures() throws IOException {
            return PerplexityResults.Figures.read(StageFiles.require(figuresFile(), GOAL, ""));
        }

        /** perplexity.md: the figures as a Markdown table. */
        public Path table() {
            return StageFiles.require(dir.resolve(TABLE), GOAL, "");
        }

        /** The gate's JUnit report, whether or not it exists (the gate writes it on every build). */
        public Path gateReportFile() {
            return dir.resolve(JUnitReport.FILE_NAME);
        }

        /** The gate's checks as the JUnit report holds them. */
        public List<JUnitReport.TestCase> gateReport() throws IOException {
            return JUnitReport.read(StageFiles.require(gateReportFile(), GOAL, "its gate writes it on every build"));
        }
    }
}
