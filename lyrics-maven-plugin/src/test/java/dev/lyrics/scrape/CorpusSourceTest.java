package dev.lyrics.scrape;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lyrics.core.ConfigException;
import dev.lyrics.core.InputException;
import dev.lyrics.dataset.Song;
import dev.lyrics.dataset.SongsJsonl;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CorpusSourceTest {
    @TempDir
    Path dir;

    Path corpus;

    @BeforeEach
    void writeCorpus() throws IOException {
        corpus = dir.resolve("songs.jsonl");
        SongsJsonl.write(corpus, List.of(
                song("Asaph", 50), song("David", 3), song("Asaph", 73), song("David", 4),
                song("Moses", 90), song("David", 5)));
    }

    static Song song(String artist, int psalm) {
        return new Song(artist, "Psalm " + psalm, "kjv:Psalms " + psalm, null, "verse of " + psalm);
    }

    static List<String> titles(List<Song> songs) {
        return songs.stream().map(s -> s.artist() + ": " + s.title()).toList();
    }

    @Test
    void keepsConfiguredArtistsInTheirOrderAndTheFirstSongsOfEach() throws IOException {
        List<Song> songs = new CorpusSource(corpus, List.of("David", "Asaph"), 2).songs();
        assertEquals(List.of("David: Psalm 3", "David: Psalm 4", "Asaph: Psalm 50", "Asaph: Psalm 73"), titles(songs));
    }

    @Test
    void anEmptyArtistListFailsAndNamesTheArtistsThereAre() {
        ConfigException e = assertThrows(ConfigException.class, () -> new CorpusSource(corpus, List.of(), 100).songs());
        assertTrue(e.getMessage().contains("lyrics.scrape.artists"), e.getMessage());
        assertTrue(e.getMessage().contains("[Asaph, David, Moses]"), e.getMessage());
    }

    @Test
    void anArtistMissingFromTheCorpusNamesTheParameterAndTheArtistsThereAre() {
        ConfigException e = assertThrows(ConfigException.class,
                () -> new CorpusSource(corpus, List.of("David", "Korah"), 100).songs());
        assertTrue(e.getMessage().contains("lyrics.scrape.artists"), e.getMessage());
        assertTrue(e.getMessage().contains("[Korah]"), e.getMessage());
        assertTrue(e.getMessage().contains("[Asaph, David, Moses]"), e.getMessage());
    }

    @Test
    void anArtistListedTwiceIsRejected() {
        ConfigException e = assertThrows(ConfigException.class,
                () -> new CorpusSource(corpus, List.of("David", "David"), 100).songs());
        assertTrue(e.getMessage().contains("lyrics.scrape.artists"), e.getMessage());
    }

    @Test
    void aMalformedLineNamesFileAndLine() throws IOException {
        Files.writeString(corpus, Files.readString(corpus) + "{\"artist\": \"David\", \"title\": \n");
        InputException e = assertThrows(InputException.class, () -> new CorpusSource(corpus, List.of(), 100).songs());
        assertTrue(e.getMessage().startsWith(corpus + ":7: "), e.getMessage());
    }

    @Test
    void aMissingOrEmptyCorpusFails() throws IOException {
        Path missing = dir.resolve("missing.jsonl");
        InputException e = assertThrows(InputException.class, () -> new CorpusSource(missing, List.of(), 100).songs());
        assertTrue(e.getMessage().contains(missing.toString()), e.getMessage());
        Files.writeString(corpus, "\n");
        e = assertThrows(InputException.class, () -> new CorpusSource(corpus, List.of(), 100).songs());
        assertTrue(e.getMessage().contains("no songs"), e.getMessage());
    }
}
