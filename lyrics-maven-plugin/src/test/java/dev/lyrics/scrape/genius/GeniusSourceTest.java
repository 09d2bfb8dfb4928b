package dev.lyrics.scrape.genius;

import static dev.lyrics.scrape.genius.LyricsExtractorTest.fixture;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.lyrics.cache.StageContext;
import dev.lyrics.cache.StageSpec;
import dev.lyrics.core.CapturingLog;
import dev.lyrics.core.ConfigException;
import dev.lyrics.core.Json;
import dev.lyrics.dataset.Song;
import dev.lyrics.scrape.genius.FakeGenius.Canned;
import dev.lyrics.scrape.genius.FakeGenius.FakeSong;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The Genius source against a fake Genius on loopback: filters, faults, resume, and the token's secrecy. */
class GeniusSourceTest {
    private static final String TOKEN = "tok-3f9a-SECRET-c0ffee";
    private static final List<String> EXCLUDE = List.of("remix", "live", "skit", "interview", "tracklist", "instrumental", "acapella");

    @TempDir
    Path dir;

    private FakeGenius genius;
    private final CapturingLog log = new CapturingLog();
    private final AtomicInteger runs = new AtomicInteger();
    private Duration timeout = Duration.ofSeconds(5);
    private int retries = 3;
    private int concurrency = 2;
    private boolean includeFeatures;
    private boolean refresh;
    private Duration minInterval = Duration.ZERO;

    @AfterEach
    void stopServer() {
        if (genius != null) {
            genius.close();
        }
    }

    /** One artist (id 1, "Kendrick Lamar") with songs 1..n on 2022-style pages. */
    private FakeGenius oneArtist(int songs) throws IOException {
        genius = FakeGenius.start(TOKEN).artist(1, "Kendrick Lamar");
        for (int i = 1; i <= songs; i++) {
            genius.song(1, i, "Song " + i, FakeGenius.page("Song " + i, FakeGenius.generatedLyrics("K", i)));
        }
        return genius;
    }

    private GeniusSettings settings(List<String> artists, int maxSongs) {
        return new GeniusSettings(genius.apiUrl(), genius.webUrl(), artists, maxSongs, includeFeatures, EXCLUDE,
                minInterval, concurrency, timeout, retries, Duration.ofMillis(10), dir.resolve("pages"), refresh);
    }

    private Path outputDir;

    private List<Song> scrape(List<String> artists, int maxSongs) throws Exception {
        return scrape(settings(artists, maxSongs), TOKEN);
    }

    private List<Song> scrape(GeniusSettings settings, String token) throws Exception {
        int run = runs.incrementAndGet();
        outputDir = Files.createDirectories(dir.resolve("out-" + run));
        Path workDir = Files.createDirectories(dir.resolve("work-" + run));
        StageContext context = new StageContext(StageSpec.builder("scrape", "scrape", dir.resolve("published")).build(),
                "key", outputDir, workDir, log);
        return new GeniusSource(settings, GeniusToken.find(token, null, null)).songs(context);
    }

    private JsonNode report() throws IOException {
        return Json.MAPPER.readTree(outputDir.resolve(GeniusSource.REPORT_FILE).toFile());
    }

    private void assertNothingWritten() throws IOException {
        try (Stream<Path> files = Files.list(outputDir)) {
            assertEquals(List.of(), files.toList(), "outputs after a failure");
        }
    }

