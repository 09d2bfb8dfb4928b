package dev.lyrics.cache;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lyrics.core.CapturingLog;
import dev.lyrics.core.Log;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Two builds in two JVMs sharing one cache directory: while one holds a key's lock, the other waits. */
class CrossProcessLockTest {
    private static final String KEY = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

    /** The other build: takes the key's lock, says so, and holds it until the release file appears. */
    public static final class Holder {
        public static void main(String[] args) throws Exception {
            StageCache cache = new StageCache(Path.of(args[0]));
            Path release = Path.of(args[1]);
            try (StageCache.KeyLock held = cache.lock(KEY, Log.SILENT)) {
                System.out.println("locked");
                System.out.flush();
                long deadline = System.currentTimeMillis() + 120_000;
                while (!Files.exists(release) && System.currentTimeMillis() < deadline) {
                    Thread.sleep(20);
                }
                System.out.println("releasing");
                System.out.flush();
            }
        }
    }

    @Test
    void aBuildWaitsWhileAnotherProcessHoldsTheKey(@TempDir Path dir) throws Exception {
        Path cacheDir = dir.resolve("cache");
        Path release = dir.resolve("release");
        Process holder = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), Holder.class.getName(), cacheDir.toString(), release.toString())
                .redirectError(dir.resolve("holder.err").toFile()).start();
        try (BufferedReader out = new BufferedReader(new InputStreamReader(holder.getInputStream(), StandardCharsets.UTF_8))) {
            assertEquals("locked", out.readLine(), () -> "the holder did not take the lock: " + stderr(dir));

            CapturingLog log = new CapturingLog();
            StageCache cache = new StageCache(cacheDir);
            // the lock belongs to the thread that took it: take it, note whether the holder had let go, release
            CompletableFuture<Boolean> waiting = CompletableFuture.supplyAsync(() -> {
                try (StageCache.KeyLock taken = cache.lock(KEY, log)) {
                    return Files.exists(release);
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            });
            Thread.sleep(2000);
            assertFalse(waiting.isDone(), "took the key while another process held it");
            assertTrue(log.text().contains("waiting for another build working on cache entry 0123456789ab"), log.text());

            Files.createFile(release);
            assertEquals("releasing", out.readLine());
            assertTrue(waiting.get(60, TimeUnit.SECONDS), "taken only after the holder was told to let go");
            assertTrue(holder.waitFor(60, TimeUnit.SECONDS));
            assertEquals(0, holder.exitValue(), () -> stderr(dir));
        } finally {
            holder.destroyForcibly();
        }
    }

    private static String stderr(Path dir) {
        try {
            return Files.readString(dir.resolve("holder.err"));
        } catch (java.io.IOException e) {
            return e.toString();
        }
    }
}
