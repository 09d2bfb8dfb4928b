package dev.lyrics.report;

import com.fasterxml.jackson.databind.JsonNode;
import dev.lyrics.core.InputException;
import dev.lyrics.core.Json;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * What the stage runner recorded of a stage's last run in stages/&lt;stage&gt;.json.
 *
 * @param hit         whether that run restored the outputs from the cache
 * @param seconds     how long that run took
 * @param params      the parameters that went into the key
 * @param environment engine, device and dtype, for model stages
 */
public record StageRecord(String goal, String name, String key, boolean hit, double seconds,
        SortedMap<String, String> params, SortedMap<String, String> environment) {

    /** The goals in the order a build runs them; a stage of any other goal comes after, by name. */
    private static final List<String> GOAL_ORDER =
            List.of("scrape", "preprocess", "pretrain", "finetune", "rnn", "perplexity", "generate", "report");

    public String shortKey() {
        return key.length() > 12 ? key.substring(0, 12) : key;
    }

    /** Every record in the directory but {@code exclude}'s, in build order. */
    public static List<StageRecord> readAll(Path recordsDir, String exclude) throws IOException {
        List<StageRecord> records = new ArrayList<>();
        if (!Files.isDirectory(recordsDir)) {
            return records;
        }
        try (Stream<Path> files = Files.list(recordsDir)) {
            for (Path file : files.filter(f -> f.getFileName().toString().endsWith(".json")).sorted().toList()) {
                StageRecord record = read(file);
                if (!record.name().equals(exclude)) {
                    records.add(record);
                }
            }
        }
        records.sort(Comparator.comparingInt(StageRecord::goalRank).thenComparing(StageRecord::name));
        return records;
    }

    static StageRecord read(Path file) throws IOException {
        JsonNode json;
        try {
            json = Json.MAPPER.readTree(file.toFile());
        } catch (com.fasterxml.jackson.core.JacksonException e) {
            throw InputException.at(file, "not a stage record: " + e.getOriginalMessage());
        }
        if (!json.path("name").isTextual() || !json.path("key").isTextual()) {
            throw InputException.at(file, "a stage record needs name and key");
        }
        return new StageRecord(json.path("goal").asText(), json.get("name").asText(), json.get("key").asText(),
                json.path("hit").asBoolean(), json.path("seconds").asDouble(), strings(json.path("params")),
                strings(json.path("environment")));
    }

    private int goalRank() {
        int rank = GOAL_ORDER.indexOf(goal);
        return rank < 0 ? GOAL_ORDER.size() : rank;
    }

    private static SortedMap<String, String> strings(JsonNode object) {
        SortedMap<String, String> out = new TreeMap<>();
        object.fields().forEachRemaining(field -> out.put(field.getKey(), field.getValue().asText()));
        return out;
    }
}
