package dev.lyrics.mojo;

import dev.lyrics.cache.StageRunner;
import dev.lyrics.core.Log;
import dev.lyrics.dataset.Preprocessor;
import dev.lyrics.stage.Preprocess;
import java.io.File;
import java.util.List;
import org.apache.maven.plugins.annotations.LifecyclePhase;
import org.apache.maven.plugins.annotations.Mojo;
import org.apache.maven.plugins.annotations.Parameter;

/** Splits the songs by song into train and test sets, as Alpaca JSON and plain text, with vocabularies and statistics. */
@Mojo(name = "preprocess", defaultPhase = LifecyclePhase.PROCESS_RESOURCES, threadSafe = true)
public class PreprocessMojo extends AbstractStageMojo {
    /** Skips this goal. */
    @Parameter(property = "lyrics.preprocess.skip", defaultValue = "false")
    boolean skipPreprocess;

    /** The songs to split: the scrape stage's songs.jsonl. */
    @Parameter(property = "lyrics.preprocess.songsFile", defaultValue = "${project.build.directory}/lyrics/scrape/songs.jsonl")
    File songsFile;

    /** Share of songs in the test set, in (0, 1). */
    @Parameter(property = "lyrics.preprocess.testFraction", defaultValue = "0.2")
    double testFraction;

    /** Seeds the split and the choice of instruction per song. */
    @Parameter(property = "lyrics.preprocess.seed", defaultValue = "3407")
    long seed;

    /** Alpaca instruction variants, one picked per song by the seeded generator (default: three built-in variants). */
    @Parameter(property = "lyrics.preprocess.instructions")
    List<String> instructions;

    /** Alpaca input; {artist} is replaced by the song's artist. */
    @Parameter(property = "lyrics.preprocess.inputTemplate", defaultValue = Preprocessor.DEFAULT_INPUT_TEMPLATE)
    String inputTemplate;

    /** A word enters vocab_word.json when it occurs this often in the training text; rarer words become &lt;unk&gt;. */
    @Parameter(property = "lyrics.preprocess.minWordCount", defaultValue = "2")
    int minWordCount;

    /** Songs sharing at least this share of the smaller one's 5-word phrases are kept on one side of the split. */
    @Parameter(property = "lyrics.preprocess.overlapThreshold", defaultValue = "0.15")
    double overlapThreshold;

    @Override
    protected String goal() {
        return "preprocess";
    }

    @Override
    protected boolean goalSkipped() {
        return skipPreprocess;
    }

    @Override
    protected void run(StageRunner runner, Log log) throws Exception {
        Preprocess.Settings settings = new Preprocess.Settings(songsFile.toPath(), new Preprocessor.Settings(testFraction,
                seed, instructions == null || instructions.isEmpty() ? Preprocessor.DEFAULT_INSTRUCTIONS : instructions,
                inputTemplate, minWordCount, overlapThreshold));
        runner.run(new Preprocess(), Preprocess.GOAL, settings, stageDir(Preprocess.GOAL));
    }
}
