package dev.lyrics.scrape.genius;

import dev.lyrics.core.Log;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/** Keeps every log line, for assertions on what the scrape says (and never says). */
final class CapturingLog implements Log {
    final List<String> lines = new CopyOnWriteArrayList<>();

    @Override
    public void info(String message) {
        lines.add("INFO " + message);
    }

    @Override
    public void warn(String message) {
        lines.add("WARN " + message);
    }

    @Override
    public void debug(String message) {
        lines.add("DEBUG " + message);
    }

    String text() {
        return String.join("\n", lines);
    }
}
