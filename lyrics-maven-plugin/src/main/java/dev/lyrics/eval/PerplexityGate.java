package dev.lyrics.eval;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.databind.JsonNode;
import dev.lyrics.core.GateException;
import dev.lyrics.core.InputException;
import dev.lyrics.core.Json;
import dev.lyrics.core.Log;
import java.io.IOException;
import java.math.BigDecimal;
import java.math.MathContext;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.stream.Collectors;

/**
 * The regression gate CI relies on. Three rules, all on lower-is-better figures:
 * <ul>
 * <li>maxPerplexity: the fine-tuned model's corpus perplexity is at most this ceiling;</li>
 * <li>minImprovement: it is lower than the base model's by at least this fraction;</li>
 * <li>baseline: every model x metric of the committed baseline file is at most its baseline
 *     value x (1 + tolerance). A value better than baseline x (1 - tolerance) passes and says so. A figure of a model or metric
 *     the file does not hold yet, or a baseline entry no longer evaluated, is reported as skipped.</li>
 * </ul>
 * A missing baseline file fails the build (a gate that silently arms itself on its first run
 * would pass any regression in a CI checkout that lost the file); updateBaseline creates it.
 * updateBaseline rewrites the file with this build's figures, unless maxPerplexity or
 * minImprovement fails (then nothing is written).
 */
public final class PerplexityGate {
    public static final String UPDATE_PROPERTY = "lyrics.perplexity.updateBaseline";
    static final String CORPUS = Metric.CORPUS_PERPLEXITY.key();

    /**
     * @param maxPerplexity  ceiling on the fine-tuned corpus perplexity; infinity for none
     * @param minImprovement fraction by which the fine-tuned corpus perplexity must be below the base's
     * @param tolerance      relative slack over a baseline value before it counts as a regression
     * @param baselineFile   the committed baseline: model -> metric -> value
     * @param updateBaseline rewrite the baseline file with this build's figures
     */
    public record Settings(double maxPerplexity, double minImprovement, double tolerance, Path baselineFile,
                           boolean updateBaseline) {}

    private final Settings settings;

    public PerplexityGate(Settings settings) {
        this.settings = settings;
    }

    /**
     * Runs every check and updates the baseline when asked; does not throw on a failed check.
     * Logs failures and skips as warnings, the absolute checks and notable baseline changes as
     * info, and routine baseline passes as one summary line.
     */
    public List<GateCheck> check(SortedMap<String, SortedMap<String, Double>> values, Log log) throws IOException {
        List<GateCheck> absolute = List.of(maxPerplexity(values), minImprovement(values));
        boolean absoluteFailed = absolute.stream().anyMatch(GateCheck::failed);
        boolean rewrite = settings.updateBaseline() && !absoluteFailed;
        if (settings.updateBaseline() && absoluteFailed) {
            log.warn("baseline " + settings.baselineFile() + " not updated: the build fails on maxPerplexity or minImprovement");
        }
        List<GateCheck> againstBaseline = baseline(values, rewrite);
        if (rewrite) {
            writeBaseline(values);
            log.info("baseline " + settings.baselineFile() + " rewritten with this build's figures: commit it");
        }
        for (GateCheck check : absolute) {
            logCheck(check, log);
        }
        long routine = againstBaseline.stream().filter(c -> c.outcome() == GateCheck.Outcome.PASSED).count();
        for (GateCheck check : againstBaseline) {
            if (check.outcome() == GateCheck.Outcome.PASSED) {
                log.debug(check.message());
            } else {
                logCheck(check, log);
            }
        }
        if (routine > 0) {
            log.info(String.format(Locale.ROOT, "baseline: %d figures within %.1f%% of %s", routine,
                    100 * settings.tolerance(), settings.baselineFile()));
        }
        List<GateCheck> checks = new ArrayList<>(absolute);
        checks.addAll(againstBaseline);
        return checks;
    }

    private static void logCheck(GateCheck check, Log log) {
        switch (check.outcome()) {
            case FAILED, SKIPPED -> log.warn(check.message());
            case PASSED, IMPROVED, ACCEPTED -> log.info(check.message());
        }
    }

    /** Throws a GateException listing every failed check, each with how to accept it. */
    public static void enforce(List<GateCheck> checks) {
        List<GateCheck> failed = checks.stream().filter(GateCheck::failed).toList();
        if (!failed.isEmpty()) {
            throw new GateException("perplexity gate failed (" + failed.size() + " of " + checks.size() + " checks):\n  - "
                    + failed.stream().map(GateCheck::message).collect(Collectors.joining("\n  - ")));
        }
    }

