package dev.lyrics.report;

import com.fasterxml.jackson.databind.JsonNode;
import dev.lyrics.core.InputException;
import dev.lyrics.core.Json;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * A model stage's loss.jsonl: one {"split","epoch","step","loss",...} object per line, train and
 * validation interleaved as the trainer wrote them.
 *
 * @param stage  the stage that wrote it
 * @param points every line, in file order
 */
public record LossLog(String stage, List<Point> points) {
    /** One logged loss. */
    public record Point(String split, int epoch, long step, double loss) {}

    public static LossLog read(String stage, Path file) throws IOException {
        List<Point> points = new ArrayList<>();
        List<String> lines = Files.readAllLines(file);
        for (int i = 0; i < lines.size(); i++) {
            if (lines.get(i).isBlank()) {
                continue;
            }
            JsonNode line;
            try {
                line = Json.MAPPER.readTree(lines.get(i));
            } catch (com.fasterxml.jackson.core.JacksonException e) {
                throw InputException.at(file, i + 1, "not a JSON object: " + e.getOriginalMessage());
            }
            if (!line.path("split").isTextual() || !line.path("step").isNumber() || !line.path("loss").isNumber()) {
                throw InputException.at(file, i + 1, "a loss line needs split, step and loss");
            }
            points.add(new Point(line.get("split").asText(), line.path("epoch").asInt(), line.get("step").asLong(),
                    line.get("loss").asDouble()));
        }
        return new LossLog(stage, points);
    }

    /** The points of each split ("train", "validation"), splits in sorted order. */
    public Map<String, List<Point>> bySplit() {
        Map<String, List<Point>> out = new TreeMap<>();
        for (Point point : points) {
            out.computeIfAbsent(point.split(), split -> new ArrayList<>()).add(point);
        }
        return out;
    }
}
