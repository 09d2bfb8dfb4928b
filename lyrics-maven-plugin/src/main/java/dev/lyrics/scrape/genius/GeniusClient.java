package dev.lyrics.scrape.genius;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import dev.lyrics.core.ConfigException;
import dev.lyrics.core.Json;
import dev.lyrics.core.Log;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.text.Normalizer;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The Genius API and song pages, each request answered from the page store where it can and
 * otherwise fetched politely and stored.
 */
final class GeniusClient {
    /** The API's largest page of an artist's songs. */
    static final int SONGS_PER_PAGE = 50;

    /** An artist as Genius knows them. */
    record Artist(long id, String name) {}

    /** A song as an artist's song list shows it. */
    record ListedSong(long id, String title, String url, String path, String lyricsState, boolean instrumental,
            Set<Long> primaryArtistIds, Set<Long> featuredArtistIds) {}

    /** One page of an artist's songs; nextPage is null on the last. */
    record SongsPage(List<ListedSong> songs, Integer nextPage) {}

    private final String apiUrl;
    private final String webUrl;
    private final GeniusToken token;
    private final PoliteHttp http;
    private final PageStore store;
    private final AtomicInteger fetched = new AtomicInteger();
    private final AtomicInteger fromStore = new AtomicInteger();

    GeniusClient(GeniusSettings settings, GeniusToken token, Log log) {
        this.apiUrl = withoutTrailingSlash(settings.apiUrl());
        this.webUrl = withoutTrailingSlash(settings.webUrl());
        this.token = token;
        this.http = new PoliteHttp(settings.minInterval(), settings.timeout(), settings.retries(), settings.backoff(), log);
        this.store = new PageStore(settings.pageStore(), settings.refreshPages());
    }

    /**
     * The search hit whose primary artist's name matches {@code name} after normalisation (Unicode
     * NFKC, case, punctuation and spaces ignored); never blindly the first hit.
     */
    Artist findArtist(String name) throws IOException, InterruptedException {
        JsonNode hits = api("/search?q=" + URLEncoder.encode(name, StandardCharsets.UTF_8).replace("+", "%20"))
                .path("response").path("hits");
        String wanted = normalizedName(name);
        Set<String> seen = new LinkedHashSet<>();
        for (JsonNode hit : hits) {
            JsonNode artist = hit.path("result").path("primary_artist");
            String hitName = artist.path("name").asText("");
            if (!wanted.isEmpty() && normalizedName(hitName).equals(wanted) && artist.hasNonNull("id")) {
                return new Artist(artist.path("id").asLong(), hitName);
            }
            if (!hitName.isEmpty()) {
                seen.add(hitName);
            }
        }
        throw ConfigException.of("lyrics.scrape.artists", name, "Genius search finds no artist of that name"
                + (seen.isEmpty() ? "" : " (its hits are by " + String.join(", ", seen) + ")")
                + "; write the name as Genius does");
    }

    /** Lower case, NFKC, letters and digits only: "JAY-Z", "Jay Z" and "ＪＡＹ－Ｚ" are one name. */
    static String normalizedName(String name) {
        return Normalizer.normalize(name, Normalizer.Form.NFKC).toLowerCase(Locale.ROOT).replaceAll("[^\\p{L}\\p{N}]+", "");
    }

    /** One page (from 1) of an artist's songs, most popular first. */
    SongsPage artistSongs(long artistId, int page) throws IOException, InterruptedException {
        JsonNode response = api("/artists/" + artistId + "/songs?sort=popularity&per_page=" + SONGS_PER_PAGE + "&page=" + page)
                .path("response");
        List<ListedSong> songs = new ArrayList<>();
        for (JsonNode song : response.path("songs")) {
            String url = song.path("url").asText("");
            String path = song.hasNonNull("path") ? song.path("path").asText() : URI.create(url).getRawPath();
            Set<Long> primary = new LinkedHashSet<>();
            if (song.path("primary_artist").hasNonNull("id")) {
                primary.add(song.path("primary_artist").path("id").asLong());
            }
            song.path("primary_artists").forEach(artist -> primary.add(artist.path("id").asLong()));
            Set<Long> featured = new LinkedHashSet<>();
            song.path("featured_artists").forEach(artist -> featured.add(artist.path("id").asLong()));
            songs.add(new ListedSong(song.path("id").asLong(), song.path("title").asText(""), url, path,
                    song.path("lyrics_state").asText(""), song.path("instrumental").asBoolean(false), primary, featured));
        }
        JsonNode next = response.path("next_page");
        return new SongsPage(songs, next.isIntegralNumber() ? next.asInt() : null);
    }

    /** A song page's HTML, or null when Genius has no such page (404). */
    String songPage(String path) throws IOException, InterruptedException {
        String url = webUrl + path;
        String stored = store.get(url);
        if (stored != null) {
            fromStore.incrementAndGet();
            return stored;
        }
        PoliteHttp.Response response = http.get(URI.create(url), null);
        fetched.incrementAndGet();
        if (!response.found()) {
            return null;
        }
        store.put(url, response.body());
        return response.body();
    }

    /** "12 fetched, 30 from the page store". */
    String requestSummary() {
        return fetched.get() + " fetched, " + fromStore.get() + " from the page store";
    }

    private JsonNode api(String pathAndQuery) throws IOException, InterruptedException {
        String url = apiUrl + pathAndQuery;
        String body = store.get(url);
        boolean stored = body != null;
        if (stored) {
            fromStore.incrementAndGet();
        } else {
            PoliteHttp.Response response = http.get(URI.create(url), token);
            fetched.incrementAndGet();
            if (!response.found()) {
                throw new GeniusException("the Genius API has no " + url + " (HTTP 404); check lyrics.genius.apiUrl");
            }
            body = response.body();
        }
        JsonNode json;
        try {
            json = Json.MAPPER.readTree(body);
        } catch (JsonProcessingException e) {
            throw new GeniusException("the Genius API answered " + url + " with malformed JSON ("
                    + e.getOriginalMessage() + "); try later, or check lyrics.genius.apiUrl");
        }
        if (json == null || !json.path("response").isObject()) {
            throw new GeniusException("the Genius API answered " + url + " without a \"response\" object; check lyrics.genius.apiUrl");
        }
        if (!stored) {
            store.put(url, body);
        }
        return json;
    }

    private static String withoutTrailingSlash(URI uri) {
        return uri.toString().replaceAll("/+$", "");
    }
}
