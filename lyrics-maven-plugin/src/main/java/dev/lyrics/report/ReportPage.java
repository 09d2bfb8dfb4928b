package dev.lyrics.report;

import com.fasterxml.jackson.databind.JsonNode;
import dev.lyrics.core.InputException;
import dev.lyrics.core.Json;
import dev.lyrics.generate.Sample;
import dev.lyrics.generate.Samples;
import dev.lyrics.generate.SampleTable;
import dev.lyrics.train.LossLog;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.jsoup.Jsoup;
import org.jsoup.nodes.DataNode;
import org.jsoup.nodes.Document;
import org.jsoup.nodes.Element;
import org.jsoup.parser.Parser;

/**
 * The experiment on one self-contained HTML page, made from what the stages published under
 * target/lyrics: dataset statistics, every stage's cache key and parameters, loss curves (PNG,
 * inline), the perplexity table and gate verdict, the samples and their metrics. A stage that has
 * not run shows as a "not run" section. The page carries no clock time: the same outputs give the
 * same bytes.
 */
public final class ReportPage {
    static final String DATASET_INFO = "preprocess/dataset_info.json";
    static final String PERPLEXITY = "perplexity/perplexity.json";
    static final String GATE = "perplexity/TEST-lyrics-perplexity.xml";
    static final String SAMPLES = "generate/samples.json";
    static final String LOSS_LOG = LossLog.FILE;
    static final String RECORDS = "stages";

    /** Perplexity columns, the headline figure first; other metrics follow in name order. */
    private static final List<String> METRIC_ORDER = List.of("corpus_perplexity", "study_perplexity",
            "response_perplexity", "word_perplexity", "bits_per_byte");
    private static final Pattern NUMBER = Pattern.compile("-?[0-9][0-9.,]*%?");

    private final Path lyricsDir;
    private final String reportStage;

    /**
     * @param lyricsDir   where stages publish (target/lyrics), with the runner's records in stages/
     * @param reportStage the report's own stage name, left out of the stage tables
     */
    public ReportPage(Path lyricsDir, String reportStage) {
        this.lyricsDir = lyricsDir;
        this.reportStage = reportStage;
    }

    /** The files the page is made of that exist now, by input name: the report stage's inputs. */
    public SortedMap<String, Path> inputs() throws IOException {
        SortedMap<String, Path> inputs = new TreeMap<>();
        for (String file : List.of(DATASET_INFO, PERPLEXITY, GATE, SAMPLES)) {
            if (Files.isRegularFile(lyricsDir.resolve(file))) {
                inputs.put(file, lyricsDir.resolve(file));
            }
        }
        for (Path log : lossLogs()) {
            inputs.put(lyricsDir.relativize(log).toString().replace('\\', '/'), log);
        }
        return inputs;
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
        datasetSection(section(body, nav, "dataset", "Dataset"));
        trainingSection(section(body, nav, "training", "Training"));
        perplexitySection(section(body, nav, "perplexity", "Perplexity"));
        samplesSection(section(body, nav, "samples", "Samples"));
        stagesSection(section(body, nav, "stages", "Stages and cache"), stages);
        hyperparametersSection(section(body, nav, "hyperparameters", "Hyperparameters"), stages);
        body.appendElement("footer").text("Written by lyrics:report, cache key " + ownKey + ".");
        body.appendElement("script").appendChild(new DataNode(IMAGE_CHECK));
        return doc.outerHtml() + "\n";
    }

