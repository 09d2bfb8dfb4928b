package dev.lyrics.stage;

import dev.lyrics.cache.Stage;
import dev.lyrics.cache.StageContext;
import dev.lyrics.cache.Unkeyed;
import dev.lyrics.core.Files2;
import dev.lyrics.eval.JUnitReport;
import dev.lyrics.report.DatasetSection;
import dev.lyrics.report.LossLog;
import dev.lyrics.report.PerplexitySection;
import dev.lyrics.report.ReportPage;
import dev.lyrics.report.ReportSection;
import dev.lyrics.report.SamplesSection;
import dev.lyrics.report.StageRecord;
import dev.lyrics.report.TrainingSection;
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
 * report's inputs, hashed by content) and how it becomes a section of the page; a new stage adds its
 * part to {@link #PARTS}. Whether each stage was computed or restored is shown as the build that wrote
 * the page saw it (a key holding that would make every second build rerun the report).
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
                for (Path file : part.files(lyricsDir)) {
                    if (Files.isRegularFile(file)) {
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

    /** One section of the page: the stage outputs it is made of, and the section they make. */
    interface Part {
        /** The files the section reads, whether or not they exist. */
        List<Path> files(Path lyricsDir) throws IOException;

        /** The section, or a "not run" one when the files it needs are absent. */
        ReportSection section(Path lyricsDir) throws IOException;
    }

    /** The page's sections in order. */
    static final List<Part> PARTS = List.of(new DatasetPart(), new TrainingPart(), new PerplexityPart(), new SamplesPart());

    private static final class DatasetPart implements Part {
        @Override
        public List<Path> files(Path lyricsDir) {
            return List.of(outputs(lyricsDir).datasetInfoFile());
        }

        @Override
        public ReportSection section(Path lyricsDir) throws IOException {
            Preprocess.Outputs outputs = outputs(lyricsDir);
            return Files.isRegularFile(outputs.datasetInfoFile()) ? new DatasetSection(outputs.datasetInfo())
                    : notRun(DatasetSection.ID, DatasetSection.TITLE, lyricsDir, outputs.datasetInfoFile(), Preprocess.GOAL);
        }

        private static Preprocess.Outputs outputs(Path lyricsDir) {
            return new Preprocess.Outputs(lyricsDir.resolve(Preprocess.GOAL), OUTPUT_DIRECTORY);
        }
    }

    /** Every stage directory's loss log: the fine-tunes, the recurrent models. */
    private static final class TrainingPart implements Part {
        @Override
        public List<Path> files(Path lyricsDir) throws IOException {
            if (!Files.isDirectory(lyricsDir)) {
                return List.of();
            }
            try (Stream<Path> dirs = Files.list(lyricsDir)) {
                return dirs.map(dir -> dir.resolve(dev.lyrics.train.LossLog.FILE)).filter(Files::isRegularFile).sorted().toList();
            }
        }

        @Override
        public ReportSection section(Path lyricsDir) throws IOException {
            List<TrainingSection.Curve> curves = new ArrayList<>();
            for (Path file : files(lyricsDir)) {
                curves.add(new TrainingSection.Curve(LossLog.read(file.getParent().getFileName().toString(), file),
                        relative(lyricsDir, file)));
            }
            return curves.isEmpty() ? ReportSection.notRun(TrainingSection.ID, TrainingSection.TITLE,
                    "*/" + dev.lyrics.train.LossLog.FILE, "lyrics:finetune") : new TrainingSection(curves);
        }
    }

    private static final class PerplexityPart implements Part {
        @Override
        public List<Path> files(Path lyricsDir) {
            Perplexity.Outputs outputs = outputs(lyricsDir);
            return List.of(outputs.figuresFile(), outputs.gateReportFile());
        }

        @Override
        public ReportSection section(Path lyricsDir) throws IOException {
            Perplexity.Outputs outputs = outputs(lyricsDir);
            if (!Files.isRegularFile(outputs.figuresFile())) {
                return notRun(PerplexitySection.ID, PerplexitySection.TITLE, lyricsDir, outputs.figuresFile(), Perplexity.GOAL);
            }
            List<JUnitReport.TestCase> gate = Files.isRegularFile(outputs.gateReportFile()) ? outputs.gateReport() : null;
            return new PerplexitySection(outputs.figures(), gate, relative(lyricsDir, outputs.gateReportFile()));
        }

        private static Perplexity.Outputs outputs(Path lyricsDir) {
            return new Perplexity.Outputs(lyricsDir.resolve(Perplexity.GOAL));
        }
    }

    private static final class SamplesPart implements Part {
        @Override
        public List<Path> files(Path lyricsDir) {
            return List.of(outputs(lyricsDir).samplesFile());
        }

        @Override
        public ReportSection section(Path lyricsDir) throws IOException {
            Generate.Outputs outputs = outputs(lyricsDir);
            return Files.isRegularFile(outputs.samplesFile()) ? new SamplesSection(outputs.samples())
                    : notRun(SamplesSection.ID, SamplesSection.TITLE, lyricsDir, outputs.samplesFile(), Generate.GOAL);
        }

        private static Generate.Outputs outputs(Path lyricsDir) {
            return new Generate.Outputs(lyricsDir.resolve(Generate.GOAL));
        }
    }

    private static ReportSection notRun(String id, String title, Path lyricsDir, Path missing, String goal) {
        return ReportSection.notRun(id, title, relative(lyricsDir, missing), "lyrics:" + goal);
    }

    private static String relative(Path lyricsDir, Path file) {
        return lyricsDir.relativize(file).toString().replace('\\', '/');
    }
}
