package dev.lyrics.stage;

import dev.lyrics.cache.Stage;
import dev.lyrics.cache.StageContext;
import dev.lyrics.cache.Unkeyed;
import dev.lyrics.core.ConfigException;
import dev.lyrics.core.InputException;
import dev.lyrics.dataset.Song;
import dev.lyrics.dataset.SongsJsonl;
import dev.lyrics.scrape.CorpusSource;
import dev.lyrics.scrape.SongSource;
import dev.lyrics.scrape.genius.GeniusSettings;
import dev.lyrics.scrape.genius.GeniusSource;
import dev.lyrics.scrape.genius.GeniusToken;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * lyrics:scrape: collects the experiment's songs into songs.jsonl, from the embedded corpus or from
 * Genius. A Genius scrape's key holds the artists, limits, filters and URLs but not what Genius
 * serves: -Dlyrics.cache.refresh=true scrapes again.
 */
public final class Scrape implements Stage<Scrape.Settings> {
    public static final String GOAL = "scrape";
    static final String SONGS = "songs.jsonl";

    /** Where songs come from (lyrics.scrape.source). */
    public enum Source {
        CORPUS,
        GENIUS;

        /** The lyrics.scrape.source parameter, checked. */
        public static Source parameter(String value) {
            return switch (value == null ? "" : value) {
                case "corpus" -> CORPUS;
                case "genius" -> GENIUS;
                default -> throw ConfigException.of("lyrics.scrape.source", value, "must be corpus or genius");
            };
        }
    }

    /**
     * Exactly one of corpus and genius is set.
     *
     * @param corpus the embedded songs file (source corpus)
     * @param genius what to scrape from Genius (source genius)
     * @param token  the Genius token (source genius): a secret, never in a key or a log
     */
    public record Settings(List<String> artists, int maxSongsPerArtist, Path corpus, GeniusSettings genius,
            @Unkeyed("a secret; it decides who asks, not what Genius answers") GeniusToken token) {
        public Settings {
            artists = List.copyOf(artists);
            ConfigException.require(maxSongsPerArtist >= 1, "lyrics.scrape.maxSongsPerArtist", maxSongsPerArtist, "must be at least 1");
            if ((corpus == null) == (genius == null) || (genius == null) != (token == null)) {
                throw new IllegalArgumentException("either a corpus file, or Genius settings and a token");
            }
            if (corpus != null && !Files.isRegularFile(corpus)) {
                throw InputException.at(corpus, "corpus file not found; set <corpusFile> or -Dlyrics.scrape.corpusFile");
            }
        }

        /** The embedded corpus, filtered by artist and count. */
        public static Settings corpus(Path corpusFile, List<String> artists, int maxSongsPerArtist) {
            return new Settings(artists, maxSongsPerArtist, corpusFile.normalize(), null, null);
        }

        /** Genius, with the token found by the caller. */
        public static Settings genius(GeniusSettings genius, GeniusToken token) {
            return new Settings(genius.artists(), genius.maxSongsPerArtist(), null, genius, token);
        }
    }

    @Override
    public String goal() {
        return GOAL;
    }

    @Override
    public void run(Settings settings, StageContext context) throws Exception {
        SongSource source = settings.genius() == null
                ? new CorpusSource(settings.corpus(), settings.artists(), settings.maxSongsPerArtist())
                : new GeniusSource(settings.genius(), settings.token());
        List<Song> songs = source.songs(context);
        SongsJsonl.write(context.outputDir().resolve(SONGS), songs);
        context.log().info("lyrics:scrape wrote " + songs.size() + " songs");
    }

    /** What lyrics:scrape wrote. */
    public record Outputs(Path dir) {
        public Path songs() {
            return StageFiles.require(dir.resolve(SONGS), GOAL, "");
        }

        /** The Genius scrape's report (skipped songs and why), if this was one. */
        public Path geniusReport() {
            return dir.resolve(GeniusSource.REPORT_FILE);
        }
    }
}
