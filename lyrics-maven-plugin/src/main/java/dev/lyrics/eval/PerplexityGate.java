package dev.lyrics.eval;

import com.fasterxml.jackson.databind.JsonNode;
import dev.lyrics.core.GateException;
import dev.lyrics.core.InputException;
import dev.lyrics.core.Json;
import dev.lyrics.core.Log;
import java.io.IOException;
import java.math.BigDecimal;
import java.math.MathContext;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.SortedMap;
import java.util.SortedSet;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.stream.Collectors;

/**
 * The regression gate CI relies on. Every figure is lower-is-better, and every rule that is
 * configured must be checked: a rule that cannot be checked fails, it is never skipped.
 * <ul>
 * <li>finite: a NaN or infinite figure (a -Infinity log-probability, a float16 overflow, an empty
 *     test set) fails, naming the model and metric;</li>
 * <li>maxPerplexity (Infinity: none): the fine-tuned model's corpus perplexity is at most this ceiling;</li>
 * <li>minImprovement (-Infinity: none): it is lower than the base model's by at least this fraction;</li>
 * <li>baseline: every model x metric of the committed baseline file is at most its baseline value x
 *     (1 + tolerance); a value better than baseline x (1 - tolerance) passes and says so. A baseline
 *     model this build did not evaluate fails, naming the setting that left it out, unless
 *     optionalModels lists it; a baseline metric this build does not report fails. A figure the file
 *     does not hold yet is reported as skipped.</li>
 * </ul>
 * With several fine-tune seeds, "finetuned" is their mean and the messages say how many of the
 * seeds' standard deviations the tolerance is. A missing baseline file fails the build (a gate that
 * silently arms itself on its first run would pass any regression in a CI checkout that lost the
 * file); updateBaseline creates it. A malformed one fails on reading. updateBaseline rewrites the
 * file with this build's figures, keeping (and naming) the entries of models it did not evaluate,
 * unless a non-finite figure, maxPerplexity or minImprovement fails (then nothing is written).
 */
public final class PerplexityGate {
    public static final String UPDATE_PROPERTY = "lyrics.perplexity.updateBaseline";
    public static final String OPTIONAL_PROPERTY = "lyrics.perplexity.optionalModels";
    static final String CORPUS = Metric.CORPUS_PERPLEXITY.key();

    /**
     * @param maxPerplexity   ceiling on the fine-tuned corpus perplexity; infinity for none
     * @param minImprovement  fraction by which the fine-tuned corpus perplexity must be below the base's; -infinity for none
     * @param tolerance       relative slack over a baseline value before it counts as a regression
     * @param baselineFile    the committed baseline: model -> metric -> value
     * @param updateBaseline  rewrite the baseline file with this build's figures
     * @param optionalModels  names or globs of baseline models a build may leave out (lyrics.perplexity.optionalModels)
     * @param finetuneStage   how this build chose its fine-tuned model, for what a missing one says
     * @param recurrentStages how this build chose its recurrent models, for what a missing one says
     */
    public record Settings(double maxPerplexity, double minImprovement, double tolerance, Path baselineFile,
                           boolean updateBaseline, List<String> optionalModels, String finetuneStage,
                           List<String> recurrentStages) {
        public Settings {
            optionalModels = List.copyOf(optionalModels);
            recurrentStages = List.copyOf(recurrentStages);
        }

        /** The default model selection (finetune, rnn-*) and no optional model. */
        public Settings(double maxPerplexity, double minImprovement, double tolerance, Path baselineFile, boolean updateBaseline) {
            this(maxPerplexity, minImprovement, tolerance, baselineFile, updateBaseline, List.of(), "finetune", List.of("rnn-*"));
        }

        boolean optional(String model) {
            return optionalModels.stream().anyMatch(pattern -> FileSystems.getDefault()
                    .getPathMatcher("glob:" + pattern.strip()).matches(Path.of(model)));
        }

        /** Which setting keeps a model out of this build. */
        String droppedBy(String model) {
            if (model.equals(PerplexityResults.BASE)) {
                return "the base model is always evaluated unless lyrics:perplexity is skipped (lyrics.perplexity.skip)";
            }
            if (model.startsWith(PerplexityResults.FINETUNED)) {
                return "<finetuneStage> is " + finetuneStage + " (-Dlyrics.perplexity.finetuneStage in experiment/pom.xml)";
            }
            return "<recurrentStages> " + recurrentStages + " (-Dlyrics.perplexity.recurrentStages in experiment/pom.xml) took no"
                    + " stage of that name with a model.safetensors (lyrics:finetune skips the recurrent models with"
                    + " -Dlyrics.finetune.recurrent.skip=true)";
        }
    }

