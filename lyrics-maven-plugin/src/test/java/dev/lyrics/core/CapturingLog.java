package dev.lyrics.core;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/** Keeps every log line, for tests that assert on what a stage says (and never says). */
public final class CapturingLog implements Log {
    public final List<String> lines = new CopyOnWriteArrayList<>();

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

    /** Every line so far, one per line. */
    public String text() {
        return String.join("\n", lines);
    }
}
