package dev.lyrics.generate;

import com.fasterxml.jackson.annotation.JsonProperty;
import dev.lyrics.core.InputException;
import dev.lyrics.core.Json;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * samples.json: the settings, every sample with its metrics, and the same metrics averaged over
 * the test songs, so a reader can tell a model's repetition from the genre's.
 *
 * @param settings  the sampling settings (temperature: the default, before per-artist overrides)
 * @param seed      the seed every sample's own seed is derived from
 * @param reference the metrics' mean over the held-out songs
 * @param samples   in model order, then artist order
 */
public record Samples(
        @JsonProperty("settings") SamplingSettings settings,
        @JsonProperty("seed") long seed,
        @JsonProperty("reference") Reference reference,
        @JsonProperty("samples") List<Sample> samples) {

    /**
     * @param source where the songs came from
     * @param songs  how many
     * @param mean   each numeric metric of {@link SampleMetrics}, averaged over the songs
     */
    public record Reference(
            @JsonProperty("source") String source,
            @JsonProperty("songs") int songs,
            @JsonProperty("mean") Map<String, Double> mean) {}

    public static Samples read(Path file) throws IOException {
        try {
            return Json.MAPPER.readValue(file.toFile(), Samples.class);
        } catch (com.fasterxml.jackson.core.JacksonException e) {
            throw InputException.at(file, "not a samples file: " + e.getOriginalMessage());
        }
    }
}
