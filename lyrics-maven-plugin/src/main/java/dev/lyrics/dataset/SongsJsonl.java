package dev.lyrics.dataset;

import com.fasterxml.jackson.core.JsonProcessingException;
import dev.lyrics.core.Files2;
import dev.lyrics.core.InputException;
import dev.lyrics.core.Json;
import dev.lyrics.core.Utf8Files;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** songs.jsonl: one {@link Song} per line, keys sorted. */
public final class SongsJsonl {
    private SongsJsonl() {}

    public static void write(Path file, List<Song> songs) throws IOException {
        StringBuilder sb = new StringBuilder();
        for (Song song : songs) {
            sb.append(Json.compact(song)).append('\n');
        }
        Files2.writeAtomically(file, sb.toString());
    }

    /**
     * Reads every record; a malformed line, a line that is not UTF-8 or a record without artist, title or
     * lyrics names the file and line.
     *
     * @param parameter the property that chose the file, named in errors (null when none did)
     */
    public static List<Song> read(Path file, String parameter) throws IOException {
        if (!Files.isRegularFile(file)) {
            throw InputException.at(file, "songs file not found");
        }
        List<Song> songs = new ArrayList<>();
        long number = 0;
        for (String line : (Iterable<String>) Utf8Files.read(file, parameter).lines()::iterator) {
            number++;
            if (line.isBlank()) {
                continue;
            }
            Song song;
            try {
                song = Json.MAPPER.readValue(line, Song.class);
            } catch (JsonProcessingException e) {
                throw InputException.at(file, number, "not a JSON song record (" + e.getOriginalMessage() + ")");
            }
            if (blank(song.artist()) || blank(song.title()) || song.lyrics() == null) {
                throw InputException.at(file, number, "song record needs artist, title and lyrics");
            }
            songs.add(song);
        }
        return songs;
    }

    private static boolean blank(String s) {
        return s == null || s.isBlank();
    }
}
