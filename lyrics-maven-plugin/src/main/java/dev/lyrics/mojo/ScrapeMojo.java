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
import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.apache.maven.plugins.annotations.LifecyclePhase;
import org.apache.maven.plugins.annotations.Mojo;
import org.apache.maven.plugins.annotations.Parameter;

/** Collects the songs of the experiment into songs.jsonl, from the embedded corpus or from Genius. */
@Mojo(name = "scrape", defaultPhase = LifecyclePhase.GENERATE_RESOURCES, threadSafe = true)
public class ScrapeMojo extends AbstractStageMojo {
    /** Skips this goal. */
    @Parameter(property = "lyrics.scrape.skip", defaultValue = "false")
    boolean skipScrape;

    /** Where songs come from: corpus (the embedded songs file) or genius. */
    @Parameter(property = "lyrics.scrape.source", defaultValue = "corpus")
    String source;

    /** The artists to keep, in order; empty keeps every artist of the corpus (the genius source needs a list). */
    @Parameter(property = "lyrics.scrape.artists")
    List<String> artists;

    /** At most this many songs per artist. */
    @Parameter(property = "lyrics.scrape.maxSongsPerArtist", defaultValue = "100")
    int maxSongsPerArtist;

    /** The embedded corpus: songs.jsonl records (source corpus). */
    @Parameter(property = "lyrics.scrape.corpusFile", defaultValue = "${project.basedir}/../data/psalms.jsonl")
    File corpusFile;

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
            default -> throw ConfigException.of("lyrics.scrape.source", source, "must be corpus or genius");
        }
        runner.run(spec.build(), context -> {
            List<Song> songs = songSource.songs(context);
            SongsJsonl.write(context.outputDir().resolve("songs.jsonl"), songs);
            context.log().info("lyrics:scrape wrote " + songs.size() + " songs");
        });
    }
}
