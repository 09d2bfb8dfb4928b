package dev.lyrics.rnn;

import dev.lyrics.core.Json;
import dev.lyrics.dataset.LyricsText;
import dev.lyrics.dataset.TextUnits;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/** Small hand-made inputs in preprocess's formats (train_lyrics.txt, vocab_&lt;level&gt;.json). */
final class Fixtures {
    private Fixtures() {}

    /** A vocabulary as preprocess builds it: specials, then units by descending count, ties by code point. */
    static Map<String, Integer> vocabulary(String level, List<String> songs) {
        Map<String, Integer> counts = new TreeMap<>();
        for (String song : songs) {
            for (String unit : TextUnits.split(level, song)) {
                counts.merge(unit, 1, Integer::sum);
            }
        }
        Map<String, Integer> ids = new LinkedHashMap<>();
        for (String special : List.of(TextUnits.PAD, TextUnits.UNKNOWN, TextUnits.SONG_START, TextUnits.SONG_END)) {
            ids.put(special, ids.size());
            counts.remove(special);
        }
        List<Map.Entry<String, Integer>> byCount = new ArrayList<>(counts.entrySet());
        byCount.sort(Map.Entry.<String, Integer>comparingByValue().reversed().thenComparing(Map.Entry.comparingByKey()));
        for (Map.Entry<String, Integer> e : byCount) {
            ids.put(e.getKey(), ids.size());
        }
        return ids;
    }

    static Vocabulary vocab(String level, List<String> songs) {
        return new Vocabulary(level, vocabulary(level, songs));
    }

    /** Songs in the plain-text format, from lyrics. */
    static List<String> songs(String... lyrics) {
        List<String> out = new ArrayList<>();
        for (String l : lyrics) {
            out.add(LyricsText.song(l));
        }
        return out;
    }

    /** Writes train_lyrics.txt and both vocabularies into dir, as preprocess would. */
    static void writePreprocessDir(Path dir, List<String> songs) throws IOException {
        Files.createDirectories(dir);
        Files.writeString(dir.resolve("train_lyrics.txt"), String.join("", songs));
        Json.write(dir.resolve("vocab_char.json"), vocabulary("char", songs));
        Json.write(dir.resolve("vocab_word.json"), vocabulary("word", songs));
    }

    static RecurrentConfig config(String cell, String level) {
        return new RecurrentConfig(null, cell, level, 8, 16, 1, 0.0, 16, 4, 2, 0.01, 0.01, 1.0, 7, 0.25);
    }
}
