package dev.lyrics.eval;

import com.fasterxml.jackson.databind.JsonNode;
import dev.lyrics.core.InputException;
import dev.lyrics.core.Json;
import dev.lyrics.train.FinetuneSeeds;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.stream.IntStream;

/**
 * Every model's figures on the test split, and their two forms: perplexity.json and a Markdown table.
 *
 * @param models every model scored, base first
 * @param template the Alpaca template the transformers read
 * @param seeds  the fine-tune's seeds (lyrics.finetune.seeds): the models {@link FinetuneSeeds#model} names
 *               are one fine-tune per seed, and the gate checks their mean as "finetuned"
 */
public record PerplexityResults(List<ModelResult> models, String template, List<Long> seeds) {
    /** The names the study's comparison uses. */
    public static final String BASE = "base";
    public static final String FINETUNED = FinetuneSeeds.FINETUNED;

    private static final String STUDY_LINE = "The study (Mistral-7B-Instruct-v0.3, LoRA): base 9.35 -> fine-tuned 7.20, 22.9% lower.";

    public PerplexityResults {
        models = List.copyOf(models);
        seeds = List.copyOf(seeds);
    }

    /** The same results, the fine-tune having been trained once per seed. */
    public PerplexityResults withSeeds(List<Long> fineTuneSeeds) {
        return new PerplexityResults(models, template, fineTuneSeeds);
    }

    /** Results of a build with one fine-tune (or none). */
    public PerplexityResults(List<ModelResult> models, String template) {
        this(models, template, List.of());
    }

    /**
     * A figure as perplexity.json holds it: the number, or for NaN and the infinities their name as
     * a string, so that a non-finite figure is read back as itself, never as an absent one.
     */
    static Object jsonNumber(double value) {
        return Double.isFinite(value) ? (Object) value : Double.toString(value);
    }

    /** One metric over the seeds' fine-tunes: each seed's figure, their mean and sample standard deviation. */
    public record Spread(List<Double> values, double mean, double std) {
        static Spread of(List<Double> values) {
            double mean = 0;
            for (double v : values) {
                mean += v;
            }
            mean /= values.size();
            double squares = 0;
            for (double v : values) {
                squares += (v - mean) * (v - mean);
            }
            return new Spread(List.copyOf(values), mean, values.size() < 2 ? Double.NaN : Math.sqrt(squares / (values.size() - 1)));
        }

        /** How many of these standard deviations a relative tolerance on the mean is; NaN with one seed. */
        public double sigmas(double tolerance) {
            return tolerance * mean / std;
        }
    }

    /** metric -> spread over the seeds, or empty when fewer than all seeds' fine-tunes were scored. */
    public SortedMap<String, Spread> seedSpread() {
        SortedMap<String, Spread> spread = new TreeMap<>();
        List<ModelResult> runs = new ArrayList<>();
        for (int i = 0; i < seeds.size(); i++) {
            ModelResult run = find(FinetuneSeeds.model(seeds, i));
            if (run == null) {
                return spread;
            }
            runs.add(run);
        }
        if (runs.isEmpty()) {
            return spread;
        }
        for (Metric metric : Metric.values()) {
            spread.put(metric.key(), Spread.of(runs.stream().map(r -> r.value(metric)).toList()));
        }
        return spread;
    }
    /** How much lower {@code after} is than {@code before}, as a fraction of before. */
    public static double relativeImprovement(double before, double after) {
        return (before - after) / before;
    }

    public Map<String, Object> toJson() {
        Map<String, Object> definitions = new TreeMap<>();
        for (Metric metric : Metric.values()) {
            definitions.put(metric.key(), Map.of("formula", metric.formula(), "averaged_over", metric.averagedOver()));
        }
        Map<String, Object> byModel = new TreeMap<>();
        for (ModelResult model : models) {
            byModel.put(model.name(), model.toJson());
        }
        Map<String, Object> json = new TreeMap<>();
        json.put("definitions", definitions);
        json.put("models", byModel);
        SortedMap<String, Spread> spread = seedSpread();
        if (!spread.isEmpty()) {
            Map<String, Object> metrics = new TreeMap<>();
            spread.forEach((metric, s) -> {
                Map<String, Object> figure = new TreeMap<>();
                figure.put("values", s.values().stream().map(PerplexityResults::jsonNumber).toList());
                figure.put("mean", jsonNumber(s.mean()));
                figure.put("std", jsonNumber(s.std()));
                metrics.put(metric, figure);
            });
            Map<String, Object> seedsJson = new TreeMap<>();
            seedsJson.put("seeds", seeds);
            seedsJson.put("models", IntStream.range(0, seeds.size()).mapToObj(i -> FinetuneSeeds.model(seeds, i)).toList());
            seedsJson.put("metrics", metrics);
            seedsJson.put("gated_as", FINETUNED + ": the mean over the seeds");
            json.put("finetuned_seeds", seedsJson);
        }
        json.put("template", template);
        return json;
    }