    @Test
    void keepsTheArtistsOwnCompleteSongsAndSaysWhyOthersWereSkipped() throws Exception {
        genius = FakeGenius.start(TOKEN).artist(1, "Kendrick Lamar").artist(2, "JAY-Z").artist(3, "Someone").pageSize(3);
        FakeSong humble = genius.song(1, 11, "HUMBLE.", fixture("2022-containers-with-ads.html"));
        genius.song(1, 12, "HUMBLE. (Skrillex Remix)", fixture("2019-div-lyrics.html"));
        genius.song(3, 13, "Guest Spot", fixture("2023-header-outside.html")).featuring(1);
        genius.song(1, 14, "Not Yet", fixture("untranscribed.html")).lyricsState("unreleased");
        genius.song(1, 15, "Flagged Instrumental", fixture("2020-styled-containers.html")).instrumental();
        genius.song(1, 16, "Interlude", fixture("instrumental.html"));
        genius.song(1, 17, "Placeholder", fixture("untranscribed.html"));
        genius.song(1, 18, "Same Words", fixture("2022-containers-with-ads.html"));
        genius.song(1, 19, "Redesign", fixture("no-container.html"));
        FakeSong alive = genius.song(1, 20, "Alive", fixture("split-headers.html"));
        FakeSong collab = genius.song(2, 21, "Collab", fixture("annotations.html")).alsoPrimary(1);
        FakeSong hova = genius.song(2, 22, "Hova Song", fixture("2025-header-inside.html"));
        genius.song(2, 23, "Live at the Garden", fixture("2019-div-lyrics.html"));

        List<Song> songs = scrape(List.of("Kendrick Lamar", "Jay Z"), 10);

        assertEquals(List.of("HUMBLE.", "Alive", "Collab", "Hova Song"), songs.stream().map(Song::title).toList());
        Song first = songs.get(0);
        assertEquals("Kendrick Lamar", first.artist());
        assertEquals(humble.url(), first.source());
        assertEquals(11L, first.songId());
        assertEquals(LyricsExtractor.extract(fixture("2022-containers-with-ads.html")).lyrics(), first.lyrics());
        assertEquals(List.of("Kendrick Lamar", "Kendrick Lamar", "Kendrick Lamar", "Jay Z"),
                songs.stream().map(Song::artist).toList(), "artists as configured, the search hit chosen by name");
        assertEquals(alive.id, songs.get(1).songId());
        assertEquals(collab.id, songs.get(2).songId());
        assertEquals(hova.url(), songs.get(3).source());

        JsonNode kendrick = report().path("artists").get(0);
        assertEquals(11, kendrick.path("listed").asInt());
        assertEquals(3, kendrick.path("kept").asInt());
        assertEquals(Map.of("excluded-title", 1, "other-artist", 1, "lyrics-not-complete", 1, "instrumental", 2,
                        "not-transcribed", 1, "duplicate-lyrics", 1, "no-lyrics-container", 1),
                Json.MAPPER.convertValue(kendrick.path("skipped"), Map.class));
        JsonNode jay = report().path("artists").get(1);
        assertEquals("JAY-Z", jay.path("genius_artist_name").asText());
        assertEquals(Map.of("duplicate-song-id", 1, "excluded-title", 1),
                Json.MAPPER.convertValue(jay.path("skipped"), Map.class));
        for (JsonNode artist : report().path("artists")) {
            int skipped = 0;
            for (JsonNode count : artist.path("skipped")) {
                skipped += count.asInt();
            }
            assertEquals(artist.path("listed").asInt(), artist.path("kept").asInt() + skipped, "every listed song accounted for");
        }
        assertTrue(log.text().contains("no-lyrics-container for \"Redesign\" (" + FakeGenius.CANONICAL_WEB + "/Song-19-lyrics)"), log.text());
        assertEquals(List.of(), genius.violations());
    }

    @Test
    void featuresAreKeptWhenAskedFor() throws Exception {
        genius = FakeGenius.start(TOKEN).artist(1, "Kendrick Lamar").artist(3, "Someone");
        genius.song(3, 13, "Guest Spot", fixture("2023-header-outside.html")).featuring(1);
        includeFeatures = true;
        assertEquals(List.of(13L), scrape(List.of("Kendrick Lamar"), 5).stream().map(Song::songId).toList());
    }

    @Test
    void stopsListingAtTheSongLimit() throws Exception {
        oneArtist(9).pageSize(3);
        assertEquals(4, scrape(List.of("Kendrick Lamar"), 4).size());
        Map<String, Integer> served = genius.served();
        assertTrue(served.keySet().stream().anyMatch(p -> p.contains("page=2")), served.toString());
        assertFalse(served.keySet().stream().anyMatch(p -> p.contains("page=3")), "page 3 not needed: " + served);
        assertEquals(4, genius.served().keySet().stream().filter(p -> p.startsWith("/web/")).count());
    }

    @Test
    void placeholderPagesAreSkippedAndTheArtistStillReachesItsLimit() throws Exception {
        genius = FakeGenius.start(TOKEN).artist(1, "Kendrick Lamar").pageSize(2);
        genius.song(1, 1, "Song 1", FakeGenius.page("Song 1", FakeGenius.generatedLyrics("K", 1)));
        genius.song(1, 2, "Unknown", "<div data-lyrics-container=\"true\">[?]</div>");
        genius.song(1, 3, "Credits Only", "<div data-lyrics-container=\"true\">[Produced by X]<br>[Mixed by Y]</div>");
        genius.song(1, 4, "Song 4", FakeGenius.page("Song 4", FakeGenius.generatedLyrics("K", 4)));
        genius.song(1, 5, "Song 5", FakeGenius.page("Song 5", FakeGenius.generatedLyrics("K", 5)));
        genius.song(1, 6, "Song 6", FakeGenius.page("Song 6", FakeGenius.generatedLyrics("K", 6)));

        List<Song> songs = scrape(List.of("Kendrick Lamar"), 3);

        assertEquals(List.of(1L, 4L, 5L), songs.stream().map(Song::songId).toList());
        JsonNode kendrick = report().path("artists").get(0);
        assertEquals(5, kendrick.path("listed").asInt());
        assertEquals(Map.of("no-words-outside-brackets", 2), Json.MAPPER.convertValue(kendrick.path("skipped"), Map.class));
    }

