package dev.lyrics.cache;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lyrics.core.Files2;
import dev.lyrics.core.CapturingLog;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class StageRunnerTest {
    @TempDir
    Path dir;

    Path cacheDir;
    Path input;
    Path out;
    final CapturingLog log = new CapturingLog();
    final List<String> lines = log.lines;
    final AtomicInteger runs = new AtomicInteger();

    @BeforeEach
    void setUp() throws IOException {
        cacheDir = dir.resolve("cache");
        input = dir.resolve("in");
        Files.createDirectories(input.resolve("sub"));
        Files.writeString(input.resolve("train.json"), "[1,2,3]");
        Files.writeString(input.resolve("sub/vocab.json"), "{}");
        out = dir.resolve("target/lyrics/demo");
    }

    StageSpec spec(int r) {
        return StageSpec.builder("demo", "demo", out).input("dataset", input).param("lora.r", r)
                .param("lr", 2e-4).environment("device", "cpu").build();
    }

    StageRunner runner(StageRunner.Mode mode) {
        return runner(mode, "code-1");
    }

    StageRunner runner(StageRunner.Mode mode, String code) {
        return new StageRunner(cacheDir, mode, code, dir.resolve("target/lyrics/stages"), log);
    }

    final StageWork work = context -> {
        runs.incrementAndGet();
        Files.writeString(context.outputDir().resolve("result.txt"), "r=" + context.spec().params().get("lora.r"));
        Files.createDirectories(context.outputDir().resolve("adapter"));
        Files.writeString(context.outputDir().resolve("adapter/weights.bin"), "w");
    };

    @Test
    void keyIsStableAndIndependentOfInsertionOrder() throws IOException {
        StageSpec a = StageSpec.builder("g", "g", out).param("b", 1).param("a", "x").input("dataset", input).build();
        StageSpec b = StageSpec.builder("g", "g", out).input("dataset", input).param("a", "x").param("b", 1).build();
        String keyA = StageKey.of(a, "c", HashIndex.none()).hash();
        assertEquals(keyA, StageKey.of(b, "c", HashIndex.none()).hash());
        assertEquals(keyA, StageKey.of(a, "c", HashIndex.none()).hash());
        assertEquals(64, keyA.length());
    }

    @Test
    void everyKindOfInputChangesTheKey() throws IOException {
        String base = StageKey.of(spec(32), "c", HashIndex.none()).hash();
        assertNotEquals(base, StageKey.of(spec(16), "c", HashIndex.none()).hash(), "parameter");
        assertNotEquals(base, StageKey.of(spec(32), "other code", HashIndex.none()).hash(), "plugin code");
        StageSpec gpu = StageSpec.builder("demo", "demo", out).input("dataset", input).param("lora.r", 32)
                .param("lr", 2e-4).environment("device", "gpu").build();
        assertNotEquals(base, StageKey.of(gpu, "c", HashIndex.none()).hash(), "environment");
        StageSpec otherGoal = new StageSpec("other", "demo", spec(32).inputs(), spec(32).params(),
                spec(32).environment(), out, null);
        assertNotEquals(base, StageKey.of(otherGoal, "c", HashIndex.none()).hash(), "goal");
        Files.writeString(input.resolve("train.json"), "[1,2,4]");
        String contentChanged = StageKey.of(spec(32), "c", HashIndex.none()).hash();
        assertNotEquals(base, contentChanged, "input content");
        Files.writeString(input.resolve("sub/extra.txt"), "");
        assertNotEquals(contentChanged, StageKey.of(spec(32), "c", HashIndex.none()).hash(), "file added to an input directory");
    }

    @Test
    void secondRunIsAHitAndRestoresOutputs() throws Exception {
        StageResult first = runner(StageRunner.Mode.NORMAL).run(spec(32), work);
        assertFalse(first.hit());
        Files2.deleteRecursively(out);
        StageResult second = runner(StageRunner.Mode.NORMAL).run(spec(32), work);
        assertTrue(second.hit());
        assertEquals(1, runs.get());
        assertEquals("r=32", Files.readString(out.resolve("result.txt")));
        assertTrue(lines.contains("INFO lyrics:demo up to date (cache " + second.shortKey() + ")"), lines.toString());
        assertTrue(Files.readString(dir.resolve("target/lyrics/stages/demo.json")).contains("\"hit\" : true"));
    }

    @Test
    void missSaysWhatChanged() throws Exception {
        runner(StageRunner.Mode.NORMAL).run(spec(16), work);
        Files.writeString(input.resolve("train.json"), "[9]");
        runner(StageRunner.Mode.NORMAL, "code-2").run(spec(32), work);
        String miss = lines.get(lines.size() - 1);
        assertTrue(miss.contains("plugin code changed"), miss);
        assertTrue(miss.contains("parameter lora.r 16 -> 32"), miss);
        assertTrue(miss.contains("input dataset/train.json changed"), miss);
        assertFalse(miss.contains("vocab.json"), miss);
    }

    @Test
    void upstreamKeysInMissReasonsAreShortened() throws Exception {
        String upstream = "a".repeat(64);
        StageSpec before = StageSpec.builder("report", "report", out).param("stage.finetune", upstream).build();
        StageSpec after = StageSpec.builder("report", "report", out).param("stage.finetune", "b".repeat(64)).build();
        runner(StageRunner.Mode.NORMAL).run(before, work);
        runner(StageRunner.Mode.NORMAL).run(after, work);
        String miss = lines.get(lines.size() - 1);
        assertTrue(miss.endsWith("parameter stage.finetune aaaaaaaaaaaa -> bbbbbbbbbbbb"), miss);
    }

    @Test
    void failedRunLeavesNoEntryAndNextRunComputes() throws Exception {
        StageWork crashing = context -> {
            Files.writeString(context.outputDir().resolve("result.txt"), "half");
            throw new IOException("killed mid-publish");
        };
        assertThrows(IOException.class, () -> runner(StageRunner.Mode.NORMAL).run(spec(32), crashing));
        assertEquals(0, count(cacheDir.resolve("entries")));
        assertEquals(0, count(cacheDir.resolve("tmp")));
        assertFalse(Files.exists(out));
        StageResult result = runner(StageRunner.Mode.NORMAL).run(spec(32), work);
        assertFalse(result.hit());
        assertEquals("r=32", Files.readString(out.resolve("result.txt")));
    }

    @Test
    void stagingLeftByAKilledProcessIsNeverAnEntry() throws Exception {
        String key = StageKey.of(spec(32), "code-1", HashIndex.none()).hash();
        Path staging = cacheDir.resolve("tmp").resolve(key + "-killed");
        Files.createDirectories(staging.resolve("files"));
        Files.writeString(staging.resolve("files/result.txt"), "half");
        StageResult result = runner(StageRunner.Mode.NORMAL).run(spec(32), work);
        assertFalse(result.hit());
        assertEquals(1, runs.get());
        assertFalse(Files.exists(staging));
    }

    @Test
    void corruptEntryIsReportedDiscardedAndRecomputed() throws Exception {
        StageResult first = runner(StageRunner.Mode.NORMAL).run(spec(32), work);
        Path entryFile = cacheDir.resolve("entries").resolve(first.key()).resolve("files/result.txt");
        Files.writeString(entryFile, "r=99");
        StageResult second = runner(StageRunner.Mode.NORMAL).run(spec(32), work);
        assertFalse(second.hit());
        assertEquals(2, runs.get());
        assertTrue(lines.stream().anyMatch(l -> l.startsWith("WARN") && l.contains("corrupt")
                && l.contains("result.txt does not match its hash")), lines.toString());
        assertEquals("r=32", Files.readString(out.resolve("result.txt")));

        Files.delete(cacheDir.resolve("entries").resolve(first.key()).resolve("files/adapter/weights.bin"));
        assertFalse(runner(StageRunner.Mode.NORMAL).run(spec(32), work).hit());
        assertTrue(lines.stream().anyMatch(l -> l.contains("adapter/weights.bin missing")), lines.toString());
        assertTrue(runner(StageRunner.Mode.NORMAL).run(spec(32), work).hit());
    }

    @Test
    void concurrentBuildsComputeOnce() throws Exception {
        CountDownLatch bothStarted = new CountDownLatch(2);
        StageWork slow = context -> {
            Thread.sleep(300);
            work.produce(context);
        };
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try {
            List<Future<StageResult>> results = new ArrayList<>();
            for (int i = 0; i < 2; i++) {
                results.add(pool.submit(() -> {
                    bothStarted.countDown();
                    bothStarted.await();
                    return runner(StageRunner.Mode.NORMAL).run(spec(32), slow);
                }));
            }
            int hits = 0;
            for (Future<StageResult> f : results) {
                hits += f.get().hit() ? 1 : 0;
            }
            assertEquals(1, runs.get());
            assertEquals(1, hits);
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void disabledCacheWritesNoEntriesAndRefreshRecomputes() throws Exception {
        runner(StageRunner.Mode.DISABLED).run(spec(32), work);
        assertFalse(Files.exists(cacheDir.resolve("entries")));
        assertEquals("r=32", Files.readString(out.resolve("result.txt")));
        runner(StageRunner.Mode.NORMAL).run(spec(32), work);
        runner(StageRunner.Mode.REFRESH).run(spec(32), work);
        assertEquals(3, runs.get());
        assertTrue(runner(StageRunner.Mode.NORMAL).run(spec(32), work).hit());
    }

    @Test
    void largeFilesAreNotRehashedWhilePathSizeAndMtimeAreUnchanged() throws IOException {
        Path big = dir.resolve("model.safetensors");
        byte[] bytes = new byte[(int) HashIndex.INDEXED_SIZE + 10];
        Files.write(big, bytes);
        FileTime mtime = Files.getLastModifiedTime(big);
        HashIndex index = new HashIndex(cacheDir.resolve("hash-index.json"));
        String hash = index.sha256(big);
        index.save();

        bytes[5] = 1; // same size, and the mtime is put back: the index must answer
        Files.write(big, bytes);
        Files.setLastModifiedTime(big, mtime);
        assertEquals(hash, new HashIndex(cacheDir.resolve("hash-index.json")).sha256(big));

        Files.setLastModifiedTime(big, FileTime.fromMillis(mtime.toMillis() + 1000));
        assertNotEquals(hash, new HashIndex(cacheDir.resolve("hash-index.json")).sha256(big));
    }

    private static long count(Path d) throws IOException {
        if (!Files.isDirectory(d)) {
            return 0;
        }
        try (Stream<Path> s = Files.list(d)) {
            return s.count();
        }
    }
}
