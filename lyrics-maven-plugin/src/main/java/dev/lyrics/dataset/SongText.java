package dev.lyrics.dataset;

import dev.lyrics.core.InputException;
import dev.lyrics.core.Utf8Files;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The plain-text form of songs (train_lyrics.txt, test_lyrics.txt): each song as
 * "&lt;|song_start|&gt;\n" + lyrics + "\n&lt;|song_end|&gt;\n", one after the other.
 */
public final class SongText {
    /** What precedes the lyrics in a song's block. */
    public static final String OPENING = TextUnits.SONG_START + "\n";
    /** What follows the lyrics in a song's block. */
    public static final String CLOSING = "\n" + TextUnits.SONG_END + "\n";

    private SongText() {}

    /** One song's block. */
    public static String block(String lyrics) {
        return OPENING + lyrics + CLOSING;
    }

    /**
     * The lyrics of every song in a plain-text file, in file order.
     *
     * @param parameter the property that chose the file, named in errors (null when none did)
     */
    public static List<String> readLyrics(Path file, String parameter) throws IOException {
        String text = Utf8Files.read(file, parameter);
        List<String> songs = new ArrayList<>();
        int at = 0;
        while (at < text.length()) {
            if (!text.startsWith(OPENING, at)) {
                throw InputException.at(file, lineOf(text, at), "expected " + TextUnits.SONG_START + " and a newline");
            }
            int lyricsStart = at + OPENING.length();
            int closing = text.indexOf(CLOSING, lyricsStart);
            if (closing < 0) {
                throw InputException.at(file, lineOf(text, at), "song has no closing " + TextUnits.SONG_END + " line");
            }
            songs.add(text.substring(lyricsStart, closing));
            at = closing + CLOSING.length();
        }
        return songs;
    }

    private static long lineOf(String text, int index) {
        return text.substring(0, index).chars().filter(c -> c == '\n').count() + 1;
    }
}