    @Test
    void progressCountsTowardsTheSongsTheArtistHasNotTheLimit() throws Exception {
        oneArtist(2);
        scrape(List.of("Kendrick Lamar"), 100);
        assertTrue(log.lines.stream().anyMatch(l -> l.startsWith("INFO lyrics:scrape Kendrick Lamar 2/2 songs (100.0%)")), log.text());
        assertFalse(log.text().contains("/100 songs"), log.text());
    }

    @Test
    void anArtistGeniusDoesNotKnowNamesTheParameter() throws Exception {
        oneArtist(1);
        ConfigException e = assertThrows(ConfigException.class, () -> scrape(List.of("Kendrick Lamarr"), 5));
        assertTrue(e.getMessage().contains("lyrics.scrape.artists"), e.getMessage());
        assertTrue(e.getMessage().contains("its hits are by Not The Artist, Kendrick Lamar"), e.getMessage());
    }

    @Test
    void honoursRetryAfterOn429() throws Exception {
        oneArtist(1).fault(FakeGenius.SEARCH_PATH, Canned.status(429, "slow down", "Retry-After", "1"));
        long start = System.nanoTime();
        assertEquals(1, scrape(List.of("Kendrick Lamar"), 5).size());
        assertTrue(System.nanoTime() - start >= 1_000_000_000L, "waited for Retry-After");
        assertEquals(2, genius.requests(FakeGenius.SEARCH_PATH));
        assertTrue(log.text().contains("HTTP 429"), log.text());
    }

    @Test
    void retries503UntilItSucceeds() throws Exception {
        FakeGenius server = oneArtist(1);
        String page = FakeGenius.songPath(server.song(1, 2, "Second", fixture("annotations.html")));
        server.fault(page, Canned.status(503, "busy"), Canned.status(503, "busy"));
        assertEquals(2, scrape(List.of("Kendrick Lamar"), 5).size());
        assertEquals(3, genius.requests(page));
    }

    @Test
    void aHangingResponseTimesOutAndIsRetried() throws Exception {
        oneArtist(1).fault(FakeGenius.artistSongsPath(1), Canned.hang());
        timeout = Duration.ofMillis(300);
        assertEquals(1, scrape(List.of("Kendrick Lamar"), 5).size());
        assertEquals(2, genius.requests(FakeGenius.artistSongsPath(1)));
    }

    @Test
    void aResponseThatNeverComesFailsAfterTheRetriesWithNothingWritten() throws Exception {
        oneArtist(1).fault(FakeGenius.artistSongsPath(1), Canned.hang(), Canned.hang());
        timeout = Duration.ofMillis(200);
        retries = 1;
        GeniusException e = assertThrows(GeniusException.class, () -> scrape(List.of("Kendrick Lamar"), 5));
        assertTrue(e.getMessage().contains("after 2 attempts") && e.getMessage().contains("no complete response"), e.getMessage());
        assertNothingWritten();
    }

    @Test
    void aRejectedTokenFailsAtOnce() throws Exception {
        oneArtist(1);
        GeniusException e = assertThrows(GeniusException.class,
                () -> scrape(settings(List.of("Kendrick Lamar"), 5), "some-other-token"));
        assertTrue(e.getMessage().contains("HTTP 401") && e.getMessage().contains("GENIUS_API_TOKEN"), e.getMessage());
        assertEquals(1, genius.requests(FakeGenius.SEARCH_PATH), "no retry on 401");
        assertNothingWritten();
    }

    @Test
    void malformedJsonIsAnErrorAndIsNotStored() throws Exception {
        oneArtist(1).fault(FakeGenius.artistSongsPath(1), Canned.status(200, "{\"response\": {\"songs\": [ oops"));
        GeniusException e = assertThrows(GeniusException.class, () -> scrape(List.of("Kendrick Lamar"), 5));
        assertTrue(e.getMessage().contains("malformed JSON"), e.getMessage());
        assertNothingWritten();
        assertEquals(1, scrape(List.of("Kendrick Lamar"), 5).size(), "the bad answer was not kept");
        assertEquals(2, genius.requests(FakeGenius.artistSongsPath(1)));
    }

    @Test
    void aCloudflareChallengeIsBlockedNotNoLyrics() throws Exception {
        FakeGenius server = oneArtist(1);
        String page = FakeGenius.songPath(server.song(1, 2, "Second", fixture("annotations.html")));
        server.fault(page, Canned.status(403, fixture("cloudflare-403.html"), "cf-mitigated", "challenge", "Server", "cloudflare"));
        GeniusException e = assertThrows(GeniusException.class, () -> scrape(List.of("Kendrick Lamar"), 5));
        assertTrue(e.getMessage().contains("blocked by Genius") && e.getMessage().contains("try later or from another network"),
                e.getMessage());
        assertEquals(1, genius.requests(page), "no retry into a challenge");
        assertNothingWritten();
    }

