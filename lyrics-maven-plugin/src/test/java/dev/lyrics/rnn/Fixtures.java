package dev.lyrics.rnn;

import dev.lyrics.core.Json;
import dev.lyrics.dataset.SongText;
import dev.lyrics.dataset.TextUnits;
import dev.lyrics.dataset.Vocabulary;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** Small hand-made inputs in preprocess's formats (train_lyrics.txt, vocab_&lt;level&gt;.json). */
final class Fixtures {
    private Fixtures() {}

    static UnitCodec vocab(String level, List<String> songs) {
        return new UnitCodec(level, Vocabulary.build(TextUnits.split(level, String.join("", songs)), 1));
    }

    /** Songs in the plain-text format, from lyrics. */
    static List<String> songs(String... lyrics) {
        List<String> out = new ArrayList<>();
        for (String l : lyrics) {
            out.add(SongText.block(l));
        }
        return out;
    }

    /** Writes train_lyrics.txt and both vocabularies into dir, as preprocess would. */
    static void writePreprocessDir(Path dir, List<String> songs) throws IOException {
        Files.createDirectories(dir);
        Files.writeString(dir.resolve("train_lyrics.txt"), String.join("", songs));
        Json.write(dir.resolve("vocab_char.json"), vocab("char", songs).vocabulary().ids());
        Json.write(dir.resolve("vocab_word.json"), vocab("word", songs).vocabulary().ids());
    }

    static RecurrentConfig config(String cell, String level) {
        return new RecurrentConfig(null, cell, level, 8, 16, 1, 0.0, 16, 4, 2, 0.01, 0.01, 1.0, 7, 0.25);
    }
}
