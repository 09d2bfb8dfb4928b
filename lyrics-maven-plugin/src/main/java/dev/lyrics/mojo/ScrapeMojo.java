package dev.lyrics.mojo;

import dev.lyrics.cache.StageRunner;
import dev.lyrics.core.ConfigException;
import dev.lyrics.core.Log;
import dev.lyrics.scrape.genius.GeniusSettings;
import dev.lyrics.scrape.genius.GeniusToken;
import dev.lyrics.stage.Scrape;
import java.io.File;
import java.io.IOException;
import java.nio.file.Path;
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
        List<String> artistList = artists == null ? List.of() : artists;
        Scrape.Settings settings = switch (Scrape.Source.parameter(source)) {
            case GENIUS -> Scrape.Settings.genius(new GeniusSettings(GeniusSettings.httpUrl("lyrics.genius.apiUrl", apiUrl),
                        GeniusSettings.httpUrl("lyrics.genius.webUrl", webUrl), artistList, maxSongsPerArtist, includeFeatures,
                        excludeTerms == null ? List.of() : excludeTerms, GeniusSettings.seconds(minIntervalSeconds), concurrency,
                        GeniusSettings.seconds(timeoutSeconds), retries, GeniusSettings.seconds(backoffSeconds),
                        pageStore != null ? pageStore.toPath() : cacheDir.toPath().resolve("genius-pages"), cacheRefresh), token());
            case CORPUS -> Scrape.Settings.corpus(corpusFile.toPath(), artistList, maxSongsPerArtist);
        };
        runner.run(new Scrape(), Scrape.GOAL, settings, stageDir(Scrape.GOAL));
    }

    /** The Genius token from the environment, .env or settings.xml's server "genius". */
    private GeniusToken token() throws IOException {
        Path dotEnv = project.getBasedir().toPath().resolve(".env");
        GeniusToken token = GeniusToken.find(System.getenv(GeniusToken.VARIABLE), dotEnv, settingsPassword());
        if (token == null) {
            throw new ConfigException(GeniusToken.missingMessage(dotEnv));
        }
        return token;
    }

    /** The password of settings.xml's server "genius", decrypted if it is encrypted; null if there is none. */
    private String settingsPassword() {
        Server server = decryptedServer(GeniusToken.SERVER_ID);
        return server == null ? null : server.getPassword();
    }
}
