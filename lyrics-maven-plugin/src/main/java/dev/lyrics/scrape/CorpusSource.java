package dev.lyrics.scrape;

import dev.lyrics.cache.StageContext;
import dev.lyrics.core.ConfigException;
import dev.lyrics.core.InputException;
import dev.lyrics.dataset.Song;
import dev.lyrics.dataset.SongsJsonl;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The embedded corpus: songs.jsonl records shipped in data/, filtered by artist and count. */
public final class CorpusSource implements SongSource {
    private final Path corpusFile;
    private final List<String> artists;
    private final int maxSongsPerArtist;

    /**
     * @param artists           the artists to keep, in this order (an empty list is refused: a dataset of nobody)
     * @param maxSongsPerArtist at most this many songs of each artist, the first ones of the corpus
     */
    public CorpusSource(Path corpusFile, List<String> artists, int maxSongsPerArtist) {
        this.corpusFile = corpusFile;
        this.artists = List.copyOf(artists);
        this.maxSongsPerArtist = maxSongsPerArtist;
    }

    @Override
    public List<Song> songs(StageContext context) throws IOException {
        return songs();
    }

    /** The filtered songs: artist order as configured, then corpus order. */
    public List<Song> songs() throws IOException {
        Map<String, List<Song>> byArtist = new LinkedHashMap<>();
        for (Song song : SongsJsonl.read(corpusFile, "lyrics.scrape.corpusFile")) {
            byArtist.computeIfAbsent(song.artist(), a -> new ArrayList<>()).add(song);
        }
        if (byArtist.isEmpty()) {
            throw InputException.at(corpusFile, "no songs in the corpus: a dataset needs at least one song");
        }
        if (artists.isEmpty()) {
            throw ConfigException.of("lyrics.scrape.artists", "empty",
                    "list the artists to keep; the corpus " + corpusFile + " has " + byArtist.keySet());
        }
        if (new HashSet<>(artists).size() < artists.size()) {
            throw ConfigException.of("lyrics.scrape.artists", artists, "names an artist twice");
        }
        List<String> missing = artists.stream().filter(a -> !byArtist.containsKey(a)).toList();
        if (!missing.isEmpty()) {
            throw ConfigException.of("lyrics.scrape.artists", artists,
                    "the corpus " + corpusFile + " has no songs of " + missing
                            + "; its artists are " + byArtist.keySet());
        }
        List<Song> kept = new ArrayList<>();
        for (String artist : artists) {
            List<Song> songs = byArtist.get(artist);
            kept.addAll(songs.subList(0, Math.min(songs.size(), maxSongsPerArtist)));
        }
        return kept;
    }
}