    private GateCheck maxPerplexity(SortedMap<String, SortedMap<String, Double>> values) {
        String check = "maxPerplexity";
        double ceiling = settings.maxPerplexity();
        double value = value(values, PerplexityResults.FINETUNED, CORPUS);
        if (Double.isInfinite(ceiling)) {
            return skipped(check, PerplexityResults.FINETUNED, CORPUS, value, "maxPerplexity: no ceiling set (<maxPerplexity>)");
        }
        if (Double.isNaN(value)) {
            return skipped(check, PerplexityResults.FINETUNED, CORPUS, value, "maxPerplexity: the finetuned model was not evaluated");
        }
        if (value <= ceiling) {
            return new GateCheck(check, PerplexityResults.FINETUNED, CORPUS, value, ceiling, GateCheck.Outcome.PASSED,
                    String.format(Locale.ROOT, "maxPerplexity: finetuned %s %.4f is at most %.4f", CORPUS, value, ceiling));
        }
        return new GateCheck(check, PerplexityResults.FINETUNED, CORPUS, value, ceiling, GateCheck.Outcome.FAILED,
                String.format(Locale.ROOT, "maxPerplexity: finetuned %s %.4f is above the limit %.4f; to accept it,"
                        + " raise <maxPerplexity> in experiment/pom.xml or -Dlyrics.perplexity.maxPerplexity=...",
                        CORPUS, value, ceiling));
    }

    private GateCheck minImprovement(SortedMap<String, SortedMap<String, Double>> values) {
        String check = "minImprovement";
        double base = value(values, PerplexityResults.BASE, CORPUS);
        double value = value(values, PerplexityResults.FINETUNED, CORPUS);
        if (Double.isNaN(base) || Double.isNaN(value)) {
            return skipped(check, PerplexityResults.FINETUNED, CORPUS, value,
                    "minImprovement: needs both the base and the finetuned model evaluated");
        }
        double limit = base * (1 - settings.minImprovement());
        String figures = String.format(Locale.ROOT, "finetuned %s %.4f is %.1f%% below base %.4f", CORPUS, value,
                100 * PerplexityResults.relativeImprovement(base, value), base);
        if (value <= limit) {
            return new GateCheck(check, PerplexityResults.FINETUNED, CORPUS, value, limit, GateCheck.Outcome.PASSED,
                    String.format(Locale.ROOT, "minImprovement: %s (at least %.1f%% required)", figures, 100 * settings.minImprovement()));
        }
        return new GateCheck(check, PerplexityResults.FINETUNED, CORPUS, value, limit, GateCheck.Outcome.FAILED,
                String.format(Locale.ROOT, "minImprovement: %s, less than the required %.1f%% (limit %.4f); to accept it,"
                        + " lower <minImprovement> in experiment/pom.xml or -Dlyrics.perplexity.minImprovement=...",
                        figures, 100 * settings.minImprovement(), limit));
    }

    /** @param rewrite whether this build's figures replace the baseline (a regression is then accepted) */
    private List<GateCheck> baseline(SortedMap<String, SortedMap<String, Double>> values, boolean rewrite)
            throws IOException {
        String check = "baseline";
        Path file = settings.baselineFile();
        if (!Files.isRegularFile(file)) {
            if (rewrite) {
                return List.of(new GateCheck(check, "*", "*", Double.NaN, Double.NaN, GateCheck.Outcome.ACCEPTED,
                        "baseline: " + file + " did not exist; created from this build's figures"));
            }
            return List.of(new GateCheck(check, "*", "*", Double.NaN, Double.NaN, GateCheck.Outcome.FAILED,
                    "baseline: " + file + " does not exist; create it from this build's figures with -D"
                            + UPDATE_PROPERTY + "=true and commit it (or set <baselineFile>)"));
        }
        SortedMap<String, SortedMap<String, Double>> baseline = readBaseline(file);
        List<GateCheck> checks = new ArrayList<>();
        SortedMap<String, SortedMap<String, Double>> all = new TreeMap<>();
        values.forEach((model, metrics) -> all.computeIfAbsent(model, m -> new TreeMap<>()).putAll(metrics));
        baseline.forEach((model, metrics) -> metrics.keySet().forEach(
                metric -> all.computeIfAbsent(model, m -> new TreeMap<>()).putIfAbsent(metric, Double.NaN)));
        all.forEach((model, metrics) -> metrics.keySet().forEach(metric -> {
            double value = value(values, model, metric);
            double reference = value(baseline, model, metric);
            checks.add(againstBaseline(model, metric, value, reference, rewrite));
        }));
        return checks;
    }

