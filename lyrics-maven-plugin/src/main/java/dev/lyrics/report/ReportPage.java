package dev.lyrics.report;

import static dev.lyrics.report.Html.decimal;
import static dev.lyrics.report.Html.row;
import static dev.lyrics.report.Html.table;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import org.jsoup.nodes.DataNode;
import org.jsoup.nodes.Document;
import org.jsoup.nodes.Element;

/**
 * The experiment on one self-contained HTML page: the sections it is given (each made from a stage's
 * outputs as that stage's reader typed them: dataset statistics, loss curves as inline PNG, the
 * perplexity table and gate verdict, the samples), then every stage's cache key and parameters from
 * the runner's records. A stage that has not run shows as a "not run" section. The page carries no
 * clock time: the same outputs give the same bytes.
 */
public final class ReportPage {
    static final String RECORDS = "stages";

    private final Path lyricsDir;
    private final List<ReportSection> sections;
    private final String reportStage;

    /**
     * @param lyricsDir   where stages publish (target/lyrics), with the runner's records in stages/
     * @param sections    the stages' sections, in page order
     * @param reportStage the report's own stage name, left out of the stage tables
     */
    public ReportPage(Path lyricsDir, List<ReportSection> sections, String reportStage) {
        this.lyricsDir = lyricsDir;
        this.sections = List.copyOf(sections);
        this.reportStage = reportStage;
    }

    /** The recorded stages, in build order, the report itself left out. */
    public List<StageRecord> stages() throws IOException {
        return StageRecord.readAll(lyricsDir.resolve(RECORDS), reportStage);
    }

    /** @param ownKey the report stage's cache key, printed in the footer */
    public String render(String ownKey) throws IOException {
        Document doc = Document.createShell("");
        doc.outputSettings().charset(StandardCharsets.UTF_8).indentAmount(1);
        doc.head().appendElement("meta").attr("charset", "utf-8");
        doc.head().appendElement("meta").attr("name", "viewport").attr("content", "width=device-width, initial-scale=1");
        doc.title("Lyrics experiment report");
        doc.head().appendElement("style").appendChild(new DataNode(CSS));
        Element body = doc.body();
        body.appendElement("h1").text("Lyrics experiment report");
        body.appendElement("p").addClass("lead").text("What mvn verify produced under " + lyricsDir.getFileName()
                + "/: the data, the models' training, their perplexity and their lyrics. A section marked "
                + "\"not run\" lacks the stage outputs it is made from.");
        Element nav = body.appendElement("nav");
        List<StageRecord> stages = stages();
        for (ReportSection section : sections) {
            section.content().fill(section(body, nav, section.id(), section.title()));
        }
        stagesSection(section(body, nav, "stages", "Stages and cache"), stages);
        hyperparametersSection(section(body, nav, "hyperparameters", "Hyperparameters"), stages);
        body.appendElement("footer").text("Written by lyrics:report, cache key " + ownKey + ".");
        body.appendElement("script").appendChild(new DataNode(IMAGE_CHECK));
        return doc.outerHtml() + "\n";
    }

    private void stagesSection(Element section, List<StageRecord> stages) {
        if (stages.isEmpty()) {
            Html.notRun(section, RECORDS + "/*.json", "any lyrics goal");
            return;
        }
        section.appendElement("p").addClass("note").text("Each stage's outputs are cached under its key (SHA-256 of its "
                + "inputs, its settings (for model stages also engine, device, dtype and threads) and the code the stage reaches)."
                + " \"Restored\": "
                + "the build that wrote this page took the outputs from the cache; \"computed\": it ran the stage.");
        Element table = table(section, "stage", "goal", "cache key", "outputs", "seconds");
        for (StageRecord stage : stages) {
            Element row = row(table, stage.name(), stage.goal(), stage.shortKey(), stage.hit() ? "restored" : "computed",
                    decimal(stage.seconds(), 1));
            row.child(2).addClass("key").attr("title", stage.key());
        }
    }

