package dev.lyrics.stage;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lyrics.core.Files2;
import dev.lyrics.core.Json;
import dev.lyrics.report.ReportPage;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.List;
import javax.imageio.ImageIO;
import org.jsoup.Jsoup;
import org.jsoup.nodes.Document;
import org.jsoup.nodes.Element;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ReportTest {
    /** The stage outputs of a small finished build, shared with the report-chromium integration test. */
    static final Path FIXTURE = Path.of("src/it/report-chromium/fixture/lyrics");

    @Test
    void everySectionIsMadeFromTheFixtureOutputs(@TempDir Path dir) throws Exception {
        Path lyrics = dir.resolve("lyrics");
        Files2.copyRecursively(FIXTURE, lyrics);
        ReportPage page = Report.page(lyrics);
        Document doc = Jsoup.parse(page.render("0123456789ab"));

        assertTrue(doc.select("section.not-run").isEmpty(), doc.select("section.not-run").text());
        assertEquals(List.of("dataset", "training", "perplexity", "samples", "stages", "hyperparameters"),
                doc.select("section").eachAttr("id"));

        Element dataset = doc.getElementById("dataset");
        assertEquals("train 123 2,091 47,970 252,150", dataset.select("tbody tr").first().text());
        assertEquals(7, dataset.select("table").get(1).select("tbody tr").size(), "one row per artist");

        List<Element> charts = doc.select("#training img.chart");
        assertEquals(2, charts.size());
        for (Element chart : charts) {
            String src = chart.attr("src");
            assertTrue(src.startsWith("data:image/png;base64,"));
            BufferedImage image = ImageIO.read(new ByteArrayInputStream(Base64.getDecoder().decode(src.substring(src.indexOf(',') + 1))));
            assertEquals(Integer.parseInt(chart.attr("width")), image.getWidth());
        }
        assertEquals("finetune 3 45", doc.select("#training tbody tr").first().select("td").subList(0, 3).stream()
                .map(Element::text).reduce((a, b) -> a + " " + b).orElseThrow());

        Element perplexity = doc.getElementById("perplexity");
        assertEquals(List.of("model", "family", "unit", "corpus perplexity", "study perplexity", "response perplexity",
                "word perplexity", "bits per byte", "units scored"), perplexity.select("table").first().select("th").eachText());
        assertEquals("finetuned transformer token 6.98 7.16 7.40 30.90 0.873 15,200",
                perplexity.select("table").first().select("tbody tr").get(1).text());
        assertTrue(perplexity.selectFirst("p.headline").text().contains("base 9.12, fine-tuned 6.98, 23.5% lower"));
        assertEquals("Verdict: PASSED (2 passed, 0 failed, 1 skipped)", perplexity.selectFirst("p.verdict").text());
        assertEquals(List.of("minImprovement finetuned corpus_perplexity", "maxPerplexity finetuned corpus_perplexity"),
                perplexity.select("table").get(1).select("tbody tr td:eq(0)").eachText(), "the checks to read");
        assertEquals("1 baseline checks passed (the figure is within tolerance of, or better than, its baseline)",
                perplexity.selectFirst("details summary").text());
        assertEquals(List.of("baseline finetuned corpus_perplexity"),
                perplexity.select("details table tbody tr td:eq(0)").eachText(), "the baseline checks that held, folded");

        Element samples = doc.getElementById("samples");
        assertEquals(4, samples.select("article.sample").size());
        assertEquals(5, samples.select("table").first().select("tbody tr").size(), "4 samples and the reference row");
        assertTrue(samples.select("p.copied").text().contains("he leadeth me beside the still waters"));
        assertEquals(List.of("finetuned — Asaph", "base — David", "finetuned — David", "rnn-lstm-char — (none: plain-text prompt)"),
                samples.select("article.sample h3").eachText(), "by artist, models side by side, recurrent models last");

        Element stages = doc.getElementById("stages");
        assertEquals(List.of("scrape", "preprocess", "finetune", "rnn-lstm-char", "perplexity", "generate"),
                stages.select("tbody tr td:eq(0)").eachText());
        assertEquals("restored", stages.select("tbody tr").first().child(3).text());
        assertEquals(64, stages.selectFirst("td.key").attr("title").length());

        Element hyperparameters = doc.getElementById("hyperparameters");
        assertTrue(hyperparameters.text().contains("finetune.lora.r 32"), hyperparameters.text());
        assertTrue(hyperparameters.text().contains("engine (environment) PyTorch 2.7.1"));

        assertNotNull(doc.selectFirst("script"), "the image check the browser test reads");
        assertEquals(page.render("0123456789ab"), page.render("0123456789ab"), "the same outputs give the same page");
    }

    @Test
    void stagesThatHaveNotRunShowAsNotRun(@TempDir Path dir) throws Exception {
        Document doc = Jsoup.parse(Report.page(dir.resolve("lyrics")).render("k"));
        assertEquals(6, doc.select("section.not-run").size());
        assertTrue(doc.getElementById("samples").text().contains("Not run: generate/samples.json is absent (lyrics:generate writes it)."));
    }

    @Test
    void inputsAreTheFilesThatExist(@TempDir Path dir) throws Exception {
        Path lyrics = dir.resolve("lyrics");
        Files2.copyRecursively(FIXTURE, lyrics);
        Files.delete(lyrics.resolve("generate/samples.json"));
        assertEquals(List.of("finetune/loss.jsonl", "perplexity/TEST-lyrics-perplexity.xml", "perplexity/perplexity.json",
                        "preprocess/dataset_info.json", "rnn-lstm-char/loss.jsonl"),
                List.copyOf(Report.Settings.of(lyrics).inputs().keySet()));
        Document doc = Jsoup.parse(Report.page(lyrics).render("k"));
        assertEquals(List.of("samples"), doc.select("section.not-run").eachAttr("id"));
    }

    @Test
    void theSeedsOfTheFineTuneShowAsPoints(@TempDir Path dir) throws Exception {
        Path lyrics = dir.resolve("lyrics");
        Files2.copyRecursively(FIXTURE, lyrics);
        Path figures = lyrics.resolve("perplexity/perplexity.json");
        com.fasterxml.jackson.databind.node.ObjectNode json = (com.fasterxml.jackson.databind.node.ObjectNode) Json.MAPPER.readTree(figures.toFile());
        json.set("finetuned_seeds", Json.MAPPER.readTree("{\"seeds\": [3407, 1, 2], \"models\": [\"finetuned\","
                + " \"finetuned-seed-1\", \"finetuned-seed-2\"], \"metrics\": {\"corpus_perplexity\": {\"values\": [54.0, 55.0, 56.0],"
                + " \"mean\": 55.0, \"std\": 1.0}}}"));
        Json.write(figures, json);
        Element perplexity = Jsoup.parse(Report.page(lyrics).render("k")).getElementById("perplexity");
        assertTrue(perplexity.text().contains("Fine-tuned over 3 seeds"), perplexity.text());
        Element row = perplexity.select("tr:has(svg.seeds)").first();
        assertEquals(List.of("corpus perplexity", "54.00, 55.00, 56.00", "55.00", "1.0000"), row.select("td").eachText().subList(0, 4));
        List<String> x = row.select("svg.seeds circle").eachAttr("cx");
        assertEquals(List.of("10.0", "120.0", "230.0"), x, "one point per seed, spread over the axis");
        assertEquals("120.0", row.selectFirst("svg.seeds line[stroke=#d62728]").attr("x1"), "the mean");
    }
}