    /**
     * The figures the gate checks, model -> metric -> value, from a perplexity.json (see {@link Figures#gateValues}).
     */
    public static SortedMap<String, SortedMap<String, Double>> readValues(Path file) throws IOException {
        return Figures.read(file).gateValues();
    }

    /**
     * A perplexity.json read back, for the gate and the report: every figure a number (a non-finite one
     * as NaN or an infinity, a missing one as NaN), models and metrics in file order.
     *
     * @param models   by name
     * @param formulas each metric's definition, by metric
     * @param seeds    the fine-tune's seeds and their spread, or null when it was trained once
     */
    public record Figures(Map<String, ModelFigures> models, Map<String, String> formulas, SeedFigures seeds) {
        /**
         * @param family  "transformer" or "recurrent", or null when the file does not say
         * @param unit    what one unit is ("token", "char", "word"), or null
         * @param metrics metric -> value
         * @param units   how many units were scored, or null
         */
        public record ModelFigures(String family, String unit, Map<String, Double> metrics, Long units) {}

        /**
         * @param seeds   the fine-tune's seeds, in order
         * @param models  the model each seed made
         * @param metrics metric -> spread over the seeds
         */
        public record SeedFigures(List<Long> seeds, List<String> models, SortedMap<String, Spread> metrics) {}

        public static Figures read(Path file) throws IOException {
            JsonNode root = Json.readTree(file);
            JsonNode models = root.path("models");
            if (!models.isObject()) {
                throw InputException.at(file, "no \"models\" object");
            }
            Map<String, ModelFigures> byModel = new LinkedHashMap<>();
            models.fields().forEachRemaining(model -> {
                JsonNode m = model.getValue();
                Map<String, Double> metrics = new LinkedHashMap<>();
                m.path("metrics").fields().forEachRemaining(
                        metric -> metrics.put(metric.getKey(), readNumber(metric.getValue().path("value"))));
                JsonNode units = m.path("counts").path("units");
                byModel.put(model.getKey(), new ModelFigures(m.path("family").isMissingNode() || m.path("family").isNull()
                        ? null : m.path("family").asText(), m.path("unit").isMissingNode() || m.path("unit").isNull()
                        ? null : m.path("unit").asText(), Collections.unmodifiableMap(metrics),
                        units.isNumber() ? units.asLong() : null));
            });
            Map<String, String> formulas = new LinkedHashMap<>();
            root.path("definitions").fields().forEachRemaining(
                    metric -> formulas.put(metric.getKey(), metric.getValue().path("formula").asText()));
            SeedFigures seeds = null;
            JsonNode seedsJson = root.path("finetuned_seeds");
            if (seedsJson.isObject()) {
                List<Long> seedList = new ArrayList<>();
                seedsJson.path("seeds").forEach(seed -> seedList.add(seed.asLong()));
                List<String> seedModels = new ArrayList<>();
                seedsJson.path("models").forEach(name -> seedModels.add(name.asText()));
                SortedMap<String, Spread> spread = new TreeMap<>();
                seedsJson.path("metrics").fields().forEachRemaining(metric -> {
                    List<Double> values = new ArrayList<>();
                    metric.getValue().path("values").forEach(v -> values.add(readNumber(v)));
                    spread.put(metric.getKey(), new Spread(values, readNumber(metric.getValue().path("mean")),
                            readNumber(metric.getValue().path("std"))));
                });
                seeds = new SeedFigures(List.copyOf(seedList), List.copyOf(seedModels), Collections.unmodifiableSortedMap(spread));
            }
            return new Figures(Collections.unmodifiableMap(byModel), Collections.unmodifiableMap(formulas), seeds);
        }

