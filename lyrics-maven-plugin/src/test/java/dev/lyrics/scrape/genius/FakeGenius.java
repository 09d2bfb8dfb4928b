package dev.lyrics.scrape.genius;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.lyrics.core.Json;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A stand-in for Genius on 127.0.0.1 (a random port): the API's search and artist-songs endpoints
 * under /api, song pages under /web, a bearer token check on the API, and faults queued per path.
 * It counts what it serves, so tests can prove each page was fetched once. The invoker
 * integration tests start it too, from their pre-build hook ({@link #studyCatalogue}).
 */
public final class FakeGenius implements AutoCloseable {
    /** The canonical host written into song URLs, as the real API does. */
    public static final String CANONICAL_WEB = "https://genius.com";

    /** A song as the fake lists and serves it. */
    public static final class FakeSong {
        final long id;
        final String title;
        long primaryArtistId;
        final List<Long> alsoPrimary = new ArrayList<>();
        final List<Long> featured = new ArrayList<>();
        String lyricsState = "complete";
        boolean instrumental;
        String html;

        FakeSong(long id, String title, long primaryArtistId, String html) {
            this.id = id;
            this.title = title;
            this.primaryArtistId = primaryArtistId;
            this.html = html;
        }

        public String path() {
            return "/Song-" + id + "-lyrics";
        }

        public String url() {
            return CANONICAL_WEB + path();
        }

        public FakeSong featuring(long artistId) {
            featured.add(artistId);
            return this;
        }

        public FakeSong alsoPrimary(long artistId) {
            alsoPrimary.add(artistId);
            return this;
        }

        public FakeSong lyricsState(String state) {
            lyricsState = state;
            return this;
        }

        public FakeSong instrumental() {
            instrumental = true;
            return this;
        }
    }

    /** A response served instead of the normal one, once. */
    public record Canned(int status, String body, Map<String, String> headers, boolean hangs) {
        public static Canned status(int status, String body, String... headerPairs) {
            Map<String, String> headers = new LinkedHashMap<>();
            for (int i = 0; i + 1 < headerPairs.length; i += 2) {
                headers.put(headerPairs[i], headerPairs[i + 1]);
            }
            return new Canned(status, body, headers, false);
        }

        /** Accepts the request and never answers (until the server closes). */
        public static Canned hang() {
            return new Canned(0, "", Map.of(), true);
        }
    }

    private final HttpServer server;
    private final ExecutorService handlers;
    private final String token;
    private final Map<Long, String> artists = new LinkedHashMap<>();
    private final List<FakeSong> songs = new CopyOnWriteArrayList<>();
    private final Map<String, Deque<Canned>> faults = new ConcurrentHashMap<>();
    private final Map<String, AtomicInteger> requests = new ConcurrentHashMap<>();
    private final Map<String, AtomicInteger> served = new ConcurrentHashMap<>();
    private final List<Long> arrivalNanos = new CopyOnWriteArrayList<>();
    private final List<String> violations = new CopyOnWriteArrayList<>();
    private final CountDownLatch closing = new CountDownLatch(1);
    private volatile int pageSize = 3;
    private volatile int holdSongPagesAfter = -1;
    private final AtomicInteger songPagesServed = new AtomicInteger();
    private final AtomicInteger held = new AtomicInteger();
    private volatile CountDownLatch release = new CountDownLatch(1);

    private FakeGenius(String token) throws IOException {
        this.token = token;
        this.server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        AtomicInteger threads = new AtomicInteger();
        this.handlers = Executors.newCachedThreadPool(runnable -> {
            Thread thread = new Thread(runnable, "fake-genius-" + threads.incrementAndGet());
            thread.setDaemon(true);
            return thread;
        });
        server.setExecutor(handlers);
        server.createContext("/", this::handle);
        server.start();
    }

    /** Starts an empty fake that accepts this API token. */
    public static FakeGenius start(String token) throws IOException {
        return new FakeGenius(token);
    }

    /** A page whose lyrics Genius does not know: complete by its metadata, but only the "[?]" placeholder. */
    static final String PLACEHOLDER_PAGE = "<!DOCTYPE html><html><body><div id=\"lyrics-root\">"
            + "<div data-lyrics-container=\"true\" class=\"Lyrics__Container-sc-68a46031-1\">[?]</div></div></body></html>";

    /**
     * The study's three artists with a handful of songs each, some of which a scrape must skip (a
     * remix, an instrumental, an unreleased song, a song by someone else, a "[?]" placeholder page
     * listed before the artist's third song), on 2022-style pages.
     */
    public static FakeGenius studyCatalogue(String token, int songsPerArtist) throws IOException {
        FakeGenius genius = start(token);
        String[][] artists = {{"1421", "Kendrick Lamar"}, {"72", "Kanye West"}, {"2", "JAY-Z"}};
        long nextId = 100;
        for (String[] artist : artists) {
            long artistId = Long.parseLong(artist[0]);
            genius.artist(artistId, artist[1]);
            for (int i = 1; i <= songsPerArtist; i++) {
                long id = nextId++;
                String title = artist[1] + " Song " + i;
                genius.song(artistId, id, title, page(title, generatedLyrics(artist[1], i)));
                if (i == 2) {
                    genius.song(artistId, nextId++, title + " (Remix)", page(title, generatedLyrics(artist[1], 100 + i)));
                    genius.song(artistId, nextId++, artist[1] + " Interlude", LyricsExtractorTest.fixture("instrumental.html"));
                    genius.song(777, nextId++, "Guest Verse " + i, page("Guest", generatedLyrics("Guest", i)))
                            .featuring(artistId);
                    genius.song(artistId, nextId++, "Unreleased " + i, LyricsExtractorTest.fixture("untranscribed.html"))
                            .lyricsState("unreleased");
                    genius.song(artistId, nextId++, "Lost Tape " + i, PLACEHOLDER_PAGE);
                }
            }
        }
        genius.artist(777, "Guest Star");
        return genius;
    }

    /** Two verses and a chorus of seeded word salad: songs share hardly a phrase, as real songs don't. */
    static String generatedLyrics(String artist, int song) {
        String[] words = {"city", "lights", "money", "dreams", "crown", "street", "rhythm", "fire", "gold", "rain",
            "night", "truth", "soul", "pressure", "legacy", "highway", "mirror", "thunder", "velvet", "concrete",
            "river", "echo", "shadow", "summer", "diamond", "engine", "harbor", "lantern", "marble", "orbit",
            "paper", "quiet", "rocket", "silver", "temple", "window", "yellow", "zero", "anchor", "bridge",
            "candle", "desert", "feather", "garden", "hunger", "island", "jungle", "kingdom", "ladder", "meadow"};
        Random random = new Random(artist.hashCode() * 31L + song);
        StringBuilder lyrics = new StringBuilder();
        for (String section : new String[] {"[Verse 1: " + artist + "]", "[Verse 2: " + artist + "]", "[Chorus]"}) {
            lyrics.append(section).append('\n');
            for (int line = 0; line < 4; line++) {
                for (int word = 0; word < 6; word++) {
                    lyrics.append(word == 0 ? "" : " ").append(words[random.nextInt(words.length)]);
                }
                lyrics.append('\n');
            }
            lyrics.append('\n');
        }
        return lyrics.toString().strip();
    }

    /**
     * A 2022-style song page with these lyrics in two containers split at the first verse break, an
     * ad between them, and an in-read ad in place of the second {@code <br/>} of the next verse break.
     */
    static String page(String title, String lyrics) {
        String html = lyrics.replace("&", "&amp;").replace("<", "&lt;").replace("\n", "<br/>");
        int middle = html.indexOf("<br/><br/>");
        String first = middle < 0 ? html : html.substring(0, middle);
        String second = middle < 0 ? "" : html.substring(middle);
        int nextBreak = second.indexOf("<br/><br/>", "<br/><br/>".length());
        if (nextBreak >= 0) {
            second = second.substring(0, nextBreak) + "<br/><div data-exclude-from-selection=\"true\" "
                    + "class=\"InreadContainer__Container-sc-19040w5-0\"><div class=\"DfpAd__Container\">Advertisement</div></div>"
                    + second.substring(nextBreak + "<br/><br/>".length());
        }
        return "<!DOCTYPE html><html><head><title>" + title + " Lyrics | Genius Lyrics</title></head><body>"
                + "<div id=\"lyrics-root\"><div data-lyrics-container=\"true\" class=\"Lyrics__Container-sc-1ynbvzw-6\">"
                + first + "</div><div class=\"RightSidebar__Container\"><div class=\"DfpAd__Container\">Advertisement</div></div>"
                + "<div data-lyrics-container=\"true\" class=\"Lyrics__Container-sc-1ynbvzw-6\">" + second + "</div></div>"
                + "</body></html>";
    }

    public FakeGenius artist(long id, String name) {
        artists.put(id, name);
        return this;
    }

    /** Adds a song, listed after the artist's earlier ones (the fake's popularity order). */
    public FakeSong song(long primaryArtistId, long id, String title, String html) {
        FakeSong song = new FakeSong(id, title, primaryArtistId, html);
        songs.add(song);
        return song;
    }

    /** Songs per page of an artist's list, whatever per_page asks (small, to exercise next_page). */
    public FakeGenius pageSize(int size) {
        pageSize = size;
        return this;
    }

    /** Serves these responses, in order, to the next requests of a path (no query), before normal service. */
    public FakeGenius fault(String path, Canned... responses) {
        faults.computeIfAbsent(path, p -> new ArrayDeque<>()).addAll(List.of(responses));
        return this;
    }

    /** Once this many song pages have been served, holds every further page request until {@link #releaseHeld()}. */
    public void holdSongPagesAfter(int pages) {
        release = new CountDownLatch(1);
        holdSongPagesAfter = pages;
    }

    public boolean awaitHeld(int requests, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (held.get() < requests) {
            if (System.nanoTime() > deadline) {
                return false;
            }
            Thread.sleep(5);
        }
        return true;
    }

    /** Ends the hold: held requests get a 503, later ones are served normally. */
    public void releaseHeld() {
        holdSongPagesAfter = -1;
        release.countDown();
    }

    public URI apiUrl() {
        return URI.create("http://127.0.0.1:" + server.getAddress().getPort() + "/api");
    }

    public URI webUrl() {
        return URI.create("http://127.0.0.1:" + server.getAddress().getPort() + "/web");
    }

    public int port() {
        return server.getAddress().getPort();
    }

    /** Requests of a path (no query), whatever their answer. */
    public int requests(String path) {
        AtomicInteger count = requests.get(path);
        return count == null ? 0 : count.get();
    }

    /** 200 responses by path and query. */
    public Map<String, Integer> served() {
        Map<String, Integer> out = new LinkedHashMap<>();
        served.forEach((path, count) -> out.put(path, count.get()));
        return out;
    }

    /** When each request arrived (System.nanoTime), in order. */
    public List<Long> arrivals() {
        return List.copyOf(arrivalNanos);
    }

    /** Requests that broke a rule of the real service's contract (a token sent to a song page). */
    public List<String> violations() {
        return List.copyOf(violations);
    }

    public static String songPath(FakeSong song) {
        return "/web" + song.path();
    }

    public static String artistSongsPath(long artistId) {
        return "/api/artists/" + artistId + "/songs";
    }

    public static final String SEARCH_PATH = "/api/search";

    @Override
    public void close() {
        closing.countDown();
        release.countDown();
        server.stop(0);
        handlers.shutdownNow();
    }

    private void handle(HttpExchange exchange) throws IOException {
        arrivalNanos.add(System.nanoTime());
        String path = exchange.getRequestURI().getRawPath();
        String query = exchange.getRequestURI().getRawQuery();
        String pathAndQuery = query == null ? path : path + "?" + query;
        requests.computeIfAbsent(path, p -> new AtomicInteger()).incrementAndGet();
        try (exchange) {
            Deque<Canned> queued = faults.get(path);
            Canned fault = queued == null ? null : queued.pollFirst();
            if (fault != null) {
                if (fault.hangs()) {
                    closing.await();
                    return;
                }
                fault.headers().forEach((name, value) -> exchange.getResponseHeaders().add(name, value));
                respond(exchange, pathAndQuery, fault.status(), fault.body(), "text/html");
                return;
            }
            if (path.startsWith("/api/")) {
                handleApi(exchange, path, pathAndQuery);
            } else if (path.startsWith("/web/")) {
                handlePage(exchange, path.substring("/web".length()), pathAndQuery);
            } else {
                respond(exchange, pathAndQuery, 404, "not found", "text/plain");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void handleApi(HttpExchange exchange, String path, String pathAndQuery) throws IOException {
        if (!("Bearer " + token).equals(exchange.getRequestHeaders().getFirst("Authorization"))) {
            respond(exchange, pathAndQuery, 401, "{\"meta\":{\"status\":401,\"message\":\"This call requires an access_token.\"}}",
                    "application/json");
            return;
        }
        ObjectNode body = Json.MAPPER.createObjectNode();
        body.putObject("meta").put("status", 200);
        ObjectNode response = body.putObject("response");
        if (path.equals(SEARCH_PATH)) {
            ArrayNode hits = response.putArray("hits");
            hit(hits, 999_999, "Not The Artist");
            List<Long> ids = new ArrayList<>(artists.keySet());
            for (int i = ids.size() - 1; i >= 0; i--) {
                hit(hits, ids.get(i), artists.get(ids.get(i)));
            }
        } else if (path.matches("/api/artists/\\d+/songs")) {
            long artistId = Long.parseLong(path.split("/")[3]);
            int page = Integer.parseInt(queryValue(exchange.getRequestURI().getRawQuery(), "page", "1"));
            List<FakeSong> listed = songs.stream()
                    .filter(s -> s.primaryArtistId == artistId || s.alsoPrimary.contains(artistId) || s.featured.contains(artistId))
                    .toList();
            int from = Math.min((page - 1) * pageSize, listed.size());
            int to = Math.min(from + pageSize, listed.size());
            ArrayNode list = response.putArray("songs");
            for (FakeSong song : listed.subList(from, to)) {
                ObjectNode node = list.addObject();
                node.put("id", song.id).put("title", song.title).put("url", song.url()).put("path", song.path())
                        .put("lyrics_state", song.lyricsState).put("instrumental", song.instrumental);
                node.putObject("primary_artist").put("id", song.primaryArtistId).put("name", artistName(song.primaryArtistId));
                ArrayNode primaries = node.putArray("primary_artists");
                primaries.addObject().put("id", song.primaryArtistId).put("name", artistName(song.primaryArtistId));
                song.alsoPrimary.forEach(id -> primaries.addObject().put("id", id).put("name", artistName(id)));
                ArrayNode featured = node.putArray("featured_artists");
                song.featured.forEach(id -> featured.addObject().put("id", id).put("name", artistName(id)));
            }
            if (to < listed.size()) {
                response.put("next_page", page + 1);
            } else {
                response.putNull("next_page");
            }
        } else {
            respond(exchange, pathAndQuery, 404, "{\"meta\":{\"status\":404}}", "application/json");
            return;
        }
        respond(exchange, pathAndQuery, 200, Json.compact(body), "application/json");
    }

    private void handlePage(HttpExchange exchange, String songPath, String pathAndQuery)
            throws IOException, InterruptedException {
        if (exchange.getRequestHeaders().containsKey("Authorization")) {
            violations.add("Authorization header sent to song page " + songPath);
        }
        FakeSong song = songs.stream().filter(s -> s.path().equals(songPath)).findFirst().orElse(null);
        if (song == null) {
            respond(exchange, pathAndQuery, 404, "<html><body>Page not found</body></html>", "text/html");
            return;
        }
        int threshold = holdSongPagesAfter;
        if (threshold >= 0 && songPagesServed.get() >= threshold) {
            held.incrementAndGet();
            release.await();
            respond(exchange, pathAndQuery, 503, "held", "text/plain");
            return;
        }
        respond(exchange, pathAndQuery, 200, song.html, "text/html; charset=utf-8");
        songPagesServed.incrementAndGet();
    }

    private String artistName(long id) {
        return artists.getOrDefault(id, "Artist " + id);
    }

    private static void hit(ArrayNode hits, long artistId, String name) {
        ObjectNode result = hits.addObject().put("index", "song").put("type", "song").putObject("result");
        result.put("id", 500_000 + artistId).put("title", "Top song of " + name);
        result.putObject("primary_artist").put("id", artistId).put("name", name);
    }

    private static String queryValue(String query, String name, String fallback) {
        if (query != null) {
            for (String pair : query.split("&")) {
                if (pair.startsWith(name + "=")) {
                    return pair.substring(name.length() + 1);
                }
            }
        }
        return fallback;
    }

    private void respond(HttpExchange exchange, String pathAndQuery, int status, String body, String contentType)
            throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("Content-Type", contentType);
        exchange.sendResponseHeaders(status, bytes.length == 0 ? -1 : bytes.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(bytes);
        }
        if (status == 200) {
            served.computeIfAbsent(pathAndQuery, p -> new AtomicInteger()).incrementAndGet();
        }
    }
}
