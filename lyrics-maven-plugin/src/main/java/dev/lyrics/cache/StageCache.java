package dev.lyrics.cache;

import com.fasterxml.jackson.databind.JsonNode;
import dev.lyrics.core.Files2;
import dev.lyrics.core.Json;
import java.io.IOException;
import java.io.InputStream;
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
import org.apache.commons.codec.digest.DigestUtils;

/**
 * The content-addressed store of stage outputs.
 *
 * <pre>
 * cacheDir/entries/&lt;key&gt;/manifest.json   files with size and SHA-256; written last
 * cacheDir/entries/&lt;key&gt;/files/...       the outputs
 * cacheDir/tmp/&lt;key&gt;-&lt;uuid&gt;/             an entry being built; renamed into entries/ when complete
 * cacheDir/work/&lt;key&gt;/                  a stage's resumable work area
 * cacheDir/locks/&lt;key&gt;.lock              held while a key is looked up, computed and published
 * cacheDir/last/&lt;stage id&gt;.json           the key description of a stage's last run, to explain misses
 * cacheDir/hash-index.json               hashes of large inputs by path, size and mtime
 * </pre>
 */
public final class StageCache {
    private static final Map<Path, ReentrantLock> IN_PROCESS_LOCKS = new ConcurrentHashMap<>();

    private final Path root;

    public StageCache(Path root) {
        this.root = root.toAbsolutePath().normalize();
    }

    public Path root() {
        return root;
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

    /** Why an entry cannot be used, or null when it is complete and every file matches its manifest. */
    String verify(String key) throws IOException {
        return verify(entry(key), key);
    }

    /**
     * Why the entry laid out in {@code entry} (manifest.json and files/) cannot be used as {@code key}'s, or null;
     * also checks downloaded entries in their staging directory before they are published.
     */
    String verify(Path entry, String key) throws IOException {
        Path manifest = entry.resolve("manifest.json");
        if (!Files.isRegularFile(manifest)) {
            return "manifest.json missing";
        }
        JsonNode files;
        try {
            files = Json.MAPPER.readTree(manifest.toFile()).path("files");
        } catch (IOException e) {
            return "manifest.json unreadable (" + e.getMessage() + ")";
        }
        for (Map.Entry<String, JsonNode> file : (Iterable<Map.Entry<String, JsonNode>>) files::fields) {
            Path path = entry.resolve("files").resolve(file.getKey());
            if (!Files.isRegularFile(path)) {
                return file.getKey() + " missing";
            }
            if (Files.size(path) != file.getValue().path("size").asLong()) {
                return file.getKey() + " has the wrong size";
            }
            String hash;
            try (InputStream in = Files.newInputStream(path)) {
                hash = DigestUtils.sha256Hex(in);
            }
            if (!hash.equals(file.getValue().path("sha256").asText())) {
                return file.getKey() + " does not match its hash";
            }
        }
        return null;
    }

    /** Creates the directory an entry is built in; nothing in it is visible as an entry until {@link #publish}. */
    Path newStaging(String key) throws IOException {
        Path staging = root.resolve("tmp").resolve(key + "-" + UUID.randomUUID());
        Files.createDirectories(staging.resolve("files"));
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

    /** Writes the manifest of a staged entry and renames it into place. */
    void publish(String key, Path staging) throws IOException {
        Path files = staging.resolve("files");
        Map<String, Object> manifestFiles = new TreeMap<>();
        for (String rel : Files2.listFiles(files)) {
            Path path = files.resolve(rel);
            String hash;
            try (InputStream in = Files.newInputStream(path)) {
                hash = DigestUtils.sha256Hex(in);
            }
            manifestFiles.put(rel, Map.of("sha256", hash, "size", Files.size(path)));
        }
        Map<String, Object> manifest = new TreeMap<>();
        manifest.put("key", key);
        manifest.put("files", manifestFiles);
        Files.writeString(staging.resolve("manifest.json"), Json.pretty(manifest));
        moveIntoPlace(key, staging);
    }

    /** Renames a complete staged entry (manifest written, files verified) into place, replacing any old one. */
    void moveIntoPlace(String key, Path staging) throws IOException {
        Path entry = entry(key);
        Files.createDirectories(entry.getParent());
        discard(key);
        Files.move(staging, entry, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
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
        replaceDirectory(entry(key).resolve("files"), outputDir);
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
