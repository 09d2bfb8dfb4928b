package dev.lyrics.mojo;

import dev.lyrics.cache.StageRunner;
import dev.lyrics.cache.StageSpec;
import dev.lyrics.core.ConfigException;
import dev.lyrics.core.InputException;
import dev.lyrics.core.Log;
import dev.lyrics.dataset.Song;
import dev.lyrics.dataset.SongsJsonl;
import dev.lyrics.scrape.CorpusSource;
import dev.lyrics.scrape.SongSource;
import dev.lyrics.scrape.genius.GeniusSettings;
import dev.lyrics.scrape.genius.GeniusSource;
import dev.lyrics.scrape.genius.GeniusToken;
import java.io.File;
import java.io.IOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.apache.maven.plugins.annotations.LifecyclePhase;
import org.apache.maven.plugins.annotations.Mojo;
import org.apache.maven.plugins.annotations.Parameter;
import org.apache.maven.settings.Server;

/**
 * Collects the songs of the experiment into songs.jsonl, from the embedded corpus or from Genius.
 * A Genius scrape's cache key holds the artists, limits, filters and URLs but not what Genius
 * serves: run with -Dlyrics.cache.refresh=true to scrape again (the page store is then refetched too).
 */
@Mojo(name = "scrape", defaultPhase = LifecyclePhase.GENERATE_RESOURCES, threadSafe = true)
public class ScrapeMojo extends AbstractStageMojo {
    /** Skips this goal. */
    @Parameter(property = "lyrics.scrape.skip", defaultValue = "false")
    boolean skipScrape;

    /** Where songs come from: corpus (the embedded songs file) or genius. */
    @Parameter(property = "lyrics.scrape.source", defaultValue = "corpus")
    String source;

    /** The artists to keep, in order (required). */
    @Parameter(property = "lyrics.scrape.artists")
    List<String> artists;

    /** At most this many songs per artist. */
    @Parameter(property = "lyrics.scrape.maxSongsPerArtist", defaultValue = "100")
    int maxSongsPerArtist;

    /** The embedded corpus: songs.jsonl records (source corpus). */
    @Parameter(property = "lyrics.scrape.corpusFile", defaultValue = "${project.basedir}/../data/psalms.jsonl")
    File corpusFile;

    /** The Genius API's base URL (source genius); a mirror or a test server may stand in. */
    @Parameter(property = "lyrics.genius.apiUrl", defaultValue = "https://api.genius.com")
    String apiUrl;

    /** The base URL of Genius song pages (source genius). */
    @Parameter(property = "lyrics.genius.webUrl", defaultValue = "https://genius.com")
    String webUrl;

    /** Also keeps songs where the artist is only featured (source genius). */
    @Parameter(property = "lyrics.genius.includeFeatures", defaultValue = "false")
    boolean includeFeatures;

    /** Songs whose title contains one of these words, in any case, are skipped (source genius). */
    @Parameter(property = "lyrics.genius.excludeTerms", defaultValue = "remix,live,skit,interview,tracklist,instrumental,acapella")
    List<String> excludeTerms;

    /** Seconds at least between the starts of two Genius requests. */
    @Parameter(property = "lyrics.genius.minIntervalSeconds", defaultValue = "0.5")
    double minIntervalSeconds;

    /** Song pages fetched at once. */
    @Parameter(property = "lyrics.genius.concurrency", defaultValue = "2")
    int concurrency;

    /** Seconds a Genius request may take, whole response included, before it is retried. */
    @Parameter(property = "lyrics.genius.timeoutSeconds", defaultValue = "30")
    double timeoutSeconds;

    /** Retries of a request after a timeout, a network error, HTTP 429 or 5xx. */
    @Parameter(property = "lyrics.genius.retries", defaultValue = "5")
    int retries;

    /** Seconds before the first retry; each further retry doubles it, plus jitter (Retry-After wins). */
    @Parameter(property = "lyrics.genius.backoffSeconds", defaultValue = "1")
    double backoffSeconds;

    /**
     * Where fetched Genius responses and pages are kept by URL, so that an interrupted scrape resumes
     * and a larger song limit fetches only new songs; default &lt;lyrics.cacheDir&gt;/genius-pages.
     */
    @Parameter(property = "lyrics.genius.pageStore")
    File pageStore;

    @Override
    protected String goal() {
        return "scrape";
    }

    @Override
    protected boolean goalSkipped() {
        return skipScrape;
    }