    private void datasetSection(Element section) throws IOException {
        JsonNode info = readJson(DATASET_INFO);
        if (info == null) {
            notRun(section, DATASET_INFO, "lyrics:preprocess");
            return;
        }
        Element splits = table(section, "split", "songs", "lines", "words", "chars");
        for (String split : List.of("train", "test")) {
            JsonNode s = info.path(split);
            row(splits, split, integer(s.path("songs")), integer(s.path("lines")), integer(s.path("words")),
                    integer(s.path("chars")));
        }
        section.appendElement("h3").text("Per artist");
        Element artists = table(section, "artist", "train songs", "test songs", "train words", "test words");
        SortedMap<String, JsonNode[]> byArtist = new TreeMap<>();
        for (int side = 0; side < 2; side++) {
            int index = side;
            info.path(side == 0 ? "train" : "test").path("artists").fields().forEachRemaining(artist ->
                    byArtist.computeIfAbsent(artist.getKey(), a -> new JsonNode[2])[index] = artist.getValue());
        }
        byArtist.forEach((artist, sides) -> row(artists, artist, integer(field(sides[0], "songs")),
                integer(field(sides[1], "songs")), integer(field(sides[0], "words")), integer(field(sides[1], "words"))));
        section.appendElement("h3").text("Vocabularies (from the training split)");
        Element vocab = table(section, "level", "size", "min count", "test out-of-vocabulary rate");
        info.path("vocab").fields().forEachRemaining(level -> row(vocab, level.getKey(), integer(level.getValue().path("size")),
                integer(level.getValue().path("min_count")), percent(level.getValue().path("test_oov_rate"))));
        JsonNode split = info.path("split");
        if (split.isObject()) {
            List<String> settings = new ArrayList<>();
            split.fields().forEachRemaining(f -> settings.add(f.getKey() + " " + f.getValue().asText()));
            section.appendElement("p").text("Split: " + String.join(", ", settings) + ".");
        }
        JsonNode overlaps = info.path("overlaps");
        if (overlaps.isArray() && !overlaps.isEmpty()) {
            section.appendElement("h3").text("Overlapping songs, kept on one side of the split");
            Element list = section.appendElement("ul");
            for (JsonNode overlap : overlaps) {
                List<String> songs = new ArrayList<>();
                overlap.path("songs").forEach(song -> songs.add(song.asText()));
                list.appendElement("li").text(String.join(" and ", songs) + " (" + percent(overlap.path("shared"))
                        + " shared, " + overlap.path("side").asText() + ")");
            }
        }
    }

    private void trainingSection(Element section) throws IOException {
        List<Path> logs = lossLogs();
        if (logs.isEmpty()) {
            notRun(section, "*/" + LOSS_LOG, "lyrics:finetune");
            return;
        }
        Element summary = table(section, "model", "epochs", "steps", "last train loss", "last validation loss",
                "best validation loss");
        // two charts a row: every model's curves on one screen
        Element charts = section.appendElement("div").addClass("charts");
        for (Path file : logs) {
            String stage = file.getParent().getFileName().toString();
            LossLog.Curve log = LossLog.read(stage, file);
            Map<String, List<LossLog.Point>> splits = log.bySplit();
            List<LossLog.Point> train = splits.getOrDefault("train", List.of());
            List<LossLog.Point> validation = splits.getOrDefault("validation", List.of());
            row(summary, stage,
                    Integer.toString(log.points().stream().mapToInt(LossLog.Point::epoch).max().orElse(0)),
                    Long.toString(log.points().stream().mapToLong(LossLog.Point::step).max().orElse(0)),
                    train.isEmpty() ? "-" : decimal(train.get(train.size() - 1).loss(), 4),
                    validation.isEmpty() ? "-" : decimal(validation.get(validation.size() - 1).loss(), 4),
                    validation.isEmpty() ? "-" : decimal(validation.stream().mapToDouble(LossLog.Point::loss).min().orElse(0), 4));
            Element figure = charts.appendElement("figure");
            figure.appendElement("img").addClass("chart")
                    .attr("alt", stage + " training and validation loss")
                    .attr("width", Integer.toString(LossChart.WIDTH)).attr("height", Integer.toString(LossChart.HEIGHT))
                    .attr("src", "data:image/png;base64," + Base64.getEncoder().encodeToString(LossChart.png(log)));
            figure.appendElement("figcaption").text(stage + ": " + train.size() + " train and " + validation.size()
                    + " validation points, from " + stage + "/" + LOSS_LOG);
        }
    }

