package dev.lyrics.cache;

import com.fasterxml.jackson.core.type.TypeReference;
import dev.lyrics.core.Json;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.Map;
import java.util.TreeMap;
import org.apache.commons.codec.digest.DigestUtils;

/**
 * SHA-256 of input files, remembering the hash of large files by (absolute path, size, mtime) so a
 * 15 GB base model is hashed once, not on every build. Small files are always hashed: that is
 * cheaper than trusting timestamps.
 */
public final class HashIndex {
    /** Files at least this large are looked up in the index before hashing. */
    static final long INDEXED_SIZE = 1L << 20;

    private final Path indexFile;
    private final Map<String, Entry> entries = new TreeMap<>();
    private boolean dirty;

    /** What the index knows of one file. */
    public record Entry(long size, long mtimeMillis, String sha256) {}

    public HashIndex(Path indexFile) {
        this.indexFile = indexFile;
        if (indexFile != null && Files.isRegularFile(indexFile)) {
            try {
                entries.putAll(Json.MAPPER.readValue(indexFile.toFile(), new TypeReference<Map<String, Entry>>() {}));
            } catch (IOException e) {
                // a damaged index only costs rehashing; it is rewritten on save
                entries.clear();
                dirty = true;
            }
        }
    }

    /** An index that remembers nothing (every file hashed). */
    public static HashIndex none() {
        return new HashIndex(null);
    }

    public synchronized String sha256(Path file) throws IOException {
        BasicFileAttributes attrs = Files.readAttributes(file, BasicFileAttributes.class);
        long size = attrs.size();
        long mtime = attrs.lastModifiedTime().toMillis();
        String id = file.toAbsolutePath().normalize().toString();
        if (size >= INDEXED_SIZE && indexFile != null) {
            Entry known = entries.get(id);
            if (known != null && known.size() == size && known.mtimeMillis() == mtime) {
                return known.sha256();
            }
        }
        String hash;
        try (InputStream in = Files.newInputStream(file)) {
            hash = DigestUtils.sha256Hex(in);
        }
        if (size >= INDEXED_SIZE && indexFile != null) {
            entries.put(id, new Entry(size, mtime, hash));
            dirty = true;
        }
        return hash;
    }

    /** Hash of every file under a path: a file maps "" to its hash, a directory its sorted relative paths. */
    public Map<String, String> hashTree(Path path) throws IOException {
        Map<String, String> out = new TreeMap<>();
        if (Files.isRegularFile(path)) {
            out.put("", sha256(path));
        } else if (Files.isDirectory(path)) {
            for (String rel : dev.lyrics.core.Files2.listFiles(path)) {
                out.put(rel, sha256(path.resolve(rel)));
            }
        } else {
            throw new java.nio.file.NoSuchFileException(path.toString(), null, "input does not exist");
        }
        return out;
    }

    public synchronized void save() throws IOException {
        if (dirty && indexFile != null) {
            Json.write(indexFile, entries);
            dirty = false;
        }
    }
}
