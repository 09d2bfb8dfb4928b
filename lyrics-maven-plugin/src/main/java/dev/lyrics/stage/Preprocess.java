package dev.lyrics.stage;

import dev.lyrics.cache.Stage;
import dev.lyrics.cache.StageContext;
import dev.lyrics.dataset.DatasetInfo;
import dev.lyrics.dataset.Preprocessor;
import java.io.IOException;
import java.nio.file.Path;

/**
 * lyrics:preprocess: splits the songs by song into train and test sets, as Alpaca JSON and plain
 * text, with vocabularies and statistics.
 */
public final class Preprocess implements Stage<Preprocess.Settings> {
    public static final String GOAL = "preprocess";
    static final String DATASET_INFO = "dataset_info.json";

    /**
     * @param songs the songs to split (the scrape stage's songs.jsonl)
     * @param split how they are split and turned into Alpaca records
     */
    public record Settings(Path songs, Preprocessor.Settings split) {
        public Settings {
            StageFiles.require(songs, "scrape", "or set <songsFile> or -Dlyrics.preprocess.songsFile");
        }
    }

    @Override
    public String goal() {
        return GOAL;
    }

    @Override
    public void run(Settings settings, StageContext context) throws Exception {
        Preprocessor.run(settings.songs(), settings.split(), context.outputDir(), context.log());
    }

    /**
     * What lyrics:preprocess wrote, for the stages that read it; every file checked to exist.
     *
     * @param property the parameter that points the reading goal at dir, named in errors
     */
    public record Outputs(Path dir, String property) {
        public Path trainJson() {
            return file("train.json");
        }

        public Path testJson() {
            return file("test.json");
        }

        public Path trainLyrics() {
            return file("train_lyrics.txt");
        }

        public Path testLyrics() {
            return file("test_lyrics.txt");
        }

        /** vocab_char.json or vocab_word.json. */
        public Path vocabulary(String fileName) {
            return file(fileName);
        }

        /** dataset_info.json, whether or not it exists. */
        public Path datasetInfoFile() {
            return dir.resolve(DATASET_INFO);
        }

        /** dataset_info.json, typed. */
        public DatasetInfo datasetInfo() throws IOException {
            return DatasetInfo.read(file(DATASET_INFO));
        }

        private Path file(String name) {
            return StageFiles.require(dir.resolve(name), GOAL, "or point " + property + " at a directory that has it");
        }
    }
}
