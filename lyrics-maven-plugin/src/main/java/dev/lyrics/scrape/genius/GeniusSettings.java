package dev.lyrics.scrape.genius;

import dev.lyrics.cache.Unkeyed;
import dev.lyrics.core.ConfigException;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * What to scrape from Genius and how politely.
 *
 * @param apiUrl            the API's base URL (https://api.genius.com)
 * @param webUrl            the song pages' base URL (https://genius.com)
 * @param artists           artist names as configured, in order; each is found by search
 * @param maxSongsPerArtist songs kept per artist, in the API's popularity order
 * @param includeFeatures   also keep songs where the artist is only featured
 * @param excludeTerms      titles containing one of these words are skipped (remix, live, ...)
 * @param minInterval       at least this long between the starts of two requests
 * @param concurrency       song pages fetched at once
 * @param timeout           per request, until the whole response is read
 * @param retries           retries after the first attempt, on timeouts, 429 and 5xx
 * @param backoff           the first retry's wait; each further retry doubles it, plus jitter
 * @param pageStore         where fetched API responses and pages are kept by URL, across runs
 * @param refreshPages      fetch again even what the page store holds (and replace it)
 */
public record GeniusSettings(
        URI apiUrl,
        URI webUrl,
        List<String> artists,
        int maxSongsPerArtist,
        boolean includeFeatures,
        List<String> excludeTerms,
        @Unkeyed("how politely songs are fetched, not which") Duration minInterval,
        @Unkeyed("how politely songs are fetched, not which") int concurrency,
        @Unkeyed("how long to wait for a response, not what it holds") Duration timeout,
        @Unkeyed("how often a failed request is tried again, not what it returns") int retries,
        @Unkeyed("how long to wait before a retry") Duration backoff,
        @Unkeyed("where fetched pages are kept across runs, not what they hold") Path pageStore,
        @Unkeyed("refetches what the page store holds; the pages are Genius's either way") boolean refreshPages) {

    public GeniusSettings {
        ConfigException.require(!artists.isEmpty(), "lyrics.scrape.artists", "empty", "source genius needs the artists to scrape");
        ConfigException.require(maxSongsPerArtist >= 1, "lyrics.scrape.maxSongsPerArtist", maxSongsPerArtist, "must be at least 1");
        ConfigException.require(!minInterval.isNegative(), "lyrics.genius.minIntervalSeconds", seconds(minInterval), "must not be negative");
        ConfigException.require(concurrency >= 1 && concurrency <= 8, "lyrics.genius.concurrency", concurrency, "must be 1 to 8 (be polite)");
        ConfigException.require(!timeout.isNegative() && !timeout.isZero(), "lyrics.genius.timeoutSeconds", seconds(timeout), "must be positive");
        ConfigException.require(retries >= 0, "lyrics.genius.retries", retries, "must not be negative");
        ConfigException.require(!backoff.isNegative(), "lyrics.genius.backoffSeconds", seconds(backoff), "must not be negative");
        artists = List.copyOf(artists);
        excludeTerms = List.copyOf(excludeTerms);
    }

    /** Seconds as a -D property gives them (0.5 for 500 ms). */
    public static Duration seconds(double value) {
        return Duration.ofNanos(Math.round(value * 1e9));
    }

    private static double seconds(Duration duration) {
        return duration.toNanos() / 1e9;
    }

    /** An http(s) URL parameter, or an error naming the property. */
    public static URI httpUrl(String property, String value) {
        try {
            URI uri = new URI(value);
            if (("http".equals(uri.getScheme()) || "https".equals(uri.getScheme())) && uri.getHost() != null) {
                return uri;
            }
        } catch (URISyntaxException | NullPointerException ignored) {
            // reported below with the parameter's name
        }
        throw ConfigException.of(property, value, "must be an http(s) URL");
    }
}
