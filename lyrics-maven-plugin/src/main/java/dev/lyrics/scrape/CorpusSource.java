package dev.lyrics.scrape;

import dev.lyrics.cache.StageContext;
import dev.lyrics.dataset.Song;
import java.nio.file.Path;
import java.util.List;

/** The embedded corpus: songs.jsonl records shipped in data/, filtered by artist and count. */
public final class CorpusSource implements SongSource {
    private final Path corpusFile;
    private final List<String> artists;
    private final int maxSongsPerArtist;

    public CorpusSource(Path corpusFile, List<String> artists, int maxSongsPerArtist) {
        this.corpusFile = corpusFile;
        this.artists = artists;
        this.maxSongsPerArtist = maxSongsPerArtist;
    }

    @Override
    public List<Song> songs(StageContext context) throws Exception {
        throw new UnsupportedOperationException("TODO(data helper): filter the corpus");
    }
}
