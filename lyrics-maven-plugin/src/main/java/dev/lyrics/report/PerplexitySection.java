package dev.lyrics.report;

import static dev.lyrics.report.Html.decimal;
import static dev.lyrics.report.Html.integer;
import static dev.lyrics.report.Html.row;
import static dev.lyrics.report.Html.table;

import dev.lyrics.eval.JUnitReport;
import dev.lyrics.eval.PerplexityResults;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.SortedMap;
import java.util.TreeMap;
import org.jsoup.nodes.Element;

/**
 * Every model's perplexity figures, the study's headline comparison, the seeds' spread and the
 * regression gate's verdict.
 *
 * @param figures     perplexity.json
 * @param gate        the gate's checks, or null when its report is absent
 * @param gateMissing the gate report's name relative to the outputs directory, for when it is absent
 */
public record PerplexitySection(PerplexityResults.Figures figures, List<JUnitReport.TestCase> gate, String gateMissing)
        implements ReportSection.Content {
    /** Perplexity columns, the headline figure first; other metrics follow in name order. */
    private static final List<String> METRIC_ORDER = List.of("corpus_perplexity", "study_perplexity",
            "response_perplexity", "word_perplexity", "bits_per_byte");

    @Override
    public void fill(Element section) {
        List<String> metrics = metricColumns();
        List<String> headers = new ArrayList<>(List.of("model", "family", "unit"));
        metrics.forEach(metric -> headers.add(metric.replace('_', ' ')));
        headers.add("units scored");
        Element table = table(section, headers.toArray(String[]::new));
        figures.models().forEach((name, m) -> {
            List<String> cells = new ArrayList<>(List.of(name, m.family() == null ? "-" : m.family(),
                    m.unit() == null ? "-" : m.unit()));
            for (String metric : metrics) {
                Double value = m.metrics().get(metric);
                cells.add(value != null && Double.isFinite(value) ? decimal(value, places(metric)) : "-");
            }
            cells.add(integer(m.units()));
            row(table, cells.toArray(String[]::new));
        });
        double base = corpus(PerplexityResults.BASE);
        double tuned = corpus(PerplexityResults.FINETUNED);
        if (Double.isFinite(base) && Double.isFinite(tuned)) {
            section.appendElement("p").addClass("headline").text(String.format(Locale.ROOT,
                    "Corpus perplexity: base %.2f, fine-tuned %.2f, %.1f%% lower. (The study, Mistral-7B-Instruct-v0.3 with LoRA: 9.35 and 7.20, 22.9%% lower.)",
                    base, tuned, 100 * (base - tuned) / base));
        }
        seedPoints(section, metrics);
        if (!figures.formulas().isEmpty()) {
            Element list = section.appendElement("dl");
            for (String metric : metrics) {
                if (figures.formulas().containsKey(metric)) {
                    list.appendElement("dt").text(metric.replace('_', ' '));
                    list.appendElement("dd").text(figures.formulas().get(metric));
                }
            }
        }
        gate(section);
    }

    private double corpus(String model) {
        PerplexityResults.Figures.ModelFigures figure = figures.models().get(model);
        Double value = figure == null ? null : figure.metrics().get("corpus_perplexity");
        return value == null ? Double.NaN : value;
    }

    private static int places(String metric) {
        return metric.equals("bits_per_byte") ? 3 : 2;
    }

    private void gate(Element section) {
        section.appendElement("h3").text("Regression gate");
        if (gate == null) {
            Html.notRun(section, gateMissing, "the gate of lyrics:perplexity");
            return;
        }
        List<String> counts = new ArrayList<>();
        int failures = 0;
        Element checks = table(section, "check", "outcome", "message");
        // the many baseline figures that held are there to look up, not to read past
        Element held = section.appendElement("details");
        Element heldSummary = held.appendElement("summary");
        Element heldChecks = table(held, "check", "outcome", "message");
        int heldCount = 0;
        for (JUnitReport.TestCase testcase : gate) {
            String outcome = testcase.verdict().name().toLowerCase(Locale.ROOT);
            failures += testcase.verdict() == JUnitReport.Verdict.FAILED ? 1 : 0;
            boolean baselineHeld = outcome.equals("passed") && testcase.name().startsWith("baseline ");
            heldCount += baselineHeld ? 1 : 0;
            row(baselineHeld ? heldChecks : checks, testcase.name(), outcome, testcase.message()).addClass(outcome);
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

    private List<String> metricColumns() {
        SortedMap<String, Boolean> found = new TreeMap<>();
        figures.models().values().forEach(model -> model.metrics().keySet().forEach(m -> found.put(m, true)));
        List<String> columns = new ArrayList<>();
        METRIC_ORDER.stream().filter(found::containsKey).forEach(columns::add);
        found.keySet().stream().filter(m -> !METRIC_ORDER.contains(m)).forEach(columns::add);
        return columns;
    }

    /**
     * The fine-tune trained once per seed (lyrics.finetune.seeds): each metric's per-seed figures, their
     * mean and standard deviation, and the seeds as points on a line with the mean marked.
     */
    private void seedPoints(Element section, List<String> metrics) {
        PerplexityResults.Figures.SeedFigures seeds = figures.seeds();
        if (seeds == null) {
            return;
        }
        List<String> names = seeds.seeds().stream().map(String::valueOf).toList();
        section.appendElement("h3").text("Fine-tuned over " + names.size() + " seeds");
        section.appendElement("p").text("One LoRA fine-tune per seed (" + String.join(", ", names) + "); the gate checks"
                + " their mean as \"finetuned\".");
        Element table = table(section, "metric", "per seed", "mean", "std", "points (seeds, | the mean)");
        for (String metric : metrics) {
            PerplexityResults.Spread figure = seeds.metrics().get(metric);
            if (figure == null) {
                continue;
            }
            List<Double> values = figure.values().stream().map(v -> Double.isFinite(v) ? v : Double.NaN).toList();
            int places = places(metric);
            Element tr = row(table, metric.replace('_', ' '),
                    String.join(", ", values.stream().map(v -> decimal(v, places)).toList()),
                    Double.isFinite(figure.mean()) ? decimal(figure.mean(), places) : "-",
                    Double.isFinite(figure.std()) ? decimal(figure.std(), 4) : "-", "");
            tr.children().last().append(pointsSvg(values, figure.mean()));
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
}
