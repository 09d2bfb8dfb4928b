package dev.lyrics.cache;

import dev.lyrics.core.Files2;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Set;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;

/**
 * A cache entry as one file for a remote store: an uncompressed tar holding manifest.json first,
 * then files/&lt;path&gt; in sorted order, every entry with mode 0644, owner 0 and time 0, so the same
 * entry always makes the same bytes. Uncompressed because most of an entry is model weights, which
 * do not compress.
 */
final class EntryArchive {
    static final String MANIFEST = "manifest.json";
    static final String FILES = "files/";

    private EntryArchive() {}

    /** Packs the entry laid out in {@code entry} (manifest.json and files/) into {@code archive}. */
    static void write(Path entry, Path archive) throws IOException {
        try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(archive), 1 << 16);
                TarArchiveOutputStream tar = new TarArchiveOutputStream(out)) {
            tar.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
            tar.setBigNumberMode(TarArchiveOutputStream.BIGNUMBER_POSIX);
            add(tar, entry.resolve(MANIFEST), MANIFEST);
            Path files = entry.resolve("files");
            for (String rel : Files2.listFiles(files)) {
                add(tar, files.resolve(rel), FILES + rel);
            }
            tar.finish();
        }
    }

    private static void add(TarArchiveOutputStream tar, Path file, String name) throws IOException {
        TarArchiveEntry entry = new TarArchiveEntry(name);
        entry.setSize(Files.size(file));
        entry.setMode(0100644);
        entry.setModTime(0);
        entry.setIds(0, 0);
        entry.setNames("", "");
        tar.putArchiveEntry(entry);
        Files.copy(file, tar);
        tar.closeArchiveEntry();
    }

    /**
     * Unpacks an archive into {@code staging} (which then holds manifest.json and files/). Only regular
     * files named manifest.json or files/&lt;relative path&gt; are accepted, each once; a file shorter
     * than its header says (a truncated download) is an error. Whether the files match the manifest
     * is the caller's check ({@link StageCache#verify(Path, String)}).
     */
    static void read(Path archive, Path staging) throws IOException {
        Set<String> seen = new HashSet<>();
        try (InputStream in = new BufferedInputStream(Files.newInputStream(archive), 1 << 16);
                TarArchiveInputStream tar = new TarArchiveInputStream(in)) {
            TarArchiveEntry entry;
            while ((entry = tar.getNextEntry()) != null) {
                String name = entry.getName();
                if (!entry.isFile()) {
                    throw new IOException("archive entry " + name + " is not a regular file");
                }
                if (!name.equals(MANIFEST) && !(name.startsWith(FILES) && isPlainRelativePath(name.substring(FILES.length())))) {
                    throw new IOException("archive entry " + name + " is neither " + MANIFEST + " nor under " + FILES);
                }
                if (!seen.add(name)) {
                    throw new IOException("archive holds " + name + " twice");
                }
                Path target = staging.resolve(name);
                Files.createDirectories(target.getParent());
                Files.copy(tar, target);
                if (Files.size(target) != entry.getSize()) {
                    throw new IOException("archive truncated in " + name);
                }
            }
        }
        if (!seen.contains(MANIFEST)) {
            throw new IOException("archive has no " + MANIFEST);
        }
    }

    /** a/b.json: no empty, "." or ".." segment, no backslash, not absolute. */
    private static boolean isPlainRelativePath(String path) {
        if (path.isEmpty() || path.indexOf('\\') >= 0 || path.indexOf('\0') >= 0) {
            return false;
        }
        for (String segment : path.split("/", -1)) {
            if (segment.isEmpty() || segment.equals(".") || segment.equals("..")) {
                return false;
            }
        }
        return true;
    }
}