    private void perplexitySection(Element section) throws IOException {
        JsonNode results = readJson(PERPLEXITY);
        if (results == null) {
            notRun(section, PERPLEXITY, "lyrics:perplexity");
            return;
        }
        List<String> metrics = metricColumns(results);
        List<String> headers = new ArrayList<>(List.of("model", "family", "unit"));
        metrics.forEach(metric -> headers.add(metric.replace('_', ' ')));
        headers.add("units scored");
        Element table = table(section, headers.toArray(String[]::new));
        results.path("models").fields().forEachRemaining(model -> {
            JsonNode m = model.getValue();
            List<String> cells = new ArrayList<>(List.of(model.getKey(), m.path("family").asText("-"), m.path("unit").asText("-")));
            for (String metric : metrics) {
                JsonNode value = m.path("metrics").path(metric).path("value");
                cells.add(value.isNumber() ? decimal(value.asDouble(), metric.equals("bits_per_byte") ? 3 : 2) : "-");
            }
            cells.add(integer(m.path("counts").path("units")));
            row(table, cells.toArray(String[]::new));
        });
        JsonNode base = results.path("models").path("base").path("metrics").path("corpus_perplexity").path("value");
        JsonNode tuned = results.path("models").path("finetuned").path("metrics").path("corpus_perplexity").path("value");
        if (base.isNumber() && tuned.isNumber()) {
            section.appendElement("p").addClass("headline").text(String.format(Locale.ROOT,
                    "Corpus perplexity: base %.2f, fine-tuned %.2f, %.1f%% lower. (The study, Mistral-7B-Instruct-v0.3 with LoRA: 9.35 and 7.20, 22.9%% lower.)",
                    base.asDouble(), tuned.asDouble(), 100 * (base.asDouble() - tuned.asDouble()) / base.asDouble()));
        }
        seedPoints(section, results.path("finetuned_seeds"), metrics);
        JsonNode definitions = results.path("definitions");
        if (definitions.isObject()) {
            Element list = section.appendElement("dl");
            for (String metric : metrics) {
                if (definitions.has(metric)) {
                    list.appendElement("dt").text(metric.replace('_', ' '));
                    list.appendElement("dd").text(definitions.get(metric).path("formula").asText());
                }
            }
        }
        gate(section);
    }

    private void gate(Element section) throws IOException {
        section.appendElement("h3").text("Regression gate");
        Path file = lyricsDir.resolve(GATE);
        if (!Files.isRegularFile(file)) {
            notRun(section, GATE, "the gate of lyrics:perplexity");
            return;
        }
        Document xml = Jsoup.parse(Files.readString(file), "", Parser.xmlParser());
        Element suite = xml.selectFirst("testsuite");
        if (suite == null) {
            throw InputException.at(file, "no <testsuite> element");
        }
        List<String> counts = new ArrayList<>();
        int failures = 0;
        Element checks = table(section, "check", "outcome", "message");
        // the many baseline figures that held are there to look up, not to read past
        Element held = section.appendElement("details");
        Element heldSummary = held.appendElement("summary");
        Element heldChecks = table(held, "check", "outcome", "message");
        int heldCount = 0;
        for (Element testcase : suite.select("testcase")) {
            Element failure = testcase.selectFirst("failure");
            Element skipped = testcase.selectFirst("skipped");
            String outcome = failure != null ? "failed" : skipped != null ? "skipped" : "passed";
            failures += failure != null ? 1 : 0;
            String message = failure != null ? failure.attr("message")
                    : skipped != null ? skipped.attr("message") : testcase.select("system-out").text();
            boolean baselineHeld = outcome.equals("passed") && testcase.attr("name").startsWith("baseline ");
            heldCount += baselineHeld ? 1 : 0;
            row(baselineHeld ? heldChecks : checks, testcase.attr("name"), outcome, message).addClass(outcome);
            counts.add(outcome);
        }
        if (heldCount == 0) {
            held.remove();
        } else {
            heldSummary.text(heldCount + " baseline checks passed (the figure is within tolerance of, or better than, its baseline)");
        }
        long passed = counts.stream().filter("passed"::equals).count();
        long skippedCount = counts.stream().filter("skipped"::equals).count();
        Element verdict = new Element("p").addClass("verdict").addClass(failures == 0 ? "passed" : "failed")
                .text("Verdict: " + (failures == 0 ? "PASSED" : "FAILED") + " (" + passed + " passed, " + failures
                        + " failed, " + skippedCount + " skipped)");
        checks.before(verdict);
    }

