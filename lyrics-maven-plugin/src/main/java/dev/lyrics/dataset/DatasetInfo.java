package dev.lyrics.dataset;

import com.fasterxml.jackson.databind.JsonNode;
import dev.lyrics.core.Json;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * dataset_info.json as {@link Preprocessor} writes it, read back for the stages and the report: a
 * figure the file lacks is null, so a reader can show it as absent.
 *
 * @param train        the training split's totals and artists
 * @param test         the test split's
 * @param vocabularies by level ("char", "word"), in file order
 * @param split        how the split was made (test_fraction, seed, ...) as text, in file order; null when absent
 * @param overlaps     songs that share phrases, kept on one side of the split
 */
public record DatasetInfo(Split train, Split test, Map<String, Vocabulary> vocabularies, Map<String, String> split,
        List<Overlap> overlaps) {

    /** Totals of a split or of one artist in it. */
    public record Counts(Long songs, Long lines, Long words, Long chars) {}

    /** A split's totals, and its artists in sorted order. */
    public record Split(Counts totals, SortedMap<String, Counts> artists) {}

    /** @param testOovRate share of the test split's units outside the vocabulary */
    public record Vocabulary(Long size, Long minCount, Double testOovRate) {}

    /** @param shared share of the smaller song's phrases found in the other; side: "train" or "test" */
    public record Overlap(List<String> songs, Double shared, String side) {}

    public static DatasetInfo read(Path file) throws IOException {
        JsonNode info = Json.readTree(file);
        Map<String, Vocabulary> vocabularies = new LinkedHashMap<>();
        info.path("vocab").fields().forEachRemaining(level -> vocabularies.put(level.getKey(), new Vocabulary(
                integer(level.getValue().path("size")), integer(level.getValue().path("min_count")),
                decimal(level.getValue().path("test_oov_rate")))));
        Map<String, String> split = null;
        if (info.path("split").isObject()) {
            Map<String, String> settings = new LinkedHashMap<>();
            info.path("split").fields().forEachRemaining(f -> settings.put(f.getKey(), f.getValue().asText()));
            split = Collections.unmodifiableMap(settings);
        }
        List<Overlap> overlaps = new ArrayList<>();
        for (JsonNode overlap : info.path("overlaps").isArray() ? info.path("overlaps") : Json.MAPPER.createArrayNode()) {
            List<String> songs = new ArrayList<>();
            overlap.path("songs").forEach(song -> songs.add(song.asText()));
            overlaps.add(new Overlap(List.copyOf(songs), decimal(overlap.path("shared")), overlap.path("side").asText()));
        }
        return new DatasetInfo(split(info.path("train")), split(info.path("test")), Collections.unmodifiableMap(vocabularies),
                split, List.copyOf(overlaps));
    }

    /** The artists of the training split, in sorted order; empty when the file lists none. */
    public List<String> trainingArtists() {
        return List.copyOf(train.artists().keySet());
    }

    private static Split split(JsonNode split) {
        SortedMap<String, Counts> artists = new TreeMap<>();
        split.path("artists").fields().forEachRemaining(artist -> artists.put(artist.getKey(), counts(artist.getValue())));
        return new Split(counts(split), Collections.unmodifiableSortedMap(artists));
    }

    private static Counts counts(JsonNode node) {
        return new Counts(integer(node.path("songs")), integer(node.path("lines")), integer(node.path("words")),
                integer(node.path("chars")));
    }

    private static Long integer(JsonNode value) {
        return value.isNumber() ? value.asLong() : null;
    }

    private static Double decimal(JsonNode value) {
        return value.isNumber() ? value.asDouble() : null;
    }
}
