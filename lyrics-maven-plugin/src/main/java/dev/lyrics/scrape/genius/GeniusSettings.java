package dev.lyrics.scrape.genius;

import java.net.URI;
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
        Duration minInterval,
        int concurrency,
        Duration timeout,
        int retries,
        Duration backoff,
        Path pageStore,
        boolean refreshPages) {

    public GeniusSettings {
        artists = List.copyOf(artists);
        excludeTerms = List.copyOf(excludeTerms);
    }
}
