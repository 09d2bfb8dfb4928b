package dev.lyrics.dataset;

import dev.lyrics.core.InputException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The plain-text song files of preprocess (train_lyrics.txt, test_lyrics.txt): every song
 * written as "&lt;|song_start|&gt;\n" + lyrics + "\n&lt;|song_end|&gt;\n", one after another.
 */
public final class LyricsText {
    private static final String END = TextUnits.SONG_END + "\n";

    private LyricsText() {}

    /** One song as it appears in the file, delimiters and final newline included. */
    public static String song(String lyrics) {
        return TextUnits.SONG_START + "\n" + lyrics + "\n" + END;
    }

    /** The songs of a file, each as {@link #song} writes it. */
    public static List<String> read(Path file) throws IOException {
        String text = Files.readString(file, StandardCharsets.UTF_8);
        List<String> songs = new ArrayList<>();
        int at = 0;
        while (at < text.length()) {
            if (!text.startsWith(TextUnits.SONG_START, at)) {
                throw InputException.at(file, lineOf(text, at), "expected " + TextUnits.SONG_START + " to start a song");
            }
            int end = text.indexOf(END, at);
            int nextStart = text.indexOf(TextUnits.SONG_START, at + TextUnits.SONG_START.length());
            if (end < 0 || (nextStart >= 0 && nextStart < end)) {
                throw InputException.at(file, lineOf(text, at), "song has no " + TextUnits.SONG_END + " line");
            }
            songs.add(text.substring(at, end + END.length()));
            at = end + END.length();
        }
        return songs;
    }

    private static long lineOf(String text, int index) {
        return text.substring(0, index).chars().filter(c -> c == '\n').count() + 1;
    }
}
