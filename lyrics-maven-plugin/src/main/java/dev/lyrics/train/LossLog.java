package dev.lyrics.train;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.databind.JsonNode;
import dev.lyrics.core.InputException;
import dev.lyrics.core.Json;
import java.io.BufferedWriter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * loss.jsonl, the per-step log every trainer writes and the report plots: one JSON object per line
 * with split, epoch, step and loss, plus optional fields (lr, tokens_per_s, grad_norm). Flushed
 * every line so a killed run leaves a readable log. {@link #read} reads one back.
 */
public final class LossLog implements AutoCloseable {
    public static final String FILE = "loss.jsonl";

    private final BufferedWriter out;

    /** Starts an empty log, replacing any earlier file. */
    public LossLog(Path file) throws IOException {
        Files.createDirectories(file.toAbsolutePath().getParent());
        out = Files.newBufferedWriter(file, StandardCharsets.UTF_8);
    }

    /** @param extra optional fields, such as "lr" or "tokens_per_s" */
    public void write(String split, double epoch, int step, double loss, Map<String, ?> extra) throws IOException {
        Map<String, Object> record = new LinkedHashMap<>(extra);
        record.put("split", split);
        record.put("epoch", epoch);
        record.put("step", step);
        record.put("loss", loss);
        out.write(Json.compact(record));
        out.write('\n');
        out.flush();
    }

    @Override
    public void close() throws IOException {
        out.close();
    }

    /** One logged loss (a fractional epoch is read as its whole part). */
    public record Point(String split, int epoch, long step, double loss) {}

    /**
     * A stage's log as read back.
     *
     * @param stage  the stage that wrote it
     * @param points every line, in file order: train and validation interleaved as the trainer wrote them
     */
    public record Curve(String stage, List<Point> points) {
        /** The points of each split ("train", "validation"), splits in sorted order. */
        public Map<String, List<Point>> bySplit() {
            Map<String, List<Point>> out = new TreeMap<>();
            for (Point point : points) {
                out.computeIfAbsent(point.split(), split -> new ArrayList<>()).add(point);
            }
            return out;
        }
    }

    /** Reads the log {@code stage} wrote; a line that is not a loss record is an error naming file and line. */
    public static Curve read(String stage, Path file) throws IOException {
        List<Point> points = new ArrayList<>();
        List<String> lines = Files.readAllLines(file);
        for (int i = 0; i < lines.size(); i++) {
            if (lines.get(i).isBlank()) {
                continue;
            }
            JsonNode line;
            try {
                line = Json.MAPPER.readTree(lines.get(i));
            } catch (JacksonException e) {
                throw InputException.at(file, i + 1, "not a JSON object: " + e.getOriginalMessage());
            }
            if (!line.path("split").isTextual() || !line.path("step").isNumber() || !line.path("loss").isNumber()) {
                throw InputException.at(file, i + 1, "a loss line needs split, step and loss");
            }
            points.add(new Point(line.get("split").asText(), line.path("epoch").asInt(), line.get("step").asLong(),
                    line.get("loss").asDouble()));
        }
        return new Curve(stage, points);
    }
}
