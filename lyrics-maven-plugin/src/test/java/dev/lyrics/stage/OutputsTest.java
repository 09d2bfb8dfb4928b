package dev.lyrics.stage;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.lyrics.core.InputException;
import dev.lyrics.dataset.DatasetInfo;
import dev.lyrics.eval.JUnitReport;
import dev.lyrics.eval.PerplexityResults;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.api.io.TempDir;

/** The typed readers of the stages' outputs: what they read from a finished build, and what a missing file says. */
class OutputsTest {
    private static final Path FIXTURE = ReportTest.FIXTURE;

    @Test
    void readsAFinishedBuildTyped() throws Exception {
        DatasetInfo info = new Preprocess.Outputs(FIXTURE.resolve("preprocess"), "lyrics.outputDirectory").datasetInfo();
        assertEquals(123L, info.train().totals().songs());
        assertEquals(info.train().artists().keySet().stream().sorted().toList(), info.trainingArtists());
        assertEquals(List.of("char", "word"), List.copyOf(info.vocabularies().keySet()));
        assertNull(info.vocabularies().get("char").minCount(), "the char vocabulary has no min_count");

        PerplexityResults.Figures figures = new Perplexity.Outputs(FIXTURE.resolve("perplexity")).figures();
        assertEquals(6.98, figures.models().get("finetuned").metrics().get("corpus_perplexity"), 0.005);
        assertEquals(15_200L, figures.models().get("finetuned").units());
        assertEquals(figures.gateValues().keySet(), figures.models().keySet());
        assertNull(figures.seeds());

        List<JUnitReport.TestCase> gate = new Perplexity.Outputs(FIXTURE.resolve("perplexity")).gateReport();
        assertEquals(List.of(JUnitReport.Verdict.PASSED, JUnitReport.Verdict.PASSED, JUnitReport.Verdict.SKIPPED),
                gate.stream().map(JUnitReport.TestCase::verdict).toList());

        assertEquals(4, new Generate.Outputs(FIXTURE.resolve("generate")).samples().samples().size());
    }

    @Test
    void aMissingFileIsNamedWithTheGoalThatWritesIt(@TempDir Path dir) {
        assertMissing(dir.resolve("preprocess/dataset_info.json"), "lyrics:preprocess",
                () -> new Preprocess.Outputs(dir.resolve("preprocess"), "lyrics.outputDirectory").datasetInfo());
        assertMissing(dir.resolve("perplexity/perplexity.json"), "lyrics:perplexity",
                () -> new Perplexity.Outputs(dir.resolve("perplexity")).figures());
        assertMissing(dir.resolve("perplexity/TEST-lyrics-perplexity.xml"), "lyrics:perplexity",
                () -> new Perplexity.Outputs(dir.resolve("perplexity")).gateReport());
        assertMissing(dir.resolve("perplexity/perplexity.md"), "lyrics:perplexity",
                () -> new Perplexity.Outputs(dir.resolve("perplexity")).table());
        assertMissing(dir.resolve("generate/samples.json"), "lyrics:generate",
                () -> new Generate.Outputs(dir.resolve("generate")).samples());
        assertMissing(dir.resolve("generate/samples.md"), "lyrics:generate",
                () -> new Generate.Outputs(dir.resolve("generate")).table());
        assertMissing(dir.resolve("report/report.html"), "lyrics:report", () -> new Report.Outputs(dir.resolve("report")).page());
    }

    private static void assertMissing(Path file, String goal, Executable read) {
        InputException e = assertThrows(InputException.class, read);
        assertEquals(file + ": not found; run " + goal + " first", e.getMessage().replaceAll(",.*", ""), e.getMessage());
    }
}