    private void samplesSection(Element section) throws IOException {
        Path file = lyricsDir.resolve(SAMPLES);
        if (!Files.isRegularFile(file)) {
            notRun(section, SAMPLES, "lyrics:generate");
            return;
        }
        Samples samples = Samples.read(file);
        section.appendElement("p").text("Sampling: " + SampleTable.settings(samples) + ".");
        Element table = table(section, SampleTable.HEADERS.toArray(String[]::new));
        for (Sample sample : samples.samples()) {
            row(table, SampleTable.row(sample).toArray(String[]::new));
        }
        row(table, SampleTable.referenceRow(samples.reference()).toArray(String[]::new)).addClass("reference");
        section.appendElement("p").addClass("note").text(SampleTable.DEFINITIONS);
        // one row per artist, its models' samples side by side; the recurrent models' (no artist) last
        SortedMap<String, List<Sample>> byArtist = new TreeMap<>(Comparator.nullsLast(Comparator.<String>naturalOrder()));
        for (Sample sample : samples.samples()) {
            byArtist.computeIfAbsent(sample.artist(), artist -> new ArrayList<>()).add(sample);
        }
        for (List<Sample> group : byArtist.values()) {
            Element texts = section.appendElement("div").addClass("samples");
            group.stream().sorted(Comparator.comparing(Sample::model)).forEach(sample -> sampleArticle(texts, sample));
        }
    }

    private static void sampleArticle(Element parent, Sample sample) {
        Element article = parent.appendElement("article").addClass("sample");
        article.appendElement("h3").text(SampleTable.heading(sample));
        article.appendElement("p").addClass("meta").text(SampleTable.details(sample));
        Element prompt = article.appendElement("details");
        prompt.appendElement("summary").text("prompt");
        prompt.appendElement("pre").addClass("prompt").text(sample.prompt());
        article.appendElement("pre").addClass("lyrics").text(sample.text());
        String copied = SampleTable.copiedSpan(sample);
        if (copied != null) {
            article.appendElement("p").addClass("copied").text(copied);
        }
    }

