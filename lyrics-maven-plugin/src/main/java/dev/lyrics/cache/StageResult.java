package dev.lyrics.cache;

import java.nio.file.Path;

/**
 * How a stage ended: its key, where its outputs came from, and where they are.
 *
 * @param bytesDownloaded the size of the entry restored from the remote cache, else 0
 * @param bytesUploaded   the size of the entry pushed to the remote cache, else 0
 */
public record StageResult(String goal, String name, String key, Source source, Path outputDir, double seconds,
        long bytesDownloaded, long bytesUploaded) {
    /** Where a stage's outputs came from. */
    public enum Source {
        /** an entry of the local cache */
        LOCAL,
        /** an entry of the remote cache, verified and published locally */
        REMOTE,
        /** the stage's work, run in this build (also every run with the cache disabled) */
        COMPUTED
    }

    /** Whether a cache answered, so the stage's work did not run. */
    public boolean hit() {
        return source != Source.COMPUTED;
    }

    public String shortKey() {
        return key.substring(0, 12);
    }
}
