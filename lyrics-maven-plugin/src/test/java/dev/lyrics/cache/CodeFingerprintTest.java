package dev.lyrics.cache;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.Map;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CodeFingerprintTest {
    private static final Map<String, String> PLUGIN = Map.of(
            "dev/lyrics/A.class", "alpha",
            "dev/lyrics/sub/B.txt", "beta",
            "org/other/C.class", "gamma");

    /**
     * Worked out with coreutils, the plugin's entries in sorted order, each "name NUL sha256hex(content) LF":
     * a=$(printf alpha | sha256sum | cut -d' ' -f1); b=$(printf beta | sha256sum | cut -d' ' -f1);
     * printf 'dev/lyrics/A.class\0%s\ndev/lyrics/sub/B.txt\0%s\n' $a $b | sha256sum
     */
    private static final String EXPECTED = "fd53692fe04b633eb4253a011058b120272d0e82c06b4196ec1d8e1a08049bfa";

    @TempDir
    Path dir;

    private Path classesDirectory(Map<String, String> files) throws IOException {
        Path classes = Files.createTempDirectory(dir, "classes");
        for (Map.Entry<String, String> file : files.entrySet()) {
            Path path = classes.resolve(file.getKey());
            Files.createDirectories(path.getParent());
            Files.writeString(path, file.getValue());
        }
        return classes;
    }

    /** A jar with the entries in the given order, every one stamped with the given time. */
    private Path jar(String name, FileTime time, String... namesAndContents) throws IOException {
        Path jar = dir.resolve(name);
        try (OutputStream out = Files.newOutputStream(jar); JarOutputStream entries = new JarOutputStream(out)) {
            for (int i = 0; i < namesAndContents.length; i += 2) {
                JarEntry entry = new JarEntry(namesAndContents[i]);
                entry.setLastModifiedTime(time);
                entries.putNextEntry(entry);
                entries.write(namesAndContents[i + 1].getBytes(StandardCharsets.UTF_8));
                entries.closeEntry();
            }
        }
        return jar;
    }

    @Test
    void aClassesDirectoryHashesItsPluginEntriesInSortedOrder() throws IOException {
        assertEquals(EXPECTED, CodeFingerprint.of(classesDirectory(PLUGIN)));
    }

    @Test
    void aJarWithTheSameCodeHasTheSameFingerprintWhateverItsOrderAndTimestamps() throws IOException {
        Path early = jar("early.jar", FileTime.fromMillis(0),
                "org/other/C.class", "gamma", "dev/lyrics/sub/B.txt", "beta", "dev/lyrics/A.class", "alpha");
        Path late = jar("late.jar", FileTime.fromMillis(1_700_000_000_000L),
                "dev/lyrics/A.class", "alpha", "META-INF/build.txt", "built today", "dev/lyrics/sub/B.txt", "beta");
        assertEquals(EXPECTED, CodeFingerprint.of(early));
        assertEquals(EXPECTED, CodeFingerprint.of(late));
    }

    @Test
    void anyByteOfThePluginsCodeChangesItAndNothingElseDoes() throws IOException {
        assertNotEquals(EXPECTED, CodeFingerprint.of(classesDirectory(Map.of(
                "dev/lyrics/A.class", "alphA", "dev/lyrics/sub/B.txt", "beta"))), "a changed class");
        assertNotEquals(EXPECTED, CodeFingerprint.of(classesDirectory(Map.of(
                "dev/lyrics/A.class", "alpha", "dev/lyrics/sub/B.txt", "beta", "dev/lyrics/New.class", ""))), "an added class");
        assertNotEquals(EXPECTED, CodeFingerprint.of(classesDirectory(Map.of(
                "dev/lyrics/A.class", "alpha", "dev/lyrics/B.txt", "beta"))), "a moved resource");
        assertEquals(EXPECTED, CodeFingerprint.of(classesDirectory(Map.of(
                "dev/lyrics/A.class", "alpha", "dev/lyrics/sub/B.txt", "beta", "org/other/C.class", "changed"))),
                "code outside dev/lyrics is not the plugin's");
    }
}