    private void stagesSection(Element section, List<StageRecord> stages) {
        if (stages.isEmpty()) {
            notRun(section, RECORDS + "/*.json", "any lyrics goal");
            return;
        }
        section.appendElement("p").addClass("note").text("Each stage's outputs are cached under its key (SHA-256 of its "
                + "inputs, parameters, the plugin's code and, for model stages, engine, device and dtype). \"Restored\": "
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
            notRun(section, RECORDS + "/*.json", "any lyrics goal");
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

    /** Every stage directory's loss.jsonl, by stage name. */
    private List<Path> lossLogs() throws IOException {
        if (!Files.isDirectory(lyricsDir)) {
            return List.of();
        }
        try (Stream<Path> dirs = Files.list(lyricsDir)) {
            return dirs.map(dir -> dir.resolve(LOSS_LOG)).filter(Files::isRegularFile).sorted().toList();
        }
    }

    private static List<String> metricColumns(JsonNode results) {
        SortedMap<String, Boolean> found = new TreeMap<>();
        results.path("models").forEach(model -> model.path("metrics").fieldNames().forEachRemaining(m -> found.put(m, true)));
        List<String> columns = new ArrayList<>();
        METRIC_ORDER.stream().filter(found::containsKey).forEach(columns::add);
        found.keySet().stream().filter(m -> !METRIC_ORDER.contains(m)).forEach(columns::add);
        return columns;
    }

    private JsonNode readJson(String relative) throws IOException {
        Path file = lyricsDir.resolve(relative);
        if (!Files.isRegularFile(file)) {
            return null;
        }
        try {
            return Json.MAPPER.readTree(file.toFile());
        } catch (com.fasterxml.jackson.core.JacksonException e) {
            throw InputException.at(file, "not JSON: " + e.getOriginalMessage());
        }
    }

    private static Element section(Element body, Element nav, String id, String title) {
        nav.appendElement("a").attr("href", "#" + id).text(title);
        Element section = body.appendElement("section").id(id);
        section.appendElement("h2").text(title);
        return section;
    }

    private static void notRun(Element section, String missing, String goal) {
        section.addClass("not-run");
        section.appendElement("p").addClass("not-run").text("Not run: " + missing + " is absent (" + goal + " writes it).");
    }

    /**
     * The fine-tune trained once per seed (lyrics.finetune.seeds): each metric's per-seed figures, their
     * mean and standard deviation, and the seeds as points on a line with the mean marked.
     */
    private static void seedPoints(Element section, JsonNode seeds, List<String> metrics) {
        if (!seeds.isObject()) {
            return;
        }
        List<String> names = new ArrayList<>();
        seeds.path("seeds").forEach(seed -> names.add(seed.asText()));
        section.appendElement("h3").text("Fine-tuned over " + names.size() + " seeds");
        section.appendElement("p").text("One LoRA fine-tune per seed (" + String.join(", ", names) + "); the gate checks"
                + " their mean as \"finetuned\".");
        Element table = table(section, "metric", "per seed", "mean", "std", "points (seeds, | the mean)");
        for (String metric : metrics) {
            JsonNode figure = seeds.path("metrics").path(metric);
            if (!figure.isObject()) {
                continue;
            }
            List<Double> values = new ArrayList<>();
            figure.path("values").forEach(v -> values.add(v.isNumber() ? v.asDouble() : Double.NaN));
            int places = metric.equals("bits_per_byte") ? 3 : 2;
            Element tr = row(table, metric.replace('_', ' '),
                    String.join(", ", values.stream().map(v -> decimal(v, places)).toList()),
                    figure.path("mean").isNumber() ? decimal(figure.path("mean").asDouble(), places) : "-",
                    figure.path("std").isNumber() ? decimal(figure.path("std").asDouble(), 4) : "-", "");
            tr.children().last().append(pointsSvg(values, figure.path("mean").asDouble()));
        }
    }

    /** A 240 x 24 strip: one dot per seed, a bar at the mean, the axis spanning the seeds' range. */
    static String pointsSvg(List<Double> values, double mean) {
        double lo = values.stream().filter(Double::isFinite).mapToDouble(Double::doubleValue).min().orElse(mean);
        double hi = values.stream().filter(Double::isFinite).mapToDouble(Double::doubleValue).max().orElse(mean);
        double span = hi > lo ? hi - lo : 1;
        StringBuilder svg = new StringBuilder("<svg class=\"seeds\" width=\"240\" height=\"24\" viewBox=\"0 0 240 24\">"
                + "<line x1=\"10\" y1=\"12\" x2=\"230\" y2=\"12\" stroke=\"#999\"/>");
        for (double v : values) {
            if (Double.isFinite(v)) {
                svg.append(String.format(Locale.ROOT, "<circle cx=\"%.1f\" cy=\"12\" r=\"4\" fill=\"#1f77b4\"><title>%s</title></circle>",
                        10 + 220 * (v - lo) / span, decimal(v, 4)));
            }
        }
        if (Double.isFinite(mean)) {
            svg.append(String.format(Locale.ROOT, "<line x1=\"%1$.1f\" y1=\"3\" x2=\"%1$.1f\" y2=\"21\" stroke=\"#d62728\"/>",
                    10 + 220 * (mean - lo) / span));
        }
        return svg.append("</svg>").toString();
    }

    private static Element table(Element parent, String... headers) {
        Element table = parent.appendElement("table");
        Element head = table.appendElement("thead").appendElement("tr");
        for (String header : headers) {
            head.appendElement("th").text(header);
        }
        table.appendElement("tbody");
        return table;
    }

    private static Element row(Element table, String... cells) {
        Element tr = table.selectFirst("tbody").appendElement("tr");
        for (String cell : cells) {
            Element td = tr.appendElement("td").text(cell);
            if (NUMBER.matcher(cell).matches()) {
                td.addClass("num");
            }
        }
        return tr;
    }

    private static JsonNode field(JsonNode object, String name) {
        return object == null ? null : object.path(name);
    }

    private static String integer(JsonNode value) {
        return value != null && value.isNumber() ? String.format(Locale.ROOT, "%,d", value.asLong()) : "-";
    }

    private static String percent(JsonNode value) {
        return value.isNumber() ? String.format(Locale.ROOT, "%.2f%%", 100 * value.asDouble()) : "-";
    }

    private static String decimal(double value, int places) {
        return String.format(Locale.ROOT, "%." + places + "f", value);
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
