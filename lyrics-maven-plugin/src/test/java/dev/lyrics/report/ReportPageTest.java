package dev.lyrics.report;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Path;
import java.util.List;
import org.jsoup.Jsoup;
import org.jsoup.nodes.Document;
import org.jsoup.nodes.Element;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ReportPageTest {
    /** A stage of its own: the page lists it, with its anchor, before the runner's tables. */
    @Test
    void aNewStageAddsItsSectionWithoutTouchingThePage(@TempDir Path dir) throws Exception {
        ReportSection tokens = new ReportSection("tokens", "Tokens",
                section -> Html.row(Html.table(section, "model", "tokens"), "base", "1,024"));
        Document doc = Jsoup.parse(new ReportPage(dir.resolve("lyrics"), List.of(tokens,
                new ReportSection("samples", "Samples", ReportSection.notRun("generate/samples.json", "lyrics:generate"))), "report").render("k"));
        assertEquals(List.of("tokens", "samples", "stages", "hyperparameters"), doc.select("section").eachAttr("id"));
        assertEquals(List.of("#tokens", "#samples", "#stages", "#hyperparameters"), doc.select("nav a").eachAttr("href"));
        assertEquals("base 1,024", doc.select("#tokens tbody tr").text());
        assertEquals("num", doc.selectFirst("#tokens tbody td:eq(1)").className());
        assertEquals("Not run: generate/samples.json is absent (lyrics:generate writes it).",
                doc.selectFirst("#samples p.not-run").text());
    }
}
