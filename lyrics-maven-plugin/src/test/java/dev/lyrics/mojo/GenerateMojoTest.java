package dev.lyrics.mojo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lyrics.core.Json;
import dev.lyrics.dataset.AlpacaRecord;
import dev.lyrics.generate.FakeLanguageModel;
import dev.lyrics.generate.Sample;
import dev.lyrics.generate.Samples;
import dev.lyrics.stage.Execution;
import dev.lyrics.stage.Generate;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.apache.maven.plugin.MojoFailureException;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class GenerateMojoTest {
    @TempDir
    Path dir;

    private Path lyricsDir;
    private final FakeModelLoader loader = new FakeModelLoader((name, adapterDir) -> new FakeLanguageModel());

    @BeforeEach
    void stageOutputs() throws IOException {
        lyricsDir = dir.resolve("target/lyrics");
        Path preprocess = Files.createDirectories(lyricsDir.resolve("preprocess"));
        Json.write(preprocess.resolve("train.json"), List.of(
                new AlpacaRecord("Write a psalm.", "Help me write a song in the style of David.", "la la love night\ncity lights"),
                new AlpacaRecord("Write a psalm.", "Help me write a song in the style of Asaph.", "rain fire yeah")));
        Json.write(preprocess.resolve("test.json"), List.of(
                new AlpacaRecord("Write a psalm.", "Help me write a song in the style of Asaph.", "love night city\nla da")));
        Json.write(preprocess.resolve("dataset_info.json"), Map.of("train", Map.of("artists",
                Map.of("David", Map.of("songs", 1), "Asaph", Map.of("songs", 1)))));
        FakeModelLoader.writeModelFiles(dir, lyricsDir, "rnn-gru-word");
    }

    private GenerateMojo mojo() {
        GenerateMojo mojo = FakeModelLoader.configure(new GenerateMojo() {
            @Override
            Generate stage() {
                return new Generate((settings, log) -> loader);
            }

            @Override
            protected Execution execution() {
                return FakeModelLoader.EXECUTION;
            }
        }, dir, lyricsDir);
        mojo.sampleBase = true;
        mojo.instruction = "Write song lyrics in the requested style.";
        mojo.inputTemplate = "Help me write a song in the style of {artist}.";
        mojo.temperature = 0.8;
        mojo.artistTemperatures = List.of("Asaph=0.7");
        mojo.topK = 50;
        mojo.topP = 0.9;
        mojo.repetitionPenalty = 1.3;
        mojo.maxNewTokens = 40;
        mojo.seed = 3407;
        return mojo;
    }

    @Test
    void samplesEveryModelPerArtistThenHitsTheCache() throws Exception {
        mojo().execute();
        assertEquals(List.of("base", "finetuned", "rnn-gru-word"), loader.opened());
        Samples samples = Samples.read(lyricsDir.resolve("generate/samples.json"));
        assertEquals(List.of("base Asaph 0.7", "base David 0.8", "finetuned Asaph 0.7", "finetuned David 0.8", "rnn-gru-word null 0.8"),
                samples.samples().stream().map(s -> s.model() + " " + s.artist() + " " + s.temperature()).toList());
        Sample asaph = samples.samples().get(0);
        assertTrue(asaph.prompt().endsWith("Help me write a song in the style of Asaph.\n\n### Response:\n"), asaph.prompt());
        assertEquals(asaph.seed(), samples.samples().get(2).seed(), "base and fine-tuned share each artist's seed");
        assertEquals("<|song_start|>\n", samples.samples().get(4).prompt());
        assertEquals(1, samples.reference().songs());
        assertTrue(Files.readString(lyricsDir.resolve("generate/samples.md")).contains("| finetuned | Asaph | 0.7 |"));

        mojo().execute();
        assertEquals(3, loader.opened().size(), "the second build restores the samples from the cache");
    }

    @Test
    void theBaseModelIsLeftOutOnRequest() throws Exception {
        GenerateMojo mojo = mojo();
        mojo.sampleBase = false;
        mojo.artists = List.of("David");
        mojo.artistTemperatures = List.of();
        mojo.execute();
        assertEquals(List.of("finetuned", "rnn-gru-word"), loader.opened());
    }

    @Test
    void aTemperatureForAnArtistNotSampledNamesTheParameter() {
        GenerateMojo mojo = mojo();
        mojo.artistTemperatures = List.of("Kendrick Lamar=0.7");
        MojoFailureException e = assertThrows(MojoFailureException.class, mojo::execute);
        assertTrue(e.getMessage().startsWith("parameter lyrics.generate.artistTemperatures (<artistTemperatures>) is Kendrick Lamar=0.7:"
                + " each entry must be artist=temperature, for one of the artists [Asaph, David]"), e.getMessage());
    }
}
