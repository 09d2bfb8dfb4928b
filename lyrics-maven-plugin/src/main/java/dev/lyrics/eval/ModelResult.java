package dev.lyrics.eval;

import dev.lyrics.lm.SlidingWindow;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;

/**
 * What one model scored on the test split.
 *
 * @param model  the model and the stage that built it
 * @param unit   what one unit is for this model ("token", "char", "word")
 * @param window how long texts were cut, or null when the model reads any length at once
 * @param tally  the sums every metric is computed from
 */
public record ModelResult(ModelUnderTest model, String unit, SlidingWindow window, ScoreTally tally) {
    public String name() {
        return model.name();
    }

    public double value(Metric metric) {
        return metric.value(tally);
    }

    /** The model's entry in perplexity.json. */
    Map<String, Object> toJson() {
        Map<String, Object> json = new TreeMap<>();
        json.put("family", model.family().id());
        json.put("unit", unit);
        json.put("model_dir", model.modelDir().getFileName().toString());
        json.put("adapter_dir", model.adapterDir() == null ? null : model.adapterDir().getFileName().toString());
        json.put("stage", model.stage());
        json.put("stage_key", model.stageKey());
        json.put("window", window == null ? null : Map.of("context", window.context(), "stride", window.stride()));
        Map<String, Object> counts = new TreeMap<>();
        counts.put("texts", tally.texts());
        counts.put("windows", tally.windows());
        counts.put("units", tally.units());
        counts.put("response_units", tally.responseUnits());
        counts.put("lyrics_units", tally.lyricsUnits());
        counts.put("response_bytes", tally.responseBytes());
        counts.put("response_words", tally.responseWords());
        json.put("counts", counts);
        Map<String, Object> metrics = new LinkedHashMap<>();
        for (Metric metric : Metric.values()) {
            Map<String, Object> figure = new TreeMap<>();
            double value = metric.value(tally);
            figure.put("value", PerplexityResults.jsonNumber(value));
            figure.put("nll", PerplexityResults.jsonNumber(metric.nll(tally)));
            figure.put("count", metric.count(tally));
            figure.put("averaged_over", metric.averagedOver());
            figure.put("scored_text", metric.scoredText(model.family()));
            metrics.put(metric.key(), figure);
        }
        json.put("metrics", metrics);
        return json;
    }
}
