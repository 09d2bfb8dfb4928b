package dev.lyrics.eval;

import com.fasterxml.jackson.databind.JsonNode;
import dev.lyrics.core.InputException;
import dev.lyrics.core.Json;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;

/** Every model's figures on the test split, and their two forms: perplexity.json and a Markdown table. */
public record PerplexityResults(List<ModelResult> models, String template) {
    /** The names the study's comparison uses. */
    public static final String BASE = "base";
    public static final String FINETUNED = "finetuned";

    private static final String STUDY_LINE = "The study (Mistral-7B-Instruct-v0.3, LoRA): base 9.35 -> fine-tuned 7.20, 22.9% lower.";

    public PerplexityResults {
        models = List.copyOf(models);
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
        json.put("template", template);
        return json;
    }

    /** model -> metric -> value, from a perplexity.json; metrics without a value are left out. */
    public static SortedMap<String, SortedMap<String, Double>> readValues(Path file) throws IOException {
        JsonNode models = Json.MAPPER.readTree(file.toFile()).path("models");
        if (!models.isObject()) {
            throw InputException.at(file, "no \"models\" object");
        }
        SortedMap<String, SortedMap<String, Double>> values = new TreeMap<>();
        models.fields().forEachRemaining(model -> {
            SortedMap<String, Double> metrics = new TreeMap<>();
            model.getValue().path("metrics").fields().forEachRemaining(metric -> {
                JsonNode value = metric.getValue().path("value");
                if (value.isNumber()) {
                    metrics.put(metric.getKey(), value.doubleValue());
                }
            });
            values.put(model.getKey(), metrics);
        });
        return values;
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
