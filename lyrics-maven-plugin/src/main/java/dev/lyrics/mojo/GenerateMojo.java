package dev.lyrics.mojo;

import dev.lyrics.cache.StageRunner;
import dev.lyrics.core.Log;
import dev.lyrics.eval.ModelUnderTest;
import dev.lyrics.stage.Generate;
import dev.lyrics.stage.Preprocess;
import java.io.IOException;
import java.util.List;
import org.apache.maven.plugins.annotations.LifecyclePhase;
import org.apache.maven.plugins.annotations.Mojo;
import org.apache.maven.plugins.annotations.Parameter;

/**
 * Samples lyrics per artist from the fine-tuned model (and the base model, for contrast) with the
 * study's Alpaca prompt, and one text from each recurrent model after "&lt;|song_start|&gt;\n";
 * measures every text and writes generate/samples.json and samples.md.
 */
@Mojo(name = "generate", defaultPhase = LifecyclePhase.VERIFY, threadSafe = true)
public class GenerateMojo extends AbstractEvaluationMojo {
    /** Skips this goal. */
    @Parameter(property = "lyrics.generate.skip", defaultValue = "false")
    boolean skipGenerate;

    /** Also samples the base model with the same prompts and seeds, for contrast. */
    @Parameter(property = "lyrics.generate.sampleBase", defaultValue = "true")
    boolean sampleBase;

    /** The artists to write for, in order; empty takes every artist of the training split. */
    @Parameter(property = "lyrics.generate.artists")
    List<String> artists;

    /** The prompt's Alpaca instruction. */
    @Parameter(property = "lyrics.generate.instruction", defaultValue = "Write song lyrics in the requested style.")
    String instruction;

    /** The prompt's Alpaca input; {artist} is replaced by the artist. */
    @Parameter(property = "lyrics.generate.inputTemplate", defaultValue = "Help me write a song in the style of {artist}.")
    String inputTemplate;

    /** Divides the logits; 0 samples greedily. */
    @Parameter(property = "lyrics.generate.temperature", defaultValue = "0.8")
    double temperature;

    /** Per-artist temperatures as artist=temperature entries (the study used 0.7 for one artist). */
    @Parameter(property = "lyrics.generate.artistTemperatures")
    List<String> artistTemperatures;

    /** Keeps the k most likely units before top-p; 0 keeps all (Hugging Face generate() applies 50 unless told). */
    @Parameter(property = "lyrics.generate.topK", defaultValue = "50")
    int topK;

    /** Nucleus sampling: the smallest most-likely set of units whose probability reaches this. */
    @Parameter(property = "lyrics.generate.topP", defaultValue = "0.9")
    double topP;

    /** Divides positive and multiplies negative logits of units already in the prompt or the sample. */
    @Parameter(property = "lyrics.generate.repetitionPenalty", defaultValue = "1.3")
    double repetitionPenalty;

    /** The most units sampled per text. */
    @Parameter(property = "lyrics.generate.maxNewTokens", defaultValue = "256")
    int maxNewTokens;

    /** Every sample's seed is derived from this and the artist. */
    @Parameter(property = "lyrics.generate.seed", defaultValue = "3407")
    long seed;

    @Override
    protected String goal() {
        return Generate.GOAL;
    }

    @Override
    protected boolean goalSkipped() {
        return skipGenerate;
    }

    @Override
    protected void run(StageRunner runner, Log log) throws Exception {
        runner.run(stage(), Generate.GOAL, settings(), stageDir(Generate.GOAL));
    }

    Generate.Settings settings() throws IOException {
        Preprocess.Outputs preprocess = preprocess();
        List<String> artistList = Generate.artists(nonBlank(artists), preprocess.datasetInfoFile());
        // one fine-tuned model, from <finetuneStage> itself: the seed's value does not enter a name
        List<ModelUnderTest> models = models(List.of(0L));
        return new Generate.Settings(preprocess.trainJson(), preprocess.testJson(), promptTemplate, models, sampleBase,
                artistList, instruction, inputTemplate, Generate.temperatures(nonBlank(artistTemperatures), artistList),
                temperature, topK, topP, repetitionPenalty, maxNewTokens, seed, execution());
    }

    /** The core stage: a seam for tests, which open fake models. */
    Generate stage() {
        return new Generate();
    }
}
