package dev.lyrics.cache;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lyrics.core.CapturingLog;
import dev.lyrics.core.Files2;
import java.io.IOException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The damage a killed build, a power cut, a full disk or a read-only mount does to the cache, and what the runner makes of it. */
class StageCacheFaultsTest {
    @TempDir
    Path dir;

    Path cacheDir;
    Path out;
    final CapturingLog log = new CapturingLog();
    final AtomicInteger runs = new AtomicInteger();
    final List<Path> madeReadOnly = new ArrayList<>();

    final StageWork work = context -> {
        runs.incrementAndGet();
        Files.writeString(context.outputDir().resolve("samples.md"), "r=" + context.spec().params().get("lora.r"));
        Files.createDirectories(context.outputDir().resolve("data"));
        Files.writeString(context.outputDir().resolve("data/train.json"), "[1]");
    };

    @BeforeEach
    void setUp() {
        cacheDir = dir.resolve("cache");
        out = dir.resolve("target/lyrics/demo");
    }

    @AfterEach
    void writableAgain() throws Exception {
        for (Path p : madeReadOnly) {
            new ProcessBuilder("chattr", "-i", p.toString()).start().waitFor();
            p.toFile().setWritable(true);
        }
    }

    StageSpec spec(int r) {
        return StageSpec.builder("demo", "demo", out).param("lora.r", r).build();
    }

    StageSpec spec(String goal, String name) {
        return StageSpec.builder(goal, name, out).param("lora.r", 1).build();
    }

    StageRunner runner(StageRunner.Mode mode) {
        return new StageRunner(cacheDir, mode, "code-1", null, log);
    }

    Path entry(String key) {
        return cacheDir.resolve("entries").resolve(key);
    }

    /** Runs once, applies the damage to the entry, runs again: the damage must be found and the stage recomputed. */
    void assertRecomputedAfter(EntryDamage damage, String cause) throws Exception {
        String key = runner(StageRunner.Mode.NORMAL).run(spec(32), work).key();
        damage.apply(entry(key));
        StageResult second = runner(StageRunner.Mode.NORMAL).run(spec(32), work);
        assertFalse(second.hit(), "a damaged entry was served");
        assertEquals(2, runs.get());
        assertEquals("r=32", Files.readString(out.resolve("samples.md")));
        assertEquals("[1]", Files.readString(out.resolve("data/train.json")));
        assertTrue(log.text().contains("WARN lyrics:demo: cache entry " + key.substring(0, 12) + " is corrupt (" + cause),
                log.text());
        assertTrue(log.text().contains("runs (cache " + key.substring(0, 12) + "): entry discarded: " + cause), log.text());
        assertNull(new StageCache(cacheDir).verify(key), "the recomputed entry is whole");
        assertTrue(runner(StageRunner.Mode.NORMAL).run(spec(32), work).hit());
    }

    @FunctionalInterface
    interface EntryDamage {
        void apply(Path entry) throws IOException;
    }

    @Test
    void anEmptiedManifestWithGarbageSamplesIsNotServed() throws Exception {
        assertRecomputedAfter(entry -> {
            Files.writeString(entry.resolve("files/samples.md"), "garbage");
            Files.writeString(entry.resolve("manifest.json"), "");
        }, "manifest.json is empty");
    }

    @Test
    void anEmptyObjectManifestWithADeletedFileIsNotServed() throws Exception {
        assertRecomputedAfter(entry -> {
            Files.delete(entry.resolve("files/data/train.json"));
            Files.writeString(entry.resolve("manifest.json"), "{}");
        }, "manifest.json names no key");
    }

    @Test
    void aManifestOfAnotherKeyIsNotServed() throws Exception {
        assertRecomputedAfter(entry -> Files.writeString(entry.resolve("manifest.json"),
                Files.readString(entry.resolve("manifest.json")).replaceFirst("\"key\" : \"[0-9a-f]{12}",
                        "\"key\" : \"000000000000")), "manifest.json is that of another entry (000000000000)");
    }

    @Test
    void aManifestWithoutFilesIsNotServed() throws Exception {
        assertRecomputedAfter(entry -> Files.writeString(entry.resolve("manifest.json"),
                "{\"key\" : \"" + entry.getFileName() + "\"}"), "manifest.json lists no files");
    }

