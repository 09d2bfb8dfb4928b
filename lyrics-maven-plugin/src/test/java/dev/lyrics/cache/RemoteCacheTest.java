package dev.lyrics.cache;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lyrics.core.CapturingLog;
import dev.lyrics.core.ConfigException;
import dev.lyrics.core.Log;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The remote cache against an in-process HTTP store: sharing between machines, and every way the store can fail. */
class RemoteCacheTest {
    static final String USER = "ci";
    static final String PASSWORD = "s3cret-Pa55word";

    @TempDir
    Path dir;

    FakeStore store;
    Path input;
    final CapturingLog log = new CapturingLog();
    final AtomicInteger runs = new AtomicInteger();

    final StageWork work = context -> {
        runs.incrementAndGet();
        Files.writeString(context.outputDir().resolve("result.txt"), "r=" + context.spec().params().get("lora.r"));
        Files.createDirectories(context.outputDir().resolve("adapter"));
        Files.write(context.outputDir().resolve("adapter/weights.bin"), new byte[] {1, 2, 3, 4, 5, 6, 7, 8});
    };

    @BeforeEach
    void setUp() throws IOException {
        store = new FakeStore(USER, PASSWORD);
        input = dir.resolve("in");
        Files.createDirectories(input);
        Files.writeString(input.resolve("train.json"), "[1,2,3]");
    }

    @AfterEach
    void tearDown() {
        store.close();
    }

    /** One machine: its own local cache and output directory. */
    StageSpec spec(String machine, int r) {
        return StageSpec.builder("demo", "demo", dir.resolve(machine + "/target/lyrics/demo")).input("dataset", input)
                .param("lora.r", r).build();
    }

    RemoteCache remote(boolean push, URI url, String password, boolean webdav, Duration timeout) {
        return new RemoteCache(new RemoteCache.Config(url, push, webdav, "team-cache", USER, password,
                Duration.ofSeconds(2), timeout));
    }

    RemoteCache remote(boolean push) {
        return remote(push, store.url(), PASSWORD, true, Duration.ofSeconds(5));
    }

    StageRunner runner(String machine, RemoteCache remote, CacheTally tally) {
        return new StageRunner(dir.resolve(machine + "/cache"), StageRunner.Mode.NORMAL, "code-1",
                dir.resolve(machine + "/target/lyrics/stages"), log, remote, tally);
    }

    StageResult build(String machine, RemoteCache remote) throws Exception {
        return runner(machine, remote, null).run(spec(machine, 32), work);
    }

    List<String> warnings() {
        return log.lines.stream().filter(l -> l.startsWith("WARN")).toList();
    }

    @Test
    void anEntryPushedByOneMachineIsRestoredByAnotherWithoutRunningTheWork() throws Exception {
        CacheTally tallyA = new CacheTally();
        StageResult a = runner("a", remote(true), tallyA).run(spec("a", 32), work);
        assertEquals(StageResult.Source.COMPUTED, a.source());
        assertTrue(a.bytesUploaded() > 0);
        assertEquals(1, store.entries().size());
        assertTrue(store.entries().containsKey(a.key() + ".tar"));
        assertTrue(log.text().contains("lyrics:demo computed; pushed to remote cache"), log.text());
        assertFalse(store.files.keySet().stream().anyMatch(p -> p.endsWith(".part")), "the temporary upload was moved");

        CacheTally tallyB = new CacheTally();
        StageResult b = runner("b", remote(false), tallyB).run(spec("b", 32), work);
        assertEquals(1, runs.get(), "machine B must not run the work");
        assertEquals(StageResult.Source.REMOTE, b.source());
        assertTrue(b.hit());
        assertEquals(a.bytesUploaded(), b.bytesDownloaded());
        assertTrue(log.text().contains("lyrics:demo restored from remote cache (cache " + a.shortKey()), log.text());
        assertEquals("r=32", Files.readString(b.outputDir().resolve("result.txt")));
        assertArrayEquals(Files.readAllBytes(a.outputDir().resolve("adapter/weights.bin")),
                Files.readAllBytes(b.outputDir().resolve("adapter/weights.bin")));
        assertNull(new StageCache(dir.resolve("b/cache")).verify(b.key()), "published locally, complete");
        assertEquals(List.of(), warnings());
        assertTrue(tallyB.summary().contains("0 local, 1 remote, 0 computed"), tallyB.summary());

        StageResult again = build("b", remote(false));
        assertEquals(StageResult.Source.LOCAL, again.source());
        assertTrue(log.text().contains("lyrics:demo up to date (local), cache " + a.shortKey()), log.text());
        assertTrue(tallyA.summary().contains("0 local, 0 remote, 1 computed (1 pushed)"), tallyA.summary());
        assertEquals(List.of(), warnings());
    }