    private GateCheck againstBaseline(String model, String metric, double value, double reference, boolean rewrite) {
        String check = "baseline";
        String what = model + " " + metric;
        if (Double.isNaN(reference)) {
            return skipped(check, model, metric, value, "baseline: " + what + " is not in " + settings.baselineFile()
                    + (rewrite ? "; added" : "; -D" + UPDATE_PROPERTY + "=true adds it"));
        }
        if (Double.isNaN(value)) {
            return skipped(check, model, metric, value, "baseline: " + what + " is in " + settings.baselineFile()
                    + " but was not evaluated" + (rewrite ? "; removed" : ""));
        }
        double limit = reference * (1 + settings.tolerance());
        double change = -PerplexityResults.relativeImprovement(reference, value);
        if (value < reference * (1 - settings.tolerance())) {
            return new GateCheck(check, model, metric, value, limit, GateCheck.Outcome.IMPROVED,
                    String.format(Locale.ROOT, "baseline: %s %.4f is %.2f%% better than its baseline %.4f%s", what, value,
                            -100 * change, reference, rewrite ? "; baseline updated" : "; -D" + UPDATE_PROPERTY + "=true records the gain"));
        }
        if (value <= limit) {
            return new GateCheck(check, model, metric, value, limit, GateCheck.Outcome.PASSED,
                    String.format(Locale.ROOT, "baseline: %s %.4f is within %.1f%% of its baseline %.4f", what, value,
                            100 * settings.tolerance(), reference));
        }
        if (rewrite) {
            return new GateCheck(check, model, metric, value, limit, GateCheck.Outcome.ACCEPTED,
                    String.format(Locale.ROOT, "baseline: %s %.4f is %.2f%% worse than its baseline %.4f; accepted,"
                            + " baseline updated", what, value, 100 * change, reference));
        }
        return new GateCheck(check, model, metric, value, limit, GateCheck.Outcome.FAILED,
                String.format(Locale.ROOT, "baseline: %s regressed: %.4f is %.2f%% worse than its baseline %.4f, above the"
                        + " limit %.4f (tolerance %.1f%%, %s); if the change is deliberate, accept it with -D%s=true"
                        + " and commit the file", what, value, 100 * change, reference, limit,
                        100 * settings.tolerance(), settings.baselineFile(), UPDATE_PROPERTY));
    }

    private static GateCheck skipped(String check, String model, String metric, double value, String message) {
        return new GateCheck(check, model, metric, value, Double.NaN, GateCheck.Outcome.SKIPPED, message);
    }

    private static double value(Map<String, SortedMap<String, Double>> values, String model, String metric) {
        Double value = values.getOrDefault(model, new TreeMap<>()).get(metric);
        return value == null ? Double.NaN : value;
    }

    static SortedMap<String, SortedMap<String, Double>> readBaseline(Path file) throws IOException {
        JsonNode root;
        try {
            root = Json.MAPPER.readTree(file.toFile());
        } catch (JacksonException e) {
            throw InputException.at(file, "not JSON: " + e.getOriginalMessage());
        }
        if (root == null || !root.isObject()) {
            throw InputException.at(file, "expected an object: model -> metric -> value");
        }
        SortedMap<String, SortedMap<String, Double>> baseline = new TreeMap<>();
        for (Map.Entry<String, JsonNode> model : (Iterable<Map.Entry<String, JsonNode>>) root::fields) {
            SortedMap<String, Double> metrics = new TreeMap<>();
            for (Map.Entry<String, JsonNode> metric : (Iterable<Map.Entry<String, JsonNode>>) model.getValue()::fields) {
                if (!metric.getValue().isNumber()) {
                    throw InputException.at(file, model.getKey() + "." + metric.getKey() + " is not a number");
                }
                metrics.put(metric.getKey(), metric.getValue().doubleValue());
            }
            baseline.put(model.getKey(), metrics);
        }
        return baseline;
    }

    /** Sorted JSON, values to 6 significant digits so the committed file diffs readably; written atomically. */
    private void writeBaseline(SortedMap<String, SortedMap<String, Double>> values) throws IOException {
        SortedMap<String, SortedMap<String, Double>> rounded = new TreeMap<>();
        values.forEach((model, metrics) -> metrics.forEach((metric, value) -> rounded
                .computeIfAbsent(model, m -> new TreeMap<>())
                .put(metric, new BigDecimal(value).round(new MathContext(6)).doubleValue())));
        Json.write(settings.baselineFile(), rounded);
    }
}