    private void hyperparametersSection(Element section, List<StageRecord> stages) {
        List<StageRecord> withParams = stages.stream()
                .filter(s -> !s.params().isEmpty() || !s.environment().isEmpty()).toList();
        if (withParams.isEmpty()) {
            Html.notRun(section, RECORDS + "/*.json", "any lyrics goal");
            return;
        }
        for (StageRecord stage : withParams) {
            section.appendElement("h3").text(stage.name());
            Element table = table(section, "parameter", "value");
            stage.params().forEach((name, value) -> row(table, name, value).child(1).removeClass("num").addClass("value"));
            stage.environment().forEach((name, value) ->
                    row(table, name + " (environment)", value).child(1).removeClass("num").addClass("value"));
        }
    }

    private static Element section(Element body, Element nav, String id, String title) {
        nav.appendElement("a").attr("href", "#" + id).text(title);
        Element section = body.appendElement("section").id(id);
        section.appendElement("h2").text(title);
        return section;
    }

    private static final String CSS = """
            body { font-family: "DejaVu Sans", "Liberation Sans", Arial, sans-serif; color: #222; max-width: 1180px;
                   margin: 0 auto; padding: 1.5em 2em 3em; line-height: 1.45; }
            h1 { margin-bottom: 0.2em; }
            h2 { border-bottom: 2px solid #1f77b4; padding-bottom: 0.2em; margin-top: 2em; }
            h3 { margin: 1.4em 0 0.5em; }
            nav a { margin-right: 1.2em; }
            .lead, .note, .meta, figcaption, footer { color: #555; }
            table { border-collapse: collapse; margin: 0.6em 0 1em; font-size: 0.92em; }
            th, td { border: 1px solid #ccc; padding: 0.25em 0.6em; text-align: left; vertical-align: top; }
            th { background: #eef3f8; }
            td.num { text-align: right; font-variant-numeric: tabular-nums; }
            td.key, td.value { font-family: "DejaVu Sans Mono", monospace; font-size: 0.9em; white-space: pre-wrap;
                               max-width: 46em; overflow-wrap: anywhere; }
            tr.reference td { font-style: italic; background: #f7f7f7; }
            tr.failed td { background: #fde8e8; }
            tr.skipped td { color: #777; }
            .verdict { font-weight: bold; font-size: 1.1em; }
            .verdict.passed { color: #1a7f37; }
            .verdict.failed { color: #c62828; }
            .headline { font-weight: bold; }
            section.not-run h2 { color: #888; border-color: #bbb; }
            p.not-run { color: #888; font-style: italic; }
            div.charts, div.samples { display: grid; grid-template-columns: 1fr 1fr; gap: 0 1.5em; }
            figure { margin: 0.5em 0 1.5em; }
            img.chart { max-width: 100%; height: auto; border: 1px solid #ddd; }
            article.sample { border-left: 3px solid #1f77b4; padding-left: 1em; margin-bottom: 1.5em; }
            pre { background: #fafafa; border: 1px solid #e4e4e4; padding: 0.6em 0.8em; white-space: pre-wrap; }
            pre.lyrics { font-family: "DejaVu Serif", Georgia, serif; font-size: 0.95em; }
            .copied { font-size: 0.9em; color: #8a4b00; }
            dl dt { font-weight: bold; } dl dd { margin: 0 0 0.5em 1.5em; color: #444; }
            """;

    /** Marks the body once every image has decoded, so a headless browser test can assert it from the DOM. */
    private static final String IMAGE_CHECK = """
            window.addEventListener('load', function () {
              var images = Array.prototype.slice.call(document.images);
              var decoded = images.every(function (img) { return img.complete && img.naturalWidth > 0; });
              document.body.setAttribute('data-images', String(images.length));
              document.body.setAttribute('data-images-decoded', String(decoded));
            });
            """;
}
