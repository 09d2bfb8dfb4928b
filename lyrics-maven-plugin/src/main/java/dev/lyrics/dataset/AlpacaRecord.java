package dev.lyrics.dataset;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import dev.lyrics.core.InputException;
import dev.lyrics.core.Json;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * One record of an Alpaca data set (train.json, test.json): a JSON array of these objects.
 *
 * @param instruction what is asked ("Write a song in the style of David.")
 * @param input       further context, often empty
 * @param output      the expected response: the lyrics
 */
public record AlpacaRecord(
        @JsonProperty("instruction") String instruction,
        @JsonProperty("input") String input,
        @JsonProperty("output") String output) {

    /** Reads an Alpaca JSON array; a record without instruction or output names the file and its index. */
    public static List<AlpacaRecord> read(Path file) throws IOException {
        if (!Files.isRegularFile(file)) {
            throw InputException.at(file, "Alpaca data set not found");
        }
        JsonNode root;
        try {
            root = Json.MAPPER.readTree(file.toFile());
        } catch (JsonProcessingException e) {
            throw InputException.at(file, "not JSON (" + e.getOriginalMessage() + ")");
        }
        if (root == null || !root.isArray()) {
            throw InputException.at(file, "must be a JSON array of {\"instruction\", \"input\", \"output\"} records");
        }
        List<AlpacaRecord> records = new ArrayList<>();
        for (JsonNode node : root) {
            int index = records.size();
            if (!node.isObject() || !node.path("instruction").isTextual() || !node.path("output").isTextual()) {
                throw InputException.at(file, "record " + index + " needs text fields instruction and output");
            }
            records.add(new AlpacaRecord(node.get("instruction").asText(), node.path("input").asText(""),
                    node.get("output").asText()));
        }
        return records;
    }
}
