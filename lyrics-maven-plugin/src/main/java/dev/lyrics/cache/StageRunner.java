package dev.lyrics.cache;

import dev.lyrics.core.Files2;
import dev.lyrics.core.Json;
import dev.lyrics.core.Log;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.commons.codec.digest.DigestUtils;

/**
 * Runs stages through the cache: computes the key, restores a verified entry on a hit, and on a
 * miss says why, runs the work into a staging directory, publishes it atomically and restores it
 * into the stage's output directory. A stage that fails or is killed leaves no entry.
 */
public final class StageRunner {
    /** How the cache is used for this build. */
    public enum Mode {
        /** look up, and store what is computed */
        NORMAL,
        /** ignore existing entries, recompute and replace them */
        REFRESH,
        /** neither read nor write the cache */
        DISABLED
    }

    private static final Set<Path> WARNED_UNWRITABLE = ConcurrentHashMap.newKeySet();

    private final StageCache cache;
    private final Mode mode;
    private final String codeFingerprint;
    private final Path recordsDir;
    private final Log log;
    private final RemoteCache remote;
    private final CacheTally tally;

    /**
     * @param codeFingerprint the code a hand-built spec (one without a code root) is keyed by; null for
     *                        the whole plugin's, hashed only when such a spec runs
     * @param recordsDir      where a JSON record of each stage run (key, hit, time) is written for the report
     */
    public StageRunner(Path cacheDir, Mode mode, String codeFingerprint, Path recordsDir, Log log) {
        this(cacheDir, mode, codeFingerprint, recordsDir, log, null, null);
    }

    /**
     * @param remote a shared store to restore entries from (and push computed ones to), or null
     * @param tally  where the build counts how its stages were answered, or null
     */
    public StageRunner(Path cacheDir, Mode mode, String codeFingerprint, Path recordsDir, Log log, RemoteCache remote,
            CacheTally tally) {
        this.cache = new StageCache(cacheDir);
        this.mode = mode;
        this.codeFingerprint = codeFingerprint;
        this.recordsDir = recordsDir;
        this.log = log;
        this.remote = mode == Mode.DISABLED ? null : remote;
        this.tally = tally;
    }

    /**
     * Runs a core stage under the given name, its outputs published in outputDir: the key is its
     * settings' keyed components, its inputs' contents and the code its class can reach.
     */
    public <S extends Record> StageResult run(Stage<S> stage, String name, S settings, Path outputDir) throws Exception {
        return run(StageSpec.of(stage, name, settings, outputDir), context -> stage.run(settings, context));
    }

    public StageResult run(StageSpec spec, StageWork work) throws Exception {
        long start = System.nanoTime();
        HashIndex hashes = mode == Mode.DISABLED ? HashIndex.none() : cache.hashIndex();
        String code = spec.codeRoot() != null ? CodeFingerprint.ofStage(spec.codeRoot())
                : codeFingerprint != null ? codeFingerprint : CodeFingerprint.ofPlugin();
        StageKey description = StageKey.of(spec, code, hashes);
        writeToCache(hashes::save);
        String key = description.hash();
        String label = "lyrics:" + spec.goal() + (spec.name().equals(spec.goal()) ? "" : " [" + spec.name() + "]");
        Outcome outcome;
        try {
            if (mode == Mode.DISABLED) {
                runUncached(spec, key, work, label, "cache disabled");
                outcome = COMPUTED;
            } else {
                outcome = runCached(spec, key, description, work, label);
            }
        } catch (IOException e) {
            throw StageIoException.of(label, e, mode == Mode.DISABLED ? spec.outputDir().toAbsolutePath().getParent() : cache.root());
        }
        StageResult result = new StageResult(spec.goal(), spec.name(), key, outcome.source(), spec.outputDir(),
                (System.nanoTime() - start) / 1e9, outcome.downloaded(), outcome.uploaded());
        writeRecord(result, spec);
        if (tally != null) {
            tally.add(result);
        }
        return result;
    }

    /** Where a stage's outputs came from, and the bytes moved to or from the remote cache. */
    private record Outcome(StageResult.Source source, long downloaded, long uploaded) {}

    private static final Outcome LOCAL = new Outcome(StageResult.Source.LOCAL, 0, 0);
    private static final Outcome COMPUTED = new Outcome(StageResult.Source.COMPUTED, 0, 0);