    @Test
    void aTruncatedManifestIsNotServed() throws Exception {
        assertRecomputedAfter(entry -> Files.writeString(entry.resolve("manifest.json"),
                Files.readString(entry.resolve("manifest.json")).substring(0, 40)), "manifest.json is not well-formed JSON");
    }

    @Test
    void aFileTheManifestDoesNotListIsNotServed() throws Exception {
        assertRecomputedAfter(entry -> Files.writeString(entry.resolve("files/extra.txt"), "x"),
                "files/extra.txt is not in the manifest");
    }

    @Test
    void aMissingListedFileIsNotServed() throws Exception {
        assertRecomputedAfter(entry -> Files.delete(entry.resolve("files/data/train.json")), "files/data/train.json missing");
    }

    @Test
    void publishedFilesAndManifestAreWhole() throws Exception {
        String key = runner(StageRunner.Mode.NORMAL).run(spec(32), work).key();
        String manifest = Files.readString(entry(key).resolve("manifest.json"));
        assertTrue(manifest.contains("\"key\" : \"" + key + "\""), manifest);
        assertTrue(manifest.contains("\"data/train.json\""), manifest);
        assertNull(StageCache.verify(entry(key), key));
    }

    /** What a remote cache layer does: an entry directory built elsewhere, verified and installed by the same rules. */
    @Test
    void anEntryFromElsewhereIsInstalledOnlyWhenItVerifies() throws Exception {
        String key = runner(StageRunner.Mode.NORMAL).run(spec(32), work).key();
        StageCache other = new StageCache(dir.resolve("other-cache"));
        Path staged = other.newStaging(key);
        Files2.deleteRecursively(staged);
        Files2.copyRecursively(entry(key), staged);
        Files.writeString(staged.resolve("files/samples.md"), "tampered");
        IOException refused = assertThrows(IOException.class, () -> other.install(key, staged));
        assertTrue(refused.getMessage().contains("files/samples.md has the wrong size"), refused.getMessage());
        assertFalse(Files.exists(other.entry(key)));

        Path good = other.newStaging(key);
        Files2.deleteRecursively(good);
        Files2.copyRecursively(entry(key), good);
        other.install(key, good);
        assertNull(other.verify(key));
        assertFalse(Files.exists(good));
    }

    @Test
    void aFailedStageLeavesNoEmptyWorkDirectory() throws Exception {
        StageWork failing = context -> {
            throw new IllegalStateException("bad input");
        };
        assertThrows(IllegalStateException.class, () -> runner(StageRunner.Mode.NORMAL).run(spec(32), failing));
        assertEquals(List.of(), list(cacheDir.resolve("work")));
    }

    @Test
    void aFailedStageKeepsAWorkAreaWithSomethingToResumeFrom() throws Exception {
        StageWork failing = context -> {
            Files.writeString(context.workDir().resolve("step-1"), "checkpoint");
            throw new IllegalStateException("killed");
        };
        assertThrows(IllegalStateException.class, () -> runner(StageRunner.Mode.NORMAL).run(spec(32), failing));
        assertEquals(1, list(cacheDir.resolve("work")).size());
    }

    @Test
    void refreshDiscardsTheWorkAreaOfAnEarlierRun() throws Exception {
        StageWork failing = context -> {
            Files.writeString(context.workDir().resolve("step-1"), "damaged checkpoint");
            throw new IllegalStateException("killed");
        };
        assertThrows(IllegalStateException.class, () -> runner(StageRunner.Mode.NORMAL).run(spec(32), failing));
        List<String> seen = new ArrayList<>();
        runner(StageRunner.Mode.REFRESH).run(spec(32), context -> {
            seen.addAll(list(context.workDir()).stream().map(p -> p.getFileName().toString()).toList());
            work.produce(context);
        });
        assertEquals(List.of(), seen, "refresh resumed from the old work area");
        assertTrue(log.text().contains("discarding the work area of an earlier run"), log.text());
    }

