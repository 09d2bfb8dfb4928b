package dev.lyrics.train;

import dev.lyrics.core.Json;
import java.io.BufferedWriter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * loss.jsonl, the shared per-step log the report plots: one JSON object per line with split,
 * epoch, step and loss, plus optional fields (lr, tokens_per_s, grad_norm). Flushed every line so
 * a killed run leaves a readable log.
 */
public final class LossLog implements AutoCloseable {
    public static final String FILE = "loss.jsonl";

    private final BufferedWriter out;

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
}