    @Test
    void archivesAreTheSameBytesForTheSameEntry() throws Exception {
        StageResult a = build("a", remote(true));
        byte[] first = store.entries().get(a.key() + ".tar");
        Path again = dir.resolve("again.tar");
        EntryArchive.write(new StageCache(dir.resolve("a/cache")).entry(a.key()), again);
        assertArrayEquals(first, Files.readAllBytes(again));
    }

    /** Pushes an entry from machine A, breaks the store, and builds machine B. */
    void machineBWith(Consumer<FakeStore> fault, RemoteCache remoteOfB) throws Exception {
        build("a", remote(true));
        log.lines.clear();
        fault.accept(store);
        long start = System.nanoTime();
        StageResult b = build("b", remoteOfB);
        assertTrue((System.nanoTime() - start) / 1e9 < 15, "a failing store must not hold the build long");
        assertEquals(2, runs.get(), "machine B computes");
        assertEquals(StageResult.Source.COMPUTED, b.source());
        assertEquals(1, warnings().size(), "one warning line: " + log.text());
        assertEquals("r=32", Files.readString(b.outputDir().resolve("result.txt")));
        assertNull(new StageCache(dir.resolve("b/cache")).verify(b.key()));
        assertFalse(log.text().contains(PASSWORD));
    }

    @Test
    void aServerErrorWarnsAndTheStageIsComputed() throws Exception {
        machineBWith(s -> s.forcedStatus = 500, remote(false));
        assertTrue(warnings().get(0).contains("remote cache " + store.url() + " (server team-cache) answered HTTP 500 to GET"),
                warnings().get(0));
        assertTrue(warnings().get(0).endsWith("computing locally, remote cache off for the rest of this build"));
    }

    @Test
    void aSilentServerIsGivenUpOnAfterTheTimeout() throws Exception {
        machineBWith(s -> s.silent = true, remote(false, store.url(), PASSWORD, true, Duration.ofSeconds(1)));
        assertTrue(warnings().get(0).contains("was silent for 1 s during GET (lyrics.cache.remote.timeoutSeconds)"),
                warnings().get(0));
    }

    @Test
    void anUnreachableServerWarnsAndTheStageIsComputed() throws Exception {
        URI closedPort;
        try (ServerSocket socket = new ServerSocket(0)) {
            closedPort = URI.create("http://127.0.0.1:" + socket.getLocalPort() + "/cache");
        }
        machineBWith(s -> {}, remote(false, closedPort, PASSWORD, true, Duration.ofSeconds(5)));
        assertTrue(warnings().get(0).contains("is unreachable"), warnings().get(0));
    }

    @Test
    void wrongCredentialsWarnNamingTheServerIdAndNeverThePassword() throws Exception {
        machineBWith(s -> {}, remote(false, store.url(), "wrong-password", true, Duration.ofSeconds(5)));
        String warning = warnings().get(0);
        assertTrue(warning.contains("refused GET (HTTP 401): check the username and password of <server> team-cache"
                + " in settings.xml"), warning);
        assertFalse(log.text().contains("wrong-password"));
    }

    @Test
    void aFlippedByteIsCaughtByTheManifestAndComputedLocally() throws Exception {
        machineBWith(s -> s.tamper = flip("r=32"), remote(false));
        assertTrue(warnings().get(0).contains("holds a corrupt entry"), warnings().get(0));
        assertTrue(warnings().get(0).contains("result.txt does not match its hash"), warnings().get(0));
    }

