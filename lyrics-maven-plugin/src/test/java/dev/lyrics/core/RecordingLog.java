package dev.lyrics.core;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/** A log that keeps its info and warning lines ("INFO ...", "WARN ...") for assertions; debug is dropped. */
public final class RecordingLog implements Log {
    private final List<String> lines = Collections.synchronizedList(new ArrayList<>());

    @Override
    public void info(String message) {
        lines.add("INFO " + message);
    }

    @Override
    public void warn(String message) {
        lines.add("WARN " + message);
    }

    @Override
    public void debug(String message) {}

    public List<String> lines() {
        return lines;
    }
}