    @Test
    void diskFullNamesStageSubStagePathAndWhatToDo() throws Exception {
        StageWork full = context -> {
            throw new FileSystemException(context.workDir().resolve("model.safetensors").toString(), null,
                    "No space left on device");
        };
        StageIoException e = assertThrows(StageIoException.class,
                () -> runner(StageRunner.Mode.NORMAL).run(spec("finetune", "rnn-rnn-char"), full));
        String message = e.getMessage();
        assertTrue(message.startsWith("lyrics:finetune [rnn-rnn-char]: " + cacheDir.toAbsolutePath().resolve("work")), message);
        assertTrue(message.contains("model.safetensors: No space left on device"), message);
        assertTrue(message.contains("Free space"), message);
        assertTrue(message.contains("-Dlyrics.cacheDir=..."), message);
        assertTrue(message.contains("-Dlyrics.cache.disable=true"), message);
    }

    @Test
    void anIoErrorWithoutAPathNamesTheDirectoryWrittenTo() throws Exception {
        StageWork full = context -> {
            throw new IOException("No space left on device");
        };
        StageIoException e = assertThrows(StageIoException.class,
                () -> runner(StageRunner.Mode.NORMAL).run(spec("finetune", "finetune"), full));
        assertTrue(e.getMessage().startsWith("lyrics:finetune: No space left on device (under " + cacheDir.toAbsolutePath()
                + ")"), e.getMessage());
    }

    @Test
    void aCacheThatIsAFileDegradesToComputingWithOneWarning() throws Exception {
        Files.createDirectories(dir);
        Files.writeString(cacheDir, "not a directory");
        assertFalse(runner(StageRunner.Mode.NORMAL).run(spec(32), work).hit());
        assertFalse(runner(StageRunner.Mode.NORMAL).run(spec(16), work).hit());
        assertEquals("r=16", Files.readString(out.resolve("samples.md")));
        assertEquals(1, log.lines.stream().filter(l -> l.startsWith("WARN")).count(), log.text());
        String warning = log.lines.stream().filter(l -> l.startsWith("WARN")).findFirst().orElseThrow();
        assertTrue(warning.contains("the cache " + cacheDir.toAbsolutePath() + " cannot be written"), warning);
        assertTrue(warning.contains("-Dlyrics.cacheDir=..."), warning);
    }

    @Test
    void aReadOnlyCacheRestoresVerifiedEntriesAndComputesMissesWithoutPublishing() throws Exception {
        String key = runner(StageRunner.Mode.NORMAL).run(spec(32), work).key();
        Files2.deleteRecursively(out);
        makeReadOnly(cacheDir);
        StageResult hit = runner(StageRunner.Mode.NORMAL).run(spec(32), work);
        assertTrue(hit.hit());
        assertEquals("r=32", Files.readString(out.resolve("samples.md")));
        assertFalse(log.text().contains("WARN"), "a hit needs no write access: " + log.text());

        assertFalse(runner(StageRunner.Mode.NORMAL).run(spec(16), work).hit());
        assertFalse(runner(StageRunner.Mode.NORMAL).run(spec(8), work).hit());
        assertEquals("r=8", Files.readString(out.resolve("samples.md")));
        assertEquals(1, log.lines.stream().filter(l -> l.startsWith("WARN")).count(), log.text());
        assertEquals(List.of(entry(key)), list(cacheDir.resolve("entries")));
        assertEquals(3, runs.get());
    }

    /** Read-only for every user: POSIX permissions where they bind, the immutable attribute for root. */
    void makeReadOnly(Path root) throws Exception {
        List<Path> all;
        try (Stream<Path> walk = Files.walk(root)) {
            all = walk.toList();
        }
        for (Path p : all) {
            if (Files.isDirectory(p)) {
                Files.setPosixFilePermissions(p, PosixFilePermissions.fromString("r-xr-xr-x"));
            }
            madeReadOnly.add(p);
        }
        Path probe = root.resolve("probe");
        try {
            Files.writeString(probe, "x");
            Files.delete(probe);
        } catch (IOException e) {
            return;
        }
        for (Path p : all) {
            new ProcessBuilder("chattr", "+i", p.toString()).start().waitFor();
        }
        try {
            Files.writeString(probe, "x");
            Files.delete(probe);
            Assumptions.abort("cannot make a directory read-only here (root without chattr)");
        } catch (IOException expected) {
            // read-only now
        }
    }

    static List<Path> list(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) {
            return List.of();
        }
        try (Stream<Path> s = Files.list(dir)) {
            return s.sorted().toList();
        }
    }
}