    @Test
    void aTruncatedArchiveIsCaughtAndComputedLocally() throws Exception {
        machineBWith(s -> s.tamper = bytes -> java.util.Arrays.copyOf(bytes, 1024 + 300), remote(false));
        assertTrue(warnings().get(0).contains("holds a corrupt entry"), warnings().get(0));
    }

    @Test
    void somethingThatIsNoArchiveIsCaughtAndComputedLocally() throws Exception {
        machineBWith(s -> s.tamper = bytes -> "<html>proxy login</html>".getBytes(StandardCharsets.UTF_8), remote(false));
        assertTrue(warnings().get(0).contains("holds a corrupt entry"), warnings().get(0));
    }

    @Test
    void anIntactEntryStoredUnderAnotherKeysNameIsRefused() throws Exception {
        StageResult a = build("a", remote(true));
        String storedPath = store.files.keySet().stream().filter(p -> p.endsWith(a.key() + ".tar")).findFirst().orElseThrow();
        String otherKey = new StageRunner(dir.resolve("probe/cache"), StageRunner.Mode.NORMAL, "code-1", null, Log.SILENT)
                .run(spec("probe", 16), context -> Files.writeString(context.outputDir().resolve("result.txt"), "probe")).key();
        store.files.put(storedPath.replace(a.key(), otherKey), store.files.get(storedPath));
        log.lines.clear();

        StageResult b = runner("b", remote(false), null).run(spec("b", 16), work);

        assertEquals(StageResult.Source.COMPUTED, b.source());
        assertEquals(otherKey, b.key());
        assertEquals("r=16", Files.readString(b.outputDir().resolve("result.txt")), "A's r=32 outputs must not be served as r=16's");
        assertEquals(1, warnings().size(), log.text());
        assertTrue(warnings().get(0).contains("is that of another entry (" + a.shortKey() + ")"), warnings().get(0));
    }

    @Test
    void aCorruptDownloadIsNeverPublishedLocally() throws Exception {
        StageResult a = build("a", remote(true));
        store.tamper = flip("r=32");
        StageWork failing = context -> {
            throw new IOException("work failed on purpose");
        };
        assertThrows(IOException.class, () -> runner("b", remote(false), null).run(spec("b", 32), failing));
        StageCache cacheB = new StageCache(dir.resolve("b/cache"));
        assertFalse(Files.exists(cacheB.entry(a.key())), "the corrupt download must not become an entry");
        try (var tmp = Files.list(cacheB.root().resolve("tmp"))) {
            assertEquals(List.of(), tmp.toList(), "no staging left behind");
        }
    }

    @Test
    void aFailedUploadWarnsAndTheBuildGoesOn() throws Exception {
        store.putStatus = 503;
        CacheTally tally = new CacheTally();
        StageResult a = runner("a", remote(true), tally).run(spec("a", 32), work);
        assertEquals(StageResult.Source.COMPUTED, a.source());
        assertEquals(0, a.bytesUploaded());
        assertEquals(1, warnings().size(), log.text());
        assertTrue(warnings().get(0).startsWith("WARN lyrics:demo: computed, but not pushed: remote cache"), warnings().get(0));
        assertNull(new StageCache(dir.resolve("a/cache")).verify(a.key()), "the local entry is published all the same");
        assertTrue(tally.summary().contains("1 computed (0 pushed)"), tally.summary());
    }

    @Test
    void afterTheServerFailsTheBuildStopsAskingIt() throws Exception {
        store.forcedStatus = 500;
        RemoteCache remote = remote(false);
        StageRunner runner = runner("b", remote, null);
        runner.run(spec("b", 32), work);
        runner.run(spec("b", 16), work);
        assertEquals(1, store.requests.size(), "the second stage does not ask the failed server: " + store.requests);
        assertEquals(1, warnings().size(), log.text());
    }