    private final Settings settings;

    public PerplexityGate(Settings settings) {
        this.settings = settings;
    }

    /** Runs every check (see {@link #check(SortedMap, SortedMap, Log)}) without a seed spread. */
    public List<GateCheck> check(SortedMap<String, SortedMap<String, Double>> values, Log log) throws IOException {
        return check(values, new TreeMap<>(), log);
    }

    /**
     * Runs every check and updates the baseline when asked; does not throw on a failed check.
     * Logs failures and skips as warnings, the absolute checks and notable baseline changes as
     * info, and routine baseline passes as one summary line.
     *
     * @param values model -> metric -> value as {@link PerplexityResults#readValues} gives them
     * @param spread the fine-tune's spread over seeds, metric -> spread; empty with one seed
     */
    public List<GateCheck> check(SortedMap<String, SortedMap<String, Double>> values, SortedMap<String, PerplexityResults.Spread> spread,
                                 Log log) throws IOException {
        // read first: a malformed baseline fails the build before anything is judged or written
        SortedMap<String, SortedMap<String, Double>> baseline =
                Files.isRegularFile(settings.baselineFile()) ? readBaseline(settings.baselineFile()) : null;
        List<GateCheck> absolute = new ArrayList<>(finite(values));
        absolute.add(maxPerplexity(values));
        absolute.add(minImprovement(values));
        boolean absoluteFailed = absolute.stream().anyMatch(GateCheck::failed);
        boolean rewrite = settings.updateBaseline() && !absoluteFailed;
        if (settings.updateBaseline() && absoluteFailed) {
            log.warn("baseline " + settings.baselineFile() + " not updated: the build fails on a non-finite figure,"
                    + " maxPerplexity or minImprovement");
        }
        List<GateCheck> againstBaseline = baseline(values, baseline, spread, rewrite);
        if (rewrite) {
            List<String> kept = writeBaseline(values, baseline == null ? new TreeMap<>() : baseline);
            log.info("baseline " + settings.baselineFile() + " rewritten with this build's figures: commit it"
                    + (kept.isEmpty() ? "" : "; kept from the old file, not evaluated by this build: " + String.join(", ", kept)));
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
        logSpread(spread, log);
        List<GateCheck> checks = new ArrayList<>(absolute);
        checks.addAll(againstBaseline);
        return checks;
    }

    /** The seeds' spread of the fine-tuned corpus perplexity, and the tolerance in its standard deviations. */
    private void logSpread(SortedMap<String, PerplexityResults.Spread> spread, Log log) {
        PerplexityResults.Spread corpus = spread.get(CORPUS);
        if (corpus == null || corpus.values().size() < 2) {
            return;
        }
        log.info(String.format(Locale.ROOT, "seeds: finetuned %s over %d seeds: mean %.4f, std %.4f (%.2f%%); the tolerance"
                        + " %.1f%% is %.1f standard deviations of one seed, %.1f of the %d-seed mean the gate checks", CORPUS,
                corpus.values().size(), corpus.mean(), corpus.std(), 100 * corpus.std() / corpus.mean(), 100 * settings.tolerance(),
                corpus.sigmas(settings.tolerance()), corpus.sigmas(settings.tolerance()) * Math.sqrt(corpus.values().size()),
                corpus.values().size()));
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

    /** A failure for every figure that is NaN or infinite: no comparison can pass or fail it honestly. */
    private static List<GateCheck> finite(SortedMap<String, SortedMap<String, Double>> values) {
        List<GateCheck> checks = new ArrayList<>();
        if (values.isEmpty()) {
            checks.add(new GateCheck("finite", "*", "*", Double.NaN, Double.NaN, GateCheck.Outcome.FAILED,
                    "finite: this build reported no model at all; nothing can be gated"));
        }
        values.forEach((model, metrics) -> metrics.forEach((metric, value) -> {
            if (!Double.isFinite(value)) {
                checks.add(new GateCheck("finite", model, metric, value, Double.NaN, GateCheck.Outcome.FAILED,
                        "finite: " + model + " " + metric + " is " + value + ", not a figure the gate can compare (a"
                                + " -Infinity log-probability, a float16 overflow, or an empty test set); fix the model or"
                                + " the evaluation, a baseline cannot accept it"));
            }
        }));
        return checks;
    }

    private GateCheck maxPerplexity(SortedMap<String, SortedMap<String, Double>> values) {
        String check = "maxPerplexity";
        double ceiling = settings.maxPerplexity();
        Double value = lookup(values, PerplexityResults.FINETUNED, CORPUS);
        if (Double.isInfinite(ceiling)) {
            return skipped(check, PerplexityResults.FINETUNED, CORPUS, value, "maxPerplexity: no ceiling set (<maxPerplexity>)");
        }
        if (value == null) {
            return unchecked(check, String.format(Locale.ROOT, "a ceiling of %.4f is set but the finetuned model was not"
                    + " evaluated (%s); evaluate it, or set <maxPerplexity> to Infinity (-Dlyrics.perplexity.maxPerplexity=Infinity)",
                    ceiling, settings.droppedBy(PerplexityResults.FINETUNED)));
        }
        if (value <= ceiling) {
            return new GateCheck(check, PerplexityResults.FINETUNED, CORPUS, value, ceiling, GateCheck.Outcome.PASSED,
                    String.format(Locale.ROOT, "maxPerplexity: finetuned %s %.4f is at most %.4f", CORPUS, value, ceiling));
        }
        return new GateCheck(check, PerplexityResults.FINETUNED, CORPUS, value, ceiling, GateCheck.Outcome.FAILED,
                String.format(Locale.ROOT, "maxPerplexity: finetuned %s %.4f is %s the limit %.4f; to accept it,"
                        + " raise <maxPerplexity> in experiment/pom.xml or -Dlyrics.perplexity.maxPerplexity=...",
                        CORPUS, value, Double.isNaN(value) ? "not a number, not within" : "above", ceiling));
    }

    private GateCheck minImprovement(SortedMap<String, SortedMap<String, Double>> values) {
        String check = "minImprovement";
        Double base = lookup(values, PerplexityResults.BASE, CORPUS);
        Double value = lookup(values, PerplexityResults.FINETUNED, CORPUS);
        if (settings.minImprovement() == Double.NEGATIVE_INFINITY) {
            return skipped(check, PerplexityResults.FINETUNED, CORPUS, value, "minImprovement: no requirement set (<minImprovement>)");
        }
        if (base == null || value == null) {
            String missing = base == null ? PerplexityResults.BASE : PerplexityResults.FINETUNED;
            return unchecked(check, String.format(Locale.ROOT, "%.1f%% is required but the %s model was not evaluated"
                    + " (%s); evaluate it, or set <minImprovement> to -Infinity (-Dlyrics.perplexity.minImprovement=-Infinity)",
                    100 * settings.minImprovement(), missing, settings.droppedBy(missing)));
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

    /**
     * @param baseline the committed figures, or null when the file does not exist
     * @param rewrite  whether this build's figures replace the baseline (a regression is then accepted)
     */
    private List<GateCheck> baseline(SortedMap<String, SortedMap<String, Double>> values,
                                     SortedMap<String, SortedMap<String, Double>> baseline,
                                     SortedMap<String, PerplexityResults.Spread> spread, boolean rewrite) {
        String check = "baseline";
        Path file = settings.baselineFile();
        if (baseline == null) {
            if (rewrite) {
                return List.of(new GateCheck(check, "*", "*", Double.NaN, Double.NaN, GateCheck.Outcome.ACCEPTED,
                        "baseline: " + file + " did not exist; created from this build's figures"));
            }
            return List.of(new GateCheck(check, "*", "*", Double.NaN, Double.NaN, GateCheck.Outcome.FAILED,
                    "baseline: " + file + " does not exist; create it from this build's figures with -D"
                            + UPDATE_PROPERTY + "=true and commit it (or set <baselineFile>)"));
        }
        List<GateCheck> checks = new ArrayList<>();
        SortedMap<String, SortedSet<String>> all = new TreeMap<>();
        values.forEach((model, metrics) -> all.computeIfAbsent(model, m -> new TreeSet<>()).addAll(metrics.keySet()));
        baseline.forEach((model, metrics) -> all.computeIfAbsent(model, m -> new TreeSet<>()).addAll(metrics.keySet()));
        all.forEach((model, metrics) -> {
            if (!values.containsKey(model)) {
                checks.add(notEvaluated(model, rewrite));
                return;
            }
            for (String metric : metrics) {
                Double value = lookup(values, model, metric);
                Double reference = lookup(baseline, model, metric);
                if (value == null) {
                    checks.add(new GateCheck(check, model, metric, Double.NaN, reference, rewrite
                            ? GateCheck.Outcome.SKIPPED : GateCheck.Outcome.FAILED,
                            "baseline: " + model + " " + metric + " is in " + file + " but this build reports no such"
                                    + " figure for " + model + " (it reports " + String.join(", ", values.get(model).keySet())
                                    + (rewrite ? "); kept in the rewritten file" : "); correct or remove the entry")));
                } else if (Double.isFinite(value)) {
                    checks.add(againstBaseline(model, metric, value, reference == null ? Double.NaN : reference,
                            model.equals(PerplexityResults.FINETUNED) ? spread.get(metric) : null, rewrite));
                }
            }
        });
        return checks;
    }

    /** A baseline model this build did not evaluate: a failure, unless the build may leave it out. */
    private GateCheck notEvaluated(String model, boolean rewrite) {
        String what = "baseline: " + model + " is in " + settings.baselineFile() + " but this build did not evaluate it";
        if (settings.optional(model)) {
            return skipped("baseline", model, "*", Double.NaN, what + "; left out as <optionalModels> "
                    + settings.optionalModels() + " allows" + (rewrite ? "; kept in the rewritten file" : ""));
        }
        if (rewrite) {
            return skipped("baseline", model, "*", Double.NaN, what + "; kept in the rewritten file");
        }
        return new GateCheck("baseline", model, "*", Double.NaN, Double.NaN, GateCheck.Outcome.FAILED, what + ": "
                + settings.droppedBy(model) + "; evaluate it, or list it in <optionalModels> (-D" + OPTIONAL_PROPERTY
                + "=" + model + ") to let a build leave it out");
    }

    private GateCheck againstBaseline(String model, String metric, double value, double reference,
                                      PerplexityResults.Spread spread, boolean rewrite) {
        String check = "baseline";
        String what = model + " " + metric;
        if (Double.isNaN(reference)) {
            return skipped(check, model, metric, value, "baseline: " + what + " is not in " + settings.baselineFile()
                    + (rewrite ? "; added" : "; -D" + UPDATE_PROPERTY + "=true adds it"));
        }
        double limit = reference * (1 + settings.tolerance());
        double change = -PerplexityResults.relativeImprovement(reference, value);
        String noise = spread == null || spread.values().size() < 2 ? "" : String.format(Locale.ROOT,
                " (the mean of %d seeds, std %.4f: the tolerance is %.1f standard deviations)", spread.values().size(),
                spread.std(), spread.sigmas(settings.tolerance()));
        if (value < reference * (1 - settings.tolerance())) {
            return new GateCheck(check, model, metric, value, limit, GateCheck.Outcome.IMPROVED,
                    String.format(Locale.ROOT, "baseline: %s %.4f%s is %.2f%% better than its baseline %.4f%s", what, value,
                            noise, -100 * change, reference, rewrite ? "; baseline updated" : "; -D" + UPDATE_PROPERTY
                                    + "=true records the gain"));
        }
        if (value <= limit) {
            return new GateCheck(check, model, metric, value, limit, GateCheck.Outcome.PASSED,
                    String.format(Locale.ROOT, "baseline: %s %.4f%s is within %.1f%% of its baseline %.4f", what, value, noise,
                            100 * settings.tolerance(), reference));
        }
        if (rewrite) {
            return new GateCheck(check, model, metric, value, limit, GateCheck.Outcome.ACCEPTED,
                    String.format(Locale.ROOT, "baseline: %s %.4f%s is %.2f%% worse than its baseline %.4f; accepted,"
                            + " baseline updated", what, value, noise, 100 * change, reference));
        }
        return new GateCheck(check, model, metric, value, limit, GateCheck.Outcome.FAILED,
                String.format(Locale.ROOT, "baseline: %s regressed: %.4f%s is %.2f%% worse than its baseline %.4f, above the"
                        + " limit %.4f (tolerance %.1f%%, %s); if the change is deliberate, accept it with -D%s=true"
                        + " and commit the file", what, value, noise, 100 * change, reference, limit,
                        100 * settings.tolerance(), settings.baselineFile(), UPDATE_PROPERTY));
    }

    private static GateCheck skipped(String check, String model, String metric, Double value, String message) {
        return new GateCheck(check, model, metric, value == null ? Double.NaN : value, Double.NaN, GateCheck.Outcome.SKIPPED, message);
    }

    /** A configured rule that cannot be checked: a failure, never a skip. */
    private static GateCheck unchecked(String check, String message) {
        return new GateCheck(check, PerplexityResults.FINETUNED, CORPUS, Double.NaN, Double.NaN, GateCheck.Outcome.FAILED,
                check + ": " + message);
    }

    /** The figure, or null when the model or the metric is absent. */
    private static Double lookup(Map<String, SortedMap<String, Double>> values, String model, String metric) {
        SortedMap<String, Double> metrics = values.get(model);
        return metrics == null ? null : metrics.get(metric);
    }

    /**
     * The committed baseline, checked: a non-empty object of model -> non-empty object of metric ->
     * positive finite number, every metric one lyrics:perplexity reports. Anything else fails,
     * naming the file and the entry, so a truncated or hand-mangled file cannot pass a build.
     */
    static SortedMap<String, SortedMap<String, Double>> readBaseline(Path file) throws IOException {
        JsonNode root = Json.readTree(file);
        String fix = "; correct it, or rebuild it with -D" + UPDATE_PROPERTY + "=true";
        if (root == null || !root.isObject()) {
            throw InputException.at(file, "expected an object: model -> metric -> value" + fix);
        }
        if (root.isEmpty()) {
            throw InputException.at(file, "has no entries: a baseline of nothing gates nothing" + fix);
        }
        Set<String> known = new TreeSet<>();
        for (Metric metric : Metric.values()) {
            known.add(metric.key());
        }
        SortedMap<String, SortedMap<String, Double>> baseline = new TreeMap<>();
        for (Map.Entry<String, JsonNode> model : (Iterable<Map.Entry<String, JsonNode>>) root::fields) {
            if (!model.getValue().isObject() || model.getValue().isEmpty()) {
                throw InputException.at(file, "entry \"" + model.getKey() + "\" is not an object of metric -> value ("
                        + model.getValue() + ")" + fix);
            }
            SortedMap<String, Double> metrics = new TreeMap<>();
            for (Map.Entry<String, JsonNode> metric : (Iterable<Map.Entry<String, JsonNode>>) model.getValue()::fields) {
                String entry = "entry \"" + model.getKey() + "\".\"" + metric.getKey() + "\"";
                if (!known.contains(metric.getKey())) {
                    throw InputException.at(file, entry + " is not a metric lyrics:perplexity reports (" + String.join(", ", known)
                            + ")" + fix);
                }
                JsonNode value = metric.getValue();
                if (!value.isNumber() || !Double.isFinite(value.doubleValue()) || value.doubleValue() <= 0) {
                    throw InputException.at(file, entry + " is " + value + ", not a positive number" + fix);
                }
                metrics.put(metric.getKey(), value.doubleValue());
            }
            baseline.put(model.getKey(), metrics);
        }
        return baseline;
    }

    /**
     * Writes the old baseline overlaid with this build's figures: sorted JSON, values to 6
     * significant digits so the committed file diffs readably, written atomically. Entries this
     * build did not measure are kept, never dropped in silence.
     *
     * @return the models kept from the old file without a figure of this build
     */
    private List<String> writeBaseline(SortedMap<String, SortedMap<String, Double>> values,
                                       SortedMap<String, SortedMap<String, Double>> old) throws IOException {
        SortedMap<String, SortedMap<String, Double>> merged = new TreeMap<>();
        old.forEach((model, metrics) -> merged.put(model, new TreeMap<>(metrics)));
        values.forEach((model, metrics) -> metrics.forEach((metric, value) -> merged
                .computeIfAbsent(model, m -> new TreeMap<>())
                .put(metric, new BigDecimal(value).round(new MathContext(6)).doubleValue())));
        Json.write(settings.baselineFile(), merged);
        return old.keySet().stream().filter(model -> !values.containsKey(model)).toList();
    }
}