    @Test
    void spacesRequestsByTheMinimumInterval() throws Exception {
        oneArtist(3);
        minInterval = Duration.ofMillis(80);
        long before = System.nanoTime();
        scrape(List.of("Kendrick Lamar"), 3);
        List<Long> arrivals = genius.arrivals().stream().sorted().toList();
        assertEquals(5, arrivals.size(), "search, one list page, three song pages");
        // the pacer gives the k-th request a start no earlier than k intervals after the scrape began,
        // and a request arrives after it starts: a lower bound that a loaded machine cannot break
        for (int k = 0; k < arrivals.size(); k++) {
            long sinceStart = arrivals.get(k) - before;
            assertTrue(sinceStart >= k * 80_000_000L, "request " + k + " arrived " + sinceStart / 1_000_000 + " ms after the start");
        }
    }

    @Test
    void anInterruptedScrapeResumesAndFetchesEveryPageOnce() throws Exception {
        oneArtist(8).pageSize(5);
        genius.holdSongPagesAfter(3);
        AtomicReference<Throwable> ended = new AtomicReference<>();
        Thread worker = new Thread(() -> {
            try {
                scrape(List.of("Kendrick Lamar"), 8);
            } catch (Throwable t) {
                ended.set(t);
            }
        });
        worker.start();
        assertTrue(genius.awaitHeld(concurrency, Duration.ofSeconds(10)), "both page fetchers waiting");
        worker.interrupt();
        worker.join(10_000);
        assertFalse(worker.isAlive());
        assertTrue(ended.get() instanceof InterruptedException, String.valueOf(ended.get()));
        assertNothingWritten();
        genius.releaseHeld();

        List<Song> songs = scrape(List.of("Kendrick Lamar"), 8);

        assertEquals(8, songs.size());
        assertEquals(1 + 2 + 8, genius.served().size(), genius.served().toString());
        genius.served().forEach((path, count) -> assertEquals(1, count, path + " fetched " + count + " times"));
        assertTrue(log.text().contains("Genius requests: 5 fetched, 6 from the page store"), log.text());
    }

    @Test
    void aHigherSongLimitFetchesOnlyTheNewSongs() throws Exception {
        oneArtist(6).pageSize(3);
        assertEquals(3, scrape(List.of("Kendrick Lamar"), 3).size());
        assertEquals(6, scrape(List.of("Kendrick Lamar"), 6).size());
        assertEquals(1 + 2 + 6, genius.served().size(), genius.served().toString());
        genius.served().forEach((path, count) -> assertEquals(1, count, path + " fetched " + count + " times"));
    }

    @Test
    void aRefreshFetchesAgain() throws Exception {
        oneArtist(1);
        scrape(List.of("Kendrick Lamar"), 1);
        refresh = true;
        scrape(List.of("Kendrick Lamar"), 1);
        genius.served().forEach((path, count) -> assertEquals(2, count, path));
    }

    @Test
    void theTokenNeverReachesLogsOutputsStoreOrExceptions() throws Exception {
        FakeGenius server = oneArtist(2);
        String page = FakeGenius.songPath(server.song(1, 3, "Third", fixture("annotations.html")));
        List<Throwable> failures = new ArrayList<>();
        scrape(List.of("Kendrick Lamar"), 2);
        server.fault(page, Canned.status(403, fixture("cloudflare-403.html")));
        failures.add(assertThrows(GeniusException.class, () -> scrape(List.of("Kendrick Lamar"), 3)));
        server.fault(FakeGenius.SEARCH_PATH, Canned.status(500, "oops"), Canned.status(500, "oops"));
        retries = 1;
        refresh = true;
        failures.add(assertThrows(GeniusException.class, () -> scrape(List.of("Kendrick Lamar"), 3)));
        retries = 3;
        failures.add(assertThrows(GeniusException.class, () -> scrape(settings(List.of("Kendrick Lamar"), 3), TOKEN + "x")));

        StringBuilder everything = new StringBuilder(log.text());
        for (Throwable failure : failures) {
            StringWriter trace = new StringWriter();
            failure.printStackTrace(new PrintWriter(trace));
            everything.append(trace);
        }
        try (Stream<Path> files = Files.walk(dir)) {
            for (Path file : files.filter(Files::isRegularFile).toList()) {
                everything.append(file).append(Files.readString(file, StandardCharsets.UTF_8));
            }
        }
        everything.append(GeniusToken.find(TOKEN, null, null));
        assertTrue(everything.toString().contains("Song 1"), "the haystack has the outputs");
        assertFalse(everything.toString().contains("3f9a-SECRET"), "the token leaked");
    }
}