    @Test
    void anEntryAlreadyInTheStoreIsNotUploadedAgain() throws Exception {
        StageResult a = build("a", remote(true));
        store.requests.clear();
        Path archive = dir.resolve("again.tar");
        EntryArchive.write(new StageCache(dir.resolve("a/cache")).entry(a.key()), archive);
        assertEquals(0, remote(true).upload(a.key(), archive));
        assertEquals(List.of("HEAD " + store.url().getPath() + "/" + a.key() + ".tar"), store.requests);
    }

    @Test
    void aStoreWithoutMoveGetsAPutOfTheEntrysOwnName() throws Exception {
        store.noMove = true;
        StageResult a = build("a", remote(true));
        assertTrue(a.bytesUploaded() > 0);
        assertEquals(List.of(a.key() + ".tar"), List.copyOf(store.files.keySet().stream()
                .map(p -> p.substring(p.lastIndexOf('/') + 1)).toList()), "the temporary upload was deleted");
        assertEquals(List.of(), warnings());
        StageResult b = build("b", remote(false));
        assertEquals(StageResult.Source.REMOTE, b.source());
    }

    @Test
    void twoMachinesPushingOneKeyAtOnceBothSucceedAndTheEntryIsWhole() throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(2);
        CyclicBarrier together = new CyclicBarrier(2);
        StageWork slow = context -> {
            work.produce(context);
            try {
                together.await();
            } catch (Exception e) {
                throw new IOException(e);
            }
        };
        try {
            List<Future<StageResult>> results = List.of("a", "c").stream()
                    .map(m -> pool.submit(() -> runner(m, remote(true), null).run(spec(m, 32), slow))).toList();
            for (Future<StageResult> f : results) {
                assertEquals(StageResult.Source.COMPUTED, f.get().source());
            }
        } finally {
            pool.shutdownNow();
        }
        assertEquals(List.of(), warnings());
        assertEquals(1, store.entries().size());
        StageResult b = build("b", remote(false));
        assertEquals(StageResult.Source.REMOTE, b.source());
    }

    @Test
    void aPasswordInTheUrlIsRefusedWithoutRepeatingIt() {
        ConfigException e = assertThrows(ConfigException.class,
                () -> RemoteCache.Config.parseUrl("lyrics.cache.remote.url", "https://ci:" + PASSWORD + "@nexus.example/raw"));
        assertFalse(e.getMessage().contains(PASSWORD));
        assertTrue(e.getMessage().contains("lyrics.cache.remote.serverId"));
        assertEquals(URI.create("https://nexus.example/raw/lyrics"),
                RemoteCache.Config.parseUrl("lyrics.cache.remote.url", "https://nexus.example/raw/lyrics/"));
        assertFalse(remote(true).config().toString().contains(PASSWORD));
    }

    @Test
    void anArchiveMayNotWriteOutsideItsStagingDirectory() throws Exception {
        Path evil = dir.resolve("evil.tar");
        try (var tar = new org.apache.commons.compress.archivers.tar.TarArchiveOutputStream(Files.newOutputStream(evil))) {
            for (String name : List.of("manifest.json", "files/../../escaped.txt")) {
                var entry = new org.apache.commons.compress.archivers.tar.TarArchiveEntry(name, true);
                entry.setSize(2);
                tar.putArchiveEntry(entry);
                tar.write("{}".getBytes(StandardCharsets.UTF_8));
                tar.closeArchiveEntry();
            }
        }
        Path staging = dir.resolve("staging/inner");
        Files.createDirectories(staging);
        IOException e = assertThrows(IOException.class, () -> EntryArchive.read(evil, staging));
        assertTrue(e.getMessage().contains("files/../../escaped.txt"), e.getMessage());
        assertFalse(Files.exists(dir.resolve("escaped.txt")));
        assertFalse(Files.exists(dir.resolve("staging/escaped.txt")));
    }

    /** Changes one byte of the first occurrence of {@code marker} in what the store serves. */
    static UnaryOperator<byte[]> flip(String marker) {
        return bytes -> {
            String text = new String(bytes, StandardCharsets.ISO_8859_1);
            int at = text.indexOf(marker);
            assertTrue(at >= 0, "marker in archive");
            bytes[at + marker.length() - 1] ^= 1;
            return bytes;
        };
    }
}
