package dev.lyrics.eval;

import dev.lyrics.core.InputException;
import dev.lyrics.dataset.AlpacaRecord;
import dev.lyrics.dataset.PromptTemplate;
import dev.lyrics.dataset.SongText;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The test split in both of its forms: Alpaca records for the transformers, songs of
 * test_lyrics.txt for the recurrent models. Both hold the same songs, so bits per byte and
 * per-word perplexity, computed over the lyrics alone, compare every model on the same text.
 */
public record TestSet(List<AlpacaRecord> records, PromptTemplate template, List<String> songs) {
    public TestSet {
        records = List.copyOf(records);
        songs = List.copyOf(songs);
    }

    /**
     * Reads the test split lyrics:preprocess wrote. An empty split fails here: every figure of an
     * empty test set is 0 / 0, and a gate fed nothing must not pass. {@code parameter} is the property
     * that points at the files, named when one is not UTF-8.
     */
    public static TestSet read(Path testJson, PromptTemplate template, Path testLyrics, String parameter) throws IOException {
        List<AlpacaRecord> records = AlpacaRecord.readAll(testJson, parameter);
        List<String> songs = SongText.readLyrics(testLyrics, parameter);
        for (Path file : List.of(testJson, testLyrics)) {
            if ((file == testJson ? records.size() : songs.size()) == 0) {
                throw InputException.at(file, "the test split is empty: nothing to score, and a gate fed nothing must not"
                        + " pass; give lyrics:preprocess more songs or a larger -Dlyrics.preprocess.testFraction");
            }
        }
        return new TestSet(records, template, songs);
    }

    /** What a model of the family scores, with the lyrics' span marked. */
    public List<TestText> textsFor(ModelFamily family) {
        List<TestText> texts = new ArrayList<>();
        if (family == ModelFamily.TRANSFORMER) {
            for (int i = 0; i < records.size(); i++) {
                PromptTemplate.Rendered rendered = template.render(records.get(i));
                texts.add(new TestText("test.json[" + i + "]", rendered.text(), rendered.responseStart(), rendered.responseEnd()));
            }
        } else {
            for (int i = 0; i < songs.size(); i++) {
                String lyrics = songs.get(i);
                int start = SongText.OPENING.length();
                texts.add(new TestText("test_lyrics.txt song " + (i + 1), SongText.block(lyrics), start, start + lyrics.length()));
            }
        }
        return texts;
    }
}
