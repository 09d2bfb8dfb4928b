package dev.lyrics.cache;

import dev.lyrics.core.Log;
import java.nio.file.Path;

/**
 * What a stage's work sees: an empty directory to write its outputs to, a persistent work area
 * for its key (checkpoints, page stores: it survives a killed run and is deleted after a
 * successful publish), and the log.
 */
public record StageContext(StageSpec spec, String key, Path outputDir, Path workDir, Log log) {}
