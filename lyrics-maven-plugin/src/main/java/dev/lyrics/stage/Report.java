package dev.lyrics.stage;

import dev.lyrics.cache.Stage;
import dev.lyrics.cache.StageContext;
import dev.lyrics.cache.Unkeyed;
import dev.lyrics.core.Files2;
import dev.lyrics.eval.JUnitReport;
import dev.lyrics.report.DatasetSection;
import dev.lyrics.report.PerplexitySection;
import dev.lyrics.report.ReportPage;
import dev.lyrics.report.ReportSection;
import dev.lyrics.report.SamplesSection;
import dev.lyrics.report.StageRecord;
import dev.lyrics.report.TrainingSection;
import dev.lyrics.train.LossLog;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * lyrics:report: report.html, the whole experiment on one self-contained page, made from every other
 * stage's outputs as their readers type them. Each section is a {@link Part}: the files it reads (the
 * report's inputs, hashed by content) and the content they make; a new stage adds its part to
 * {@link #PARTS} and its content to dev.lyrics.report. Whether each stage was computed or restored is
 * shown as the build that wrote the page saw it (a key holding that would make every second build
 * rerun the report).
 */
public final class Report implements Stage<Report.Settings> {
    public static final String GOAL = "report";
    static final String PAGE = "report.html";
    private static final String OUTPUT_DIRECTORY = "lyrics.outputDirectory";

    /**
     * @param inputs    the stage outputs the page is made of that exist, by their path under lyricsDir
     * @param stageKeys every other recorded stage's cache key, by stage name
     * @param lyricsDir where the stages publish (target/lyrics)
     */
    public record Settings(SortedMap<String, Path> inputs, SortedMap<String, String> stageKeys,
            @Unkeyed("where the outputs are found; the files read from there are keyed by content as inputs") Path lyricsDir) {
        public Settings {
            inputs = new TreeMap<>(inputs);
            stageKeys = new TreeMap<>(stageKeys);
        }

        /** The report of what the stages published under lyricsDir now. */
        public static Settings of(Path lyricsDir) throws IOException {
            SortedMap<String, Path> inputs = new TreeMap<>();
            for (Part part : PARTS) {
                for (Path file : part.files().of(lyricsDir)) {
                    if (exists(file)) {
                        inputs.put(relative(lyricsDir, file), file);
                    }
                }
            }
            SortedMap<String, String> keys = new TreeMap<>();
            for (StageRecord stage : page(lyricsDir, List.of()).stages()) {
                keys.put(stage.name(), stage.key());
            }
            return new Settings(inputs, keys, lyricsDir);
        }
    }

    @Override
    public String goal() {
        return GOAL;
    }

    @Override
    public void run(Settings settings, StageContext context) throws Exception {
        Files2.writeAtomically(context.outputDir().resolve(PAGE), page(settings.lyricsDir()).render(context.key()));
    }

    /** The page of the outputs under lyricsDir: every part's section, then the runner's records. */
    public static ReportPage page(Path lyricsDir) throws IOException {
        List<ReportSection> sections = new ArrayList<>();
        for (Part part : PARTS) {
            sections.add(part.section(lyricsDir));
        }
        return page(lyricsDir, sections);
    }

    private static ReportPage page(Path lyricsDir, List<ReportSection> sections) {
        return new ReportPage(lyricsDir, sections, GOAL);
    }

    /** What lyrics:report wrote. */
    public record Outputs(Path dir) {
        public Path page() {
            return StageFiles.require(dir.resolve(PAGE), GOAL, "");
        }
    }

    /**
     * One section of the page: its anchor and title, the stage outputs it is made of (whether or not
     * they exist) and the content they make, "not run" when those it needs are absent.
     */
    record Part(String id, String title, Inputs files, Maker content) {
        @FunctionalInterface
        interface Inputs {
            List<Path> of(Path lyricsDir) throws IOException;
        }

        @FunctionalInterface
        interface Maker {
            ReportSection.Content of(Path lyricsDir) throws IOException;
        }

        ReportSection section(Path lyricsDir) throws IOException {
            return new ReportSection(id, title, content.of(lyricsDir));
        }
    }

    /** The page's sections in order. */
    static final List<Part> PARTS = List.of(
            new Part("dataset", "Dataset", dir -> List.of(preprocessOutputs(dir).datasetInfoFile()), Report::dataset),
            new Part("training", "Training", Report::lossLogs, Report::training),
            new Part("perplexity", "Perplexity",
                    dir -> List.of(perplexityOutputs(dir).figuresFile(), perplexityOutputs(dir).gateReportFile()), Report::perplexity),
            new Part("samples", "Samples", dir -> List.of(generateOutputs(dir).samplesFile()), Report::samples));

    private static ReportSection.Content dataset(Path lyricsDir) throws IOException {
        Preprocess.Outputs outputs = preprocessOutputs(lyricsDir);
        return exists(outputs.datasetInfoFile()) ? new DatasetSection(outputs.datasetInfo())
                : notRun(lyricsDir, outputs.datasetInfoFile(), Preprocess.GOAL);
    }

    /** Every stage directory's loss log: the fine-tunes', the recurrent models'. */
    private static List<Path> lossLogs(Path lyricsDir) throws IOException {
        if (!Files.isDirectory(lyricsDir)) {
            return List.of();
        }
        try (Stream<Path> dirs = Files.list(lyricsDir)) {
            return dirs.map(dir -> dir.resolve(LossLog.FILE)).filter(Report::exists).sorted().toList();
        }
    }

    private static ReportSection.Content training(Path lyricsDir) throws IOException {
        List<TrainingSection.Curve> curves = new ArrayList<>();
        for (Path file : lossLogs(lyricsDir)) {
            curves.add(new TrainingSection.Curve(LossLog.read(file.getParent().getFileName().toString(), file),
                    relative(lyricsDir, file)));
        }
        return curves.isEmpty() ? ReportSection.notRun("*/" + LossLog.FILE, "lyrics:finetune")
                : new TrainingSection(curves);
    }

    private static ReportSection.Content perplexity(Path lyricsDir) throws IOException {
        Perplexity.Outputs outputs = perplexityOutputs(lyricsDir);
        if (!exists(outputs.figuresFile())) {
            return notRun(lyricsDir, outputs.figuresFile(), Perplexity.GOAL);
        }
        List<JUnitReport.TestCase> gate = exists(outputs.gateReportFile()) ? outputs.gateReport() : null;
        return new PerplexitySection(outputs.figures(), gate, relative(lyricsDir, outputs.gateReportFile()));
    }

    private static ReportSection.Content samples(Path lyricsDir) throws IOException {
        Generate.Outputs outputs = generateOutputs(lyricsDir);
        return exists(outputs.samplesFile()) ? new SamplesSection(outputs.samples())
                : notRun(lyricsDir, outputs.samplesFile(), Generate.GOAL);
    }

    private static Preprocess.Outputs preprocessOutputs(Path lyricsDir) {
        return new Preprocess.Outputs(lyricsDir.resolve(Preprocess.GOAL), OUTPUT_DIRECTORY);
    }

    private static Perplexity.Outputs perplexityOutputs(Path lyricsDir) {
        return new Perplexity.Outputs(lyricsDir.resolve(Perplexity.GOAL));
    }

    private static Generate.Outputs generateOutputs(Path lyricsDir) {
        return new Generate.Outputs(lyricsDir.resolve(Generate.GOAL));
    }

    private static boolean exists(Path file) {
        return Files.isRegularFile(file);
    }

    private static ReportSection.Content notRun(Path lyricsDir, Path missing, String goal) {
        return ReportSection.notRun(relative(lyricsDir, missing), "lyrics:" + goal);
    }

    private static String relative(Path lyricsDir, Path file) {
        return lyricsDir.relativize(file).toString().replace('\\', '/');
    }
}