    @Override
    protected void run(StageRunner runner, Log log) throws Exception {
        ConfigException.require(maxSongsPerArtist >= 1, "lyrics.scrape.maxSongsPerArtist", maxSongsPerArtist, "must be at least 1");
        List<String> artistList = artists == null ? List.of() : artists;
        StageSpec.Builder spec = StageSpec.builder("scrape", "scrape", stageDir("scrape"))
                .param("scrape.source", source)
                .param("scrape.artists", artistList)
                .param("scrape.maxSongsPerArtist", maxSongsPerArtist);
        SongSource songSource;
        switch (source) {
            case "corpus" -> {
                Path corpus = corpusFile.toPath().normalize();
                spec.input("corpus", corpus);
                if (!Files.isRegularFile(corpus)) {
                    throw InputException.at(corpus, "corpus file not found; set <corpusFile> or -Dlyrics.scrape.corpusFile");
                }
                songSource = new CorpusSource(corpus, artistList, maxSongsPerArtist);
            }
            case "genius" -> songSource = geniusSource(artistList, spec);
            default -> throw ConfigException.of("lyrics.scrape.source", source, "must be corpus or genius");
        }
        runner.run(spec.build(), context -> {
            List<Song> songs = songSource.songs(context);
            SongsJsonl.write(context.outputDir().resolve("songs.jsonl"), songs);
            context.log().info("lyrics:scrape wrote " + songs.size() + " songs");
        });
    }

    /** Validates the genius parameters, keys the ones that change the songs, and finds the token. */
    private SongSource geniusSource(List<String> artistList, StageSpec.Builder spec) throws IOException {
        ConfigException.require(!artistList.isEmpty(), "lyrics.scrape.artists", "empty", "source genius needs the artists to scrape");
        URI api = httpUrl("lyrics.genius.apiUrl", apiUrl);
        URI web = httpUrl("lyrics.genius.webUrl", webUrl);
        ConfigException.require(minIntervalSeconds >= 0, "lyrics.genius.minIntervalSeconds", minIntervalSeconds, "must not be negative");
        ConfigException.require(concurrency >= 1 && concurrency <= 8, "lyrics.genius.concurrency", concurrency, "must be 1 to 8 (be polite)");
        ConfigException.require(timeoutSeconds > 0, "lyrics.genius.timeoutSeconds", timeoutSeconds, "must be positive");
        ConfigException.require(retries >= 0, "lyrics.genius.retries", retries, "must not be negative");
        ConfigException.require(backoffSeconds >= 0, "lyrics.genius.backoffSeconds", backoffSeconds, "must not be negative");
        List<String> terms = excludeTerms == null ? List.of() : excludeTerms;
        // politeness, the page store and the token change how songs are fetched, not which: not in the key
        spec.param("genius.apiUrl", api)
                .param("genius.webUrl", web)
                .param("genius.includeFeatures", includeFeatures)
                .param("genius.excludeTerms", terms);
        Path dotEnv = project.getBasedir().toPath().resolve(".env");
        GeniusToken token = GeniusToken.find(System.getenv(GeniusToken.VARIABLE), dotEnv, settingsPassword());
        if (token == null) {
            throw new ConfigException(GeniusToken.missingMessage(dotEnv));
        }
        Path store = pageStore != null ? pageStore.toPath() : cacheDir.toPath().resolve("genius-pages");
        return new GeniusSource(new GeniusSettings(api, web, artistList, maxSongsPerArtist, includeFeatures, terms,
                seconds(minIntervalSeconds), concurrency, seconds(timeoutSeconds), retries, seconds(backoffSeconds),
                store, cacheRefresh), token);
    }

    /** The password of settings.xml's server "genius", decrypted if it is encrypted; null if there is none. */
    private String settingsPassword() {
        Server server = decryptedServer(GeniusToken.SERVER_ID);
        return server == null ? null : server.getPassword();
    }

    private static URI httpUrl(String property, String value) {
        try {
            URI uri = new URI(value);
            if (("http".equals(uri.getScheme()) || "https".equals(uri.getScheme())) && uri.getHost() != null) {
                return uri;
            }
        } catch (URISyntaxException ignored) {
            // reported below with the parameter's name
        }
        throw ConfigException.of(property, value, "must be an http(s) URL");
    }

    private static Duration seconds(double value) {
        return Duration.ofNanos(Math.round(value * 1e9));
    }
}
