package dev.lyrics.core;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.TreeSet;
import org.apache.commons.codec.digest.DigestUtils;

/**
 * The size and SHA-256 of every file under a directory ({"path": {"sha256": ..., "size": ...}}), and
 * the check that a directory holds exactly those files, intact: none missing, none extra, none
 * changed. Cache entries and training checkpoints are both recognised as whole this way.
 */
public final class FileManifest {
    private FileManifest() {}

    /**
     * @param skip a top-level file name left out (the manifest itself when it lies among the files), or null
     */
    public static SortedMap<String, Object> describe(Path dir, String skip) throws IOException {
        SortedMap<String, Object> files = new TreeMap<>();
        for (String rel : files(dir, skip)) {
            Path path = dir.resolve(rel);
            files.put(rel, Map.of("sha256", sha256(path), "size", Files.size(path)));
        }
        return files;
    }

    /**
     * Why the files under {@code dir} are not exactly those {@code manifest} describes, or null when they are.
     *
     * @param manifest the object {@link #describe} made, as read back (anything else is a problem, not an exception)
     * @param skip     as for {@link #describe}
     */
    public static String check(Path dir, JsonNode manifest, String skip) throws IOException {
        if (manifest == null || !manifest.isObject()) {
            return "the manifest has no files object";
        }
        if (!Files.isDirectory(dir)) {
            return dir.getFileName() + "/ missing";
        }
        TreeSet<String> listed = new TreeSet<>();
        manifest.fieldNames().forEachRemaining(listed::add);
        TreeSet<String> present = new TreeSet<>(files(dir, skip));
        for (String rel : listed) {
            if (!present.contains(rel)) {
                return rel + " missing";
            }
        }
        for (String rel : present) {
            if (!listed.contains(rel)) {
                return rel + " is not in the manifest";
            }
        }
        for (String rel : listed) {
            JsonNode file = manifest.get(rel);
            JsonNode size = file.path("size");
            JsonNode hash = file.path("sha256");
            if (!size.isIntegralNumber() || !hash.isTextual() || !hash.asText().matches("[0-9a-f]{64}")) {
                return "the manifest's record of " + rel + " lacks a size or sha256";
            }
            Path path = dir.resolve(rel);
            if (Files.size(path) != size.asLong()) {
                return rel + " has the wrong size (" + Files.size(path) + " bytes, manifest says " + size.asLong() + ")";
            }
            if (!sha256(path).equals(hash.asText())) {
                return rel + " does not match its hash";
            }
        }
        return null;
    }

    private static List<String> files(Path dir, String skip) throws IOException {
        List<String> files = new ArrayList<>(Files2.listFiles(dir));
        if (skip != null) {
            files.remove(skip);
        }
        return files;
    }

    private static String sha256(Path file) throws IOException {
        try (InputStream in = Files.newInputStream(file)) {
            return DigestUtils.sha256Hex(in);
        }
    }
}