        /**
         * The figures the gate checks, model -> metric -> value: every metric of every model. With
         * several seeds, "finetuned" is their mean and the seeds' own models are left out.
         */
        public SortedMap<String, SortedMap<String, Double>> gateValues() {
            Set<String> seedRuns = new HashSet<>(seeds == null ? List.of() : seeds.models());
            SortedMap<String, SortedMap<String, Double>> values = new TreeMap<>();
            models.forEach((name, model) -> {
                if (!seedRuns.contains(name)) {
                    values.put(name, new TreeMap<>(model.metrics()));
                }
            });
            if (!seedRuns.isEmpty()) {
                SortedMap<String, Double> means = new TreeMap<>();
                seeds.metrics().forEach((metric, spread) -> means.put(metric, spread.mean()));
                values.put(FINETUNED, means);
            }
            return values;
        }

        /** metric -> spread of the seeds' fine-tunes; empty with one seed or none. */
        public SortedMap<String, Spread> seedSpread() {
            return seeds == null ? new TreeMap<>() : new TreeMap<>(seeds.metrics());
        }
    }

    private static double readNumber(JsonNode value) {
        if (value.isNumber()) {
            return value.doubleValue();
        }
        if (value.isTextual()) {
            try {
                return Double.parseDouble(value.asText());
            } catch (NumberFormatException e) {
                return Double.NaN;
            }
        }
        return Double.NaN;
    }

    /** The study's table: one row per model, every metric, and the fine-tuned model's gain over the base. */
    public String toMarkdown() {
        StringBuilder md = new StringBuilder("| model | unit |");
        StringBuilder rule = new StringBuilder("|---|---|");
        for (Metric metric : Metric.values()) {
            md.append(' ').append(metric.key()).append(" |");
            rule.append("--:|");
        }
        md.append(" units scored |\n").append(rule).append("--:|\n");
        for (ModelResult model : models) {
            md.append("| ").append(model.name()).append(" | ").append(model.unit()).append(" |");
            for (Metric metric : Metric.values()) {
                md.append(' ').append(format(metric, model.value(metric))).append(" |");
            }
            md.append(' ').append(model.tally().units()).append(" |\n");
        }
        List<String> gains = gains();
        if (!gains.isEmpty()) {
            md.append('\n').append(FINETUNED).append(" vs ").append(BASE).append(": ")
                    .append(String.join("; ", gains)).append(".\n");
        }
        SortedMap<String, Spread> spread = seedSpread();
        if (seeds.size() > 1 && !spread.isEmpty()) {
            md.append('\n').append(FINETUNED).append(" over ").append(seeds.size()).append(" seeds ").append(seeds)
                    .append(" (the gate checks the mean):\n\n| metric | per seed | mean | std | std / mean |\n|---|---|--:|--:|--:|\n");
            for (Metric metric : Metric.values()) {
                Spread s = spread.get(metric.key());
                md.append("| ").append(metric.key()).append(" | ")
                        .append(String.join(", ", s.values().stream().map(v -> format(metric, v)).toList()))
                        .append(" | ").append(format(metric, s.mean())).append(" | ")
                        .append(String.format(Locale.ROOT, "%.4f", s.std())).append(" | ")
                        .append(String.format(Locale.ROOT, "%.2f%%", 100 * s.std() / s.mean())).append(" |\n");
            }
        }
        md.append('\n').append(STUDY_LINE).append('\n');
        return md.toString();
    }

    private List<String> gains() {
        ModelResult base = find(BASE);
        ModelResult finetuned = find(FINETUNED);
        List<String> gains = new ArrayList<>();
        if (base != null && finetuned != null) {
            for (Metric metric : List.of(Metric.CORPUS_PERPLEXITY, Metric.STUDY_PERPLEXITY, Metric.RESPONSE_PERPLEXITY)) {
                double before = base.value(metric);
                double after = finetuned.value(metric);
                gains.add(String.format(Locale.ROOT, "%s %s -> %s, %.1f%% lower", metric.key(), format(metric, before),
                        format(metric, after), 100 * relativeImprovement(before, after)));
            }
        }
        return gains;
    }

    private ModelResult find(String name) {
        return models.stream().filter(m -> m.name().equals(name)).findFirst().orElse(null);
    }

    /** Perplexities to 2 decimals as the study printed them; bits per byte, a smaller number, to 3. */
    static String format(Metric metric, double value) {
        if (!Double.isFinite(value)) {
            return "-";
        }
        return String.format(Locale.ROOT, metric == Metric.BITS_PER_BYTE ? "%.3f" : "%.2f", value);
    }
}
