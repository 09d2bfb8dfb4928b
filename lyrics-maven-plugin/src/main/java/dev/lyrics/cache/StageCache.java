package dev.lyrics.cache;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectReader;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.lyrics.core.FileManifest;
import dev.lyrics.core.Files2;
import dev.lyrics.core.Json;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The content-addressed store of stage outputs.
 *
 * <pre>
 * cacheDir/entries/&lt;key&gt;/manifest.json   the key, and every file with size and SHA-256; written last
 * cacheDir/entries/&lt;key&gt;/files/...       the outputs
 * cacheDir/tmp/&lt;key&gt;-&lt;uuid&gt;/             an entry being built; renamed into entries/ when complete
 * cacheDir/work/&lt;key&gt;/                  a stage's resumable work area
 * cacheDir/locks/&lt;key&gt;.lock              held while a key is computed and published (a hit needs no lock)
 * cacheDir/last/&lt;stage id&gt;.json           the key description of a stage's last run, to explain misses
 * cacheDir/hash-index.json               hashes of large inputs by path, size and mtime
 * </pre>
 */
public final class StageCache {
    private static final Map<Path, ReentrantLock> IN_PROCESS_LOCKS = new ConcurrentHashMap<>();

    private static final String MANIFEST = "manifest.json";
    private static final String FILES = "files";
    private static final ObjectReader STRICT = Json.MAPPER.reader()
            .with(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .with(JsonParser.Feature.STRICT_DUPLICATE_DETECTION);

    private final Path root;

    public StageCache(Path root) {
        this.root = root.toAbsolutePath().normalize();
    }

    public Path root() {
        return root;
    }

    static String shortKey(String key) {
        return key.length() > 12 ? key.substring(0, 12) : key;
    }

    Path entry(String key) {
        return root.resolve("entries").resolve(key);
    }

    Path workDir(String key) {
        return root.resolve("work").resolve(key);
    }

    Path lastRecord(String stageId) {
        return root.resolve("last").resolve(stageId + ".json");
    }

    public HashIndex hashIndex() {
        return new HashIndex(root.resolve("hash-index.json"));
    }

    /** Why the entry of this key cannot be used, or null when it is complete and intact (see {@link #verify(Path, String)}). */
    public String verify(String key) throws IOException {
        return verify(entry(key), key);
    }

    /**
     * Why a directory cannot serve as the entry of {@code key}, or null when it can: its manifest.json
     * must be a well-formed JSON object naming this key, and files/ must hold exactly the files the
     * manifest lists (none missing, none extra), each of the listed size and SHA-256. Works on any
     * directory, so an entry fetched from elsewhere is checked by the same rules before {@link #install}.
     */
    public static String verify(Path entryDir, String key) throws IOException {
        Path manifestFile = entryDir.resolve(MANIFEST);
        if (!Files.isRegularFile(manifestFile)) {
            return MANIFEST + " missing";
        }
        byte[] bytes = Files.readAllBytes(manifestFile);
        if (bytes.length == 0) {
            return MANIFEST + " is empty";
        }
        JsonNode manifest;
        try {
            manifest = STRICT.readTree(bytes);
        } catch (IOException e) {
            return MANIFEST + " is not well-formed JSON (" + e.getMessage().lines().findFirst().orElse("") + ")";
        }
        if (manifest == null || !manifest.isObject()) {
            return MANIFEST + " is not a JSON object";
        }
        JsonNode recordedKey = manifest.get("key");
        if (recordedKey == null || !recordedKey.isTextual()) {
            return MANIFEST + " names no key";
        }
        if (!recordedKey.asText().equals(key)) {
            return MANIFEST + " is that of another entry (" + shortKey(recordedKey.asText()) + ")";
        }
        if (!(manifest.get("files") instanceof ObjectNode files)) {
            return MANIFEST + " lists no files";
        }
        String problem = FileManifest.check(entryDir.resolve(FILES), files, null);
        return problem == null ? null : "files/" + problem;
    }

    /**
     * Creates the directory an entry is built in (outputs go to its files/); nothing in it is visible as
     * an entry until {@link #publish} or {@link #install}.
     */
    public Path newStaging(String key) throws IOException {
        Path staging = root.resolve("tmp").resolve(key + "-" + UUID.randomUUID());
        Files.createDirectories(staging.resolve(FILES));
        return staging;
    }

    /** Deletes staging directories a killed run left for this key (the caller holds the key's lock). */
    void removeStaleStaging(String key) throws IOException {
        Path tmp = root.resolve("tmp");
        if (!Files.isDirectory(tmp)) {
            return;
        }
        try (var list = Files.list(tmp)) {
            for (Path p : (Iterable<Path>) list.filter(p -> p.getFileName().toString().startsWith(key + "-"))::iterator) {
                Files2.deleteRecursively(p);
            }
        }
    }

    /** Writes the manifest of the files staged under staging/files/ and makes the staged entry the key's entry. */
    public void publish(String key, Path staging) throws IOException {
        Map<String, Object> manifest = new TreeMap<>();
        manifest.put("key", key);
        manifest.put("files", FileManifest.describe(staging.resolve(FILES), null));
        Files.writeString(staging.resolve(MANIFEST), Json.pretty(manifest));
        commit(key, staging);
    }

    /**
     * Makes a complete staged entry, manifest included (one fetched from another cache), the key's entry
     * once it passes {@link #verify(Path, String)}; an entry that does not pass is refused, never installed.
     */
    public void install(String key, Path staging) throws IOException {
        String problem = verify(staging, key);
        if (problem != null) {
            throw new InvalidEntryException(staging, key, problem);
        }
        commit(key, staging);
    }

    /** A staged entry refused by {@link #install}: why it is not a valid entry of its key. */
    public static final class InvalidEntryException extends IOException {
        private final String problem;

        InvalidEntryException(Path staging, String key, String problem) {
            super("staged cache entry " + staging + " is not a valid entry of " + shortKey(key) + ": " + problem);
            this.problem = problem;
        }

        public String problem() {
            return problem;
        }
    }

    /** Flushes the staged files and manifest to disk, renames the directory into place, then flushes that rename. */
    private void commit(String key, Path staging) throws IOException {
        Files2.syncTree(staging);
        Path entry = entry(key);
        Files.createDirectories(entry.getParent());
        discard(key);
        Files.move(staging, entry, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
        Files2.syncDirectory(entry.getParent());
    }

    /** Removes an entry: renamed away first so a half-deleted entry is never seen as an entry. */
    void discard(String key) throws IOException {
        Path entry = entry(key);
        if (Files.exists(entry)) {
            Path doomed = root.resolve("tmp").resolve(key + "-discarded-" + UUID.randomUUID());
            Files.createDirectories(doomed.getParent());
            Files.move(entry, doomed, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
            Files2.deleteRecursively(doomed);
        }
    }

    /** Replaces {@code outputDir} by a copy of the entry's files: copied beside it, then renamed. */
    void restore(String key, Path outputDir) throws IOException {
        replaceDirectory(entry(key).resolve(FILES), outputDir);
    }

    /** Copies {@code from} to a sibling of {@code target}, then swaps it in, so target is never half-written. */
    static void replaceDirectory(Path from, Path target) throws IOException {
        Path parent = target.toAbsolutePath().getParent();
        Files.createDirectories(parent);
        Path fresh = parent.resolve("." + target.getFileName() + ".new-" + UUID.randomUUID());
        Path old = parent.resolve("." + target.getFileName() + ".old-" + UUID.randomUUID());
        try {
            Files2.copyRecursively(from, fresh);
            if (Files.exists(target)) {
                Files.move(target, old, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
            }
            Files.move(fresh, target, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
        } finally {
            Files2.deleteQuietly(fresh);
            Files2.deleteQuietly(old);
        }
    }

    /** Exclusive hold on one key, across threads of this JVM and across processes (a file lock). */
    KeyLock lock(String key, dev.lyrics.core.Log log) throws IOException {
        Path file = root.resolve("locks").resolve(key + ".lock");
        Files.createDirectories(file.getParent());
        ReentrantLock local = IN_PROCESS_LOCKS.computeIfAbsent(file, f -> new ReentrantLock());
        if (!local.tryLock()) {
            log.info("waiting for another build working on cache entry " + key.substring(0, 12));
            local.lock();
        }
        FileChannel channel = null;
        try {
            channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
            FileLock held = channel.tryLock();
            if (held == null) {
                log.info("waiting for another build working on cache entry " + key.substring(0, 12));
                held = channel.lock();
            }
            return new KeyLock(local, channel, held);
        } catch (IOException | RuntimeException e) {
            if (channel != null) {
                channel.close();
            }
            local.unlock();
            throw e;
        }
    }

    /** Released by close(). */
    static final class KeyLock implements AutoCloseable {
        private final ReentrantLock local;
        private final FileChannel channel;
        private final FileLock lock;

        KeyLock(ReentrantLock local, FileChannel channel, FileLock lock) {
            this.local = local;
            this.channel = channel;
            this.lock = lock;
        }

        @Override
        public void close() throws IOException {
            try {
                lock.release();
                channel.close();
            } finally {
                local.unlock();
            }
        }
    }
}
