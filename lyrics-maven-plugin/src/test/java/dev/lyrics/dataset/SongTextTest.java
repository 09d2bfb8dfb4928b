package dev.lyrics.dataset;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lyrics.core.InputException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SongTextTest {
    @TempDir
    Path dir;

    @Test
    void readsBackTheLyricsOfEveryBlock() throws Exception {
        List<String> songs = List.of("first line\nsecond line", "", "one\n\nblank line between");
        Path file = dir.resolve("test_lyrics.txt");
        Files.writeString(file, String.join("", songs.stream().map(SongText::block).toList()));
        assertEquals(songs, SongText.readLyrics(file, null));
    }

    @Test
    void namesTheLineOfAMalformedBlock() throws Exception {
        Path file = dir.resolve("test_lyrics.txt");
        Files.writeString(file, SongText.block("ok") + "stray text\n");
        InputException e = assertThrows(InputException.class, () -> SongText.readLyrics(file, null));
        assertTrue(e.getMessage().contains("test_lyrics.txt:4"), e.getMessage());
    }
}
