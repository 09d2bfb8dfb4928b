package dev.lyrics.core;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/** File helpers the JDK lacks: atomic writes, recursive copy and delete, sorted listings. */
public final class Files2 {
    private Files2() {}

    /** Writes text to a sibling temporary file, then renames it over the target: readers never see half a file. */
    public static void writeAtomically(Path file, String text) throws IOException {
        writeAtomically(file, text.getBytes(StandardCharsets.UTF_8));
    }

    public static void writeAtomically(Path file, byte[] bytes) throws IOException {
        writeAtomically(file, tmp -> Files.write(tmp, bytes));
    }

    /** Writes a file's content into a temporary sibling. */
    @FunctionalInterface
    public interface ContentWriter {
        void writeTo(Path tmp) throws IOException;
    }

    /** Lets {@code writer} fill a sibling temporary file, then renames it over the target. */
    public static void writeAtomically(Path file, ContentWriter writer) throws IOException {
        Path parent = file.toAbsolutePath().getParent();
        Files.createDirectories(parent);
        // a plain sibling name, not createTempFile: that would make the published file owner-only (0600)
        Path tmp = parent.resolve("." + file.getFileName() + "." + java.util.UUID.randomUUID() + ".tmp");
        try {
            writer.writeTo(tmp);
            move(tmp, file);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    /** Renames atomically where the file system can, replacing the target. */
    public static void move(Path from, Path to) throws IOException {
        try {
            Files.move(from, to, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(from, to, StandardCopyOption.REPLACE_EXISTING);
        }
    }

    /** Every regular file under dir, as forward-slash relative paths in sorted order. */
    public static List<String> listFiles(Path dir) throws IOException {
        List<String> out = new ArrayList<>();
        try (Stream<Path> walk = Files.walk(dir)) {
            walk.filter(Files::isRegularFile)
                    .map(p -> dir.relativize(p).toString().replace('\\', '/'))
                    .sorted()
                    .forEach(out::add);
        }
        return out;
    }

    public static void deleteRecursively(Path path) throws IOException {
        if (!Files.exists(path)) {
            return;
        }
        Files.walkFileTree(path, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                Files.delete(file);
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult postVisitDirectory(Path dir, IOException exc) throws IOException {
                Files.delete(dir);
                return FileVisitResult.CONTINUE;
            }
        });
    }

    public static void copyRecursively(Path from, Path to) throws IOException {
        Files.createDirectories(to);
        for (String rel : listFiles(from)) {
            Path target = to.resolve(rel);
            Files.createDirectories(target.getParent());
            Files.copy(from.resolve(rel), target, StandardCopyOption.REPLACE_EXISTING);
        }
    }

    /**
     * Flushes every file and directory under {@code dir} (and dir itself) to the storage device, so
     * that a rename done afterwards never publishes files a power cut could still empty.
     */
    public static void syncTree(Path dir) throws IOException {
        List<Path> directories = new ArrayList<>();
        try (Stream<Path> walk = Files.walk(dir)) {
            for (Path p : (Iterable<Path>) walk::iterator) {
                if (Files.isRegularFile(p)) {
                    try (FileChannel channel = FileChannel.open(p, StandardOpenOption.READ)) {
                        channel.force(true);
                    }
                } else if (Files.isDirectory(p)) {
                    directories.add(p);
                }
            }
        }
        for (Path directory : directories) {
            syncDirectory(directory);
        }
    }

    /** Flushes a directory's entries (a rename into it); a no-op where the platform cannot open directories. */
    public static void syncDirectory(Path dir) throws IOException {
        try (FileChannel channel = FileChannel.open(dir, StandardOpenOption.READ)) {
            channel.force(true);
        } catch (AccessDeniedException | UnsupportedOperationException e) {
            // Windows cannot open a directory as a channel; its renames are durable on their own (NTFS journal)
        }
    }

    /** Deletes quietly, for cleanup paths that must not hide the original failure. */
    public static void deleteQuietly(Path path) {
        try {
            deleteRecursively(path);
        } catch (IOException | UncheckedIOException ignored) {
            // best effort: the original failure is what matters
        }
    }
}
