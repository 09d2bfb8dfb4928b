package dev.lyrics.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lyrics.dataset.AlpacaRecord;
import dev.lyrics.dataset.Preprocessor;
import dev.lyrics.dataset.SongText;
import dev.lyrics.dataset.Vocabulary;
import dev.lyrics.scrape.CorpusSource;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A user file saved as Latin-1 (or Windows-1252) instead of UTF-8: every reader names file, line, byte offset and parameter. */
class Utf8FilesTest {
    @TempDir
    Path dir;

    /** Line 3 holds "café" in ISO-8859-1: 0xE9 is not UTF-8. */
    Path latin1(String name, String text) throws Exception {
        Path file = dir.resolve(name);
        Files.write(file, text.getBytes(StandardCharsets.ISO_8859_1));
        return file;
    }

    static final String SONG = "{\"artist\":\"A\",\"lyrics\":\"la\",\"source\":\"s\",\"title\":\"T\"}\n";

    /** The fault is the first "é" of the file. */
    void assertNamesTheFault(Path file, int line, String parameter, Throwable e) throws Exception {
        int offset = new String(Files.readAllBytes(file), StandardCharsets.ISO_8859_1).indexOf('é');
        String message = e.getMessage();
        assertTrue(message.startsWith(file + ":" + line + ": not UTF-8 text: byte 0xE9 at byte offset " + offset), message);
        assertTrue(message.contains("-D" + parameter + "=..."), message);
    }

    @Test
    void utf8TextIsReadAsIs() throws Exception {
        Path file = dir.resolve("ok.txt");
        Files.writeString(file, "café\n☃\n", StandardCharsets.UTF_8);
        assertEquals("café\n☃\n", Utf8Files.read(file, null));
    }

    @Test
    void aTruncatedMultiByteCharacterAtTheEndIsReported() throws Exception {
        Path file = dir.resolve("cut.txt");
        Files.write(file, new byte[] {'a', '\n', (byte) 0xE2, (byte) 0x98});
        InputException e = assertThrows(InputException.class, () -> Utf8Files.read(file, null));
        assertTrue(e.getMessage().startsWith(file + ":2: not UTF-8 text: byte 0xE2 at byte offset 2"), e.getMessage());
    }

    @Test
    void aLatin1CorpusFileNamesLineOffsetAndParameter() throws Exception {
        Path corpus = latin1("corpus.jsonl", SONG + SONG + SONG.replace("la", "café"));
        InputException e = assertThrows(InputException.class, () -> new CorpusSource(corpus, List.of("A"), 5).songs());
        assertNamesTheFault(corpus, 3, "lyrics.scrape.corpusFile", e);
    }

    @Test
    void aLatin1SongsFileNamesItsParameter() throws Exception {
        Path songs = latin1("songs.jsonl", SONG.replace("la", "café"));
        InputException e = assertThrows(InputException.class,
                () -> Preprocessor.run(songs, new Preprocessor.Settings(0.2, 3407, List.of("i"), "x", 1, 0.5), dir, Log.SILENT));
        assertNamesTheFault(songs, 1, "lyrics.preprocess.songsFile", e);
    }

    @Test
    void latin1TrainTestAndVocabularyFilesNameTheirParameter() throws Exception {
        Path train = latin1("train.json", "[\n{\"instruction\":\"i\",\"input\":\"\",\n\"output\":\"café\"}]");
        assertNamesTheFault(train, 3, "lyrics.finetune.preprocessDirectory",
                assertThrows(InputException.class, () -> AlpacaRecord.readAll(train, "lyrics.finetune.preprocessDirectory")));
        Path vocab = latin1("vocab_char.json", "{\n\"<pad>\": 0,\n\"é\": 1}");
        assertNamesTheFault(vocab, 3, "lyrics.finetune.preprocessDirectory",
                assertThrows(InputException.class, () -> Vocabulary.read(vocab, "lyrics.finetune.preprocessDirectory")));
        Path text = latin1("test_lyrics.txt", "<|song_start|>\ncafé\n<|song_end|>\n");
        assertNamesTheFault(text, 2, "lyrics.outputDirectory",
                assertThrows(InputException.class, () -> SongText.readLyrics(text, "lyrics.outputDirectory")));
    }
}