    private Outcome runCached(StageSpec spec, String key, StageKey description, StageWork work, String label)
            throws Exception {
        String shortKey = StageCache.shortKey(key);
        String problem = null;
        if (mode == Mode.NORMAL && Files.exists(cache.entry(key))) {
            // a hit takes no lock and writes nothing to the cache: a verified entry is complete and never changes
            problem = cache.verify(key);
            if (problem == null && restoreVerified(spec, key, description, label)) {
                return LOCAL;
            }
        }
        StageCache.KeyLock lock;
        try {
            lock = cache.lock(key, log);
        } catch (IOException e) {
            warnUnwritable(e);
            if (problem != null) {
                log.warn(label + ": cache entry " + shortKey + " is corrupt (" + problem + "); it stays there, as the"
                        + " cache cannot be written");
            }
            runUncached(spec, key, work, label, "cache " + shortKey + " not writable");
            return COMPUTED;
        }
        try (lock) {
            cache.removeStaleStaging(key);
            String discarded = null;
            if (mode == Mode.NORMAL && Files.exists(cache.entry(key))) {
                // another build may have published it while this one waited for the lock
                problem = cache.verify(key);
                if (problem == null) {
                    cache.restore(key, spec.outputDir());
                    log.info(upToDate(label, key));
                    writeToCache(() -> rememberLastRun(spec, description));
                    return LOCAL;
                }
                log.warn(label + ": cache entry " + shortKey + " is corrupt (" + problem + "); discarding it and recomputing");
                cache.discard(key);
                discarded = problem;
            }
            if (mode == Mode.NORMAL && remote != null && remote.usable()) {
                long downloaded = restoreFromRemote(key, label);
                if (downloaded >= 0) {
                    cache.restore(key, spec.outputDir());
                    log.info(label + " restored from remote cache (cache " + shortKey + ", "
                            + CacheTally.size(downloaded) + ")");
                    writeToCache(() -> rememberLastRun(spec, description));
                    return new Outcome(StageResult.Source.REMOTE, downloaded, 0);
                }
            }
            log.info(label + " runs (cache " + shortKey + "): " + String.join(", ", missReasons(spec, description, discarded)));
            Path workDir = cache.workDir(key);
            if (mode == Mode.REFRESH && Files.exists(workDir)) {
                log.info(label + ": discarding the work area of an earlier run (" + workDir + "), as a refresh was requested");
                Files2.deleteRecursively(workDir);
            }
            Path staging = cache.newStaging(key);
            try {
                Files.createDirectories(workDir);
                work.produce(new StageContext(spec, key, staging.resolve("files"), workDir, log));
                cache.publish(key, staging);
                Files2.deleteQuietly(workDir);
            } finally {
                Files2.deleteQuietly(staging);
                deleteIfEmpty(workDir);
            }
            cache.restore(key, spec.outputDir());
            writeToCache(() -> rememberLastRun(spec, description));
            long uploaded = remote != null && remote.pushing() ? pushToRemote(key, label) : 0;
            return new Outcome(StageResult.Source.COMPUTED, 0, uploaded);
        }
    }

    /**
     * Downloads the key's entry into a staging directory, checks every file against its manifest and
     * publishes it as a computed entry is published.
     *
     * @return the bytes downloaded, or -1 when the remote has no usable entry (a warning says why, but
     *         for a plain miss)
     */
    private long restoreFromRemote(String key, String label) throws IOException {
        Path staging = cache.newStaging(key);
        Path archive = staging.resolveSibling(staging.getFileName() + ".tar");
        try {
            long downloaded = remote.download(key, archive);
            if (downloaded < 0) {
                return -1;
            }
            String problem = null;
            try {
                EntryArchive.read(archive, staging);
            } catch (IOException e) {
                problem = e.getMessage();
            }
            if (problem == null) {
                try {
                    // verifies every file against the manifest, then publishes; other I/O errors are the build's
                    cache.install(key, staging);
                    return downloaded;
                } catch (StageCache.InvalidEntryException e) {
                    problem = e.problem();
                }
            }
            log.warn(label + ": " + remote.describe() + " holds a corrupt entry " + StageCache.shortKey(key) + " ("
                    + problem + "); computing locally");
            return -1;
        } catch (RemoteCache.Failure e) {
            log.warn(label + ": " + e.getMessage() + "; computing locally, remote cache off for the rest of this build");
            return -1;
        } finally {
            Files2.deleteQuietly(staging);
            Files2.deleteQuietly(archive);
        }
    }

    /** Uploads the key's published entry; a failure is a warning, never the build's. */
    private long pushToRemote(String key, String label) throws IOException {
        Path archive = cache.root().resolve("tmp").resolve(key + "-upload-" + UUID.randomUUID() + ".tar");
        try {
            Files.createDirectories(archive.getParent());
            EntryArchive.write(cache.entry(key), archive);
            long uploaded = remote.upload(key, archive);
            log.info(label + (uploaded > 0
                    ? " computed; pushed to remote cache (" + CacheTally.size(uploaded) + ")"
                    : " computed; the remote cache has it already"));
            return uploaded;
        } catch (RemoteCache.Failure e) {
            log.warn(label + ": computed, but not pushed: " + e.getMessage() + "; no more pushes in this build");
            return 0;
        } finally {
            Files2.deleteQuietly(archive);
        }
    }

