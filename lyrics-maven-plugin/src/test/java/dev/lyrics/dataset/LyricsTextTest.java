package dev.lyrics.dataset;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lyrics.core.InputException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LyricsTextTest {
    @TempDir
    Path tmp;

    @Test
    void readsBackTheSongsItWrites() throws IOException {
        List<String> songs = List.of(LyricsText.song("one\ntwo"), LyricsText.song("three"));
        assertEquals("<|song_start|>\nthree\n<|song_end|>\n", songs.get(1));
        Path file = tmp.resolve("train_lyrics.txt");
        Files.writeString(file, String.join("", songs));
        assertEquals(songs, LyricsText.read(file));
    }

    @Test
    void textOutsideASongIsReportedWithItsLine() throws IOException {
        Path file = tmp.resolve("test_lyrics.txt");
        Files.writeString(file, LyricsText.song("one") + "stray\n" + LyricsText.song("two"));
        InputException e = assertThrows(InputException.class, () -> LyricsText.read(file));
        assertTrue(e.getMessage().startsWith(file + ":4: expected <|song_start|>"), e.getMessage());
    }

    @Test
    void aSongWithoutItsEndIsReportedWhereItStarts() throws IOException {
        Path file = tmp.resolve("test_lyrics.txt");
        Files.writeString(file, LyricsText.song("one") + "<|song_start|>\ntwo\n" + LyricsText.song("three"));
        InputException e = assertThrows(InputException.class, () -> LyricsText.read(file));
        assertTrue(e.getMessage().startsWith(file + ":4: song has no <|song_end|> line"), e.getMessage());
    }
}
