package dev.lyrics.cache;

import java.nio.file.Path;

/** How a stage ended: its key, whether the cache answered, and where its outputs are. */
public record StageResult(String goal, String name, String key, boolean hit, Path outputDir, double seconds) {
    public String shortKey() {
        return key.substring(0, 12);
    }
}