    /** Restores a verified entry without the key's lock; false when it vanished meanwhile (replaced by another build). */
    private boolean restoreVerified(StageSpec spec, String key, StageKey description, String label) throws IOException {
        try {
            cache.restore(key, spec.outputDir());
        } catch (NoSuchFileException e) {
            return false;
        }
        log.info(upToDate(label, key));
        writeToCache(() -> rememberLastRun(spec, description));
        return true;
    }

    private String upToDate(String label, String key) {
        return label + (remote == null ? " up to date (cache " + StageCache.shortKey(key) + ")"
                : " up to date (local), cache " + StageCache.shortKey(key));
    }

    private void runUncached(StageSpec spec, String key, StageWork work, String label, String why) throws Exception {
        log.info(label + " runs (" + why + ")");
        Path parent = spec.outputDir().toAbsolutePath().getParent();
        Path scratch = parent.resolve("." + spec.name() + ".run-" + UUID.randomUUID());
        try {
            Path out = scratch.resolve("files");
            Path workDir = scratch.resolve("work");
            Files.createDirectories(out);
            Files.createDirectories(workDir);
            work.produce(new StageContext(spec, key, out, workDir, log));
            StageCache.replaceDirectory(out, spec.outputDir());
        } finally {
            Files2.deleteQuietly(scratch);
        }
    }

    /**
     * A write the cache can do without (the hash index, the record of the last run): skipped when the cache
     * refuses it, so that a read-only cache serves its hits without a word; the warning comes with the
     * first stage that must be computed and cannot be published.
     */
    private void writeToCache(CacheWrite write) {
        try {
            write.run();
        } catch (IOException e) {
            log.debug("cache " + cache.root() + " not updated: " + StageIoException.describe(e));
        }
    }

    @FunctionalInterface
    private interface CacheWrite {
        void run() throws IOException;
    }

    /** One warning per cache directory and build (JVM), however many stages find it unwritable. */
    private void warnUnwritable(IOException cause) {
        if (WARNED_UNWRITABLE.add(cache.root())) {
            log.warn("the cache " + cache.root() + " cannot be written (" + StageIoException.describe(cause) + "): entries"
                    + " found there are still restored, stages that miss are computed but not published. Make it"
                    + " writable, point -Dlyrics.cacheDir=... at a writable directory, or set -Dlyrics.cache.disable=true");
        }
    }

    private static void deleteIfEmpty(Path dir) {
        try {
            Files.deleteIfExists(dir);
        } catch (IOException e) {
            // not empty (a checkpoint to resume from), or already gone
        }
    }

    private List<String> missReasons(StageSpec spec, StageKey description, String discarded) {
        if (mode == Mode.REFRESH) {
            return List.of("cache refresh requested");
        }
        if (discarded != null) {
            return List.of("entry discarded: " + discarded);
        }
        Path record = cache.lastRecord(stageId(spec));
        if (!Files.isRegularFile(record)) {
            return List.of("no earlier run recorded");
        }
        try {
            StageKey earlier = Json.MAPPER.readValue(record.toFile(), StageKey.class);
            List<String> reasons = description.changesSince(earlier);
            return reasons.isEmpty() ? List.of("entry missing from the cache (removed, or never published)") : reasons;
        } catch (IOException e) {
            return List.of("no readable record of the earlier run");
        }
    }

    private void rememberLastRun(StageSpec spec, StageKey description) throws IOException {
        Json.write(cache.lastRecord(stageId(spec)), description);
    }

    /** Identifies "this stage of this project" across builds, for explaining misses. */
    private static String stageId(StageSpec spec) {
        return DigestUtils.sha256Hex(spec.outputDir().toAbsolutePath().normalize() + "\n" + spec.name());
    }

    /** What the report shows of a stage: its key, whether the cache answered, and the parameters that went into the key. */
    private void writeRecord(StageResult result, StageSpec spec) throws IOException {
        if (recordsDir == null) {
            return;
        }
        Map<String, Object> record = new TreeMap<>();
        record.put("goal", result.goal());
        record.put("name", result.name());
        record.put("key", result.key());
        record.put("hit", result.hit());
        record.put("source", result.source().name().toLowerCase(Locale.ROOT));
        record.put("seconds", Double.parseDouble(String.format(Locale.ROOT, "%.3f", result.seconds())));
        record.put("params", spec.params());
        record.put("environment", spec.environment());
        Json.write(recordsDir.resolve(result.name() + ".json"), record);
    }
}
