package dev.lyrics.mojo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lyrics.core.Json;
import dev.lyrics.dataset.AlpacaRecord;
import dev.lyrics.dataset.SongText;
import dev.lyrics.eval.UniformModel;
import dev.lyrics.lm.SlidingWindow;
import dev.lyrics.stage.Execution;
import dev.lyrics.stage.Perplexity;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.apache.maven.plugin.MojoFailureException;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PerplexityMojoTest {
    @TempDir
    Path dir;

    private Path lyricsDir;
    /** Transformers have windows; the fine-tuned one (with an adapter) is the better model. */
    private final FakeModelLoader loader = new FakeModelLoader((name, adapterDir) -> name.startsWith("rnn-")
            ? UniformModel.chars(name, 35)
            : UniformModel.chars(name, adapterDir == null ? 40 : 30).windowed(new SlidingWindow(32, 16)));

    @BeforeEach
    void stageOutputs() throws IOException {
        lyricsDir = dir.resolve("target/lyrics");
        Path preprocess = Files.createDirectories(lyricsDir.resolve("preprocess"));
        List<String> songs = List.of("O give thanks unto the LORD;\nfor he is good.", "Praise ye the LORD.\nPraise, O ye servants.");
        Json.write(preprocess.resolve("test.json"), songs.stream().map(s -> new AlpacaRecord("Write a psalm.", "", s)).toList());
        Files.writeString(preprocess.resolve("test_lyrics.txt"), String.join("", songs.stream().map(SongText::block).toList()));
        FakeModelLoader.writeModelFiles(dir, lyricsDir, "rnn-gru-char");
        Files.createDirectories(lyricsDir.resolve("rnn-stale-without-model"));
        Json.write(lyricsDir.resolve("stages/finetune.json"), Map.of("key", "f1e2d3", "name", "finetune"));
    }

    private PerplexityMojo mojo() {
        PerplexityMojo mojo = FakeModelLoader.configure(new PerplexityMojo() {
            @Override
            Perplexity stage() {
                return new Perplexity((settings, log) -> loader);
            }

            @Override
            protected Execution execution() {
                return FakeModelLoader.EXECUTION;
            }
        }, dir, lyricsDir);
        mojo.batchSize = 8;
        mojo.seeds = List.of(3407L);
        mojo.maxPerplexity = Double.POSITIVE_INFINITY;
        mojo.minImprovement = 0.15;
        mojo.tolerance = 0.02;
        mojo.baselineFile = dir.resolve("perplexity-baseline.json").toFile();
        return mojo;
    }

    @Test
    void createsTheBaselineThenFailsADoctoredOneFromTheCachedFigures() throws Exception {
        PerplexityMojo first = mojo();
        first.updateBaseline = true;
        first.execute();
        assertEquals(List.of("base", "finetuned", "rnn-gru-char"), loader.opened());
        Path out = lyricsDir.resolve("perplexity");
        for (String file : List.of("perplexity.json", "perplexity.md", "TEST-lyrics-perplexity.xml")) {
            assertTrue(Files.isRegularFile(out.resolve(file)), file);
        }
        assertTrue(Files.readString(out.resolve("perplexity.json")).contains("\"stage_key\" : \"f1e2d3\""));
        Map<?, ?> baseline = Json.MAPPER.readValue(dir.resolve("perplexity-baseline.json").toFile(), Map.class);
        assertEquals(40.0, ((Map<?, ?>) baseline.get("base")).get("corpus_perplexity"));

        // a regression of the fine-tuned model: its committed figure was lower
        String doctored = Files.readString(dir.resolve("perplexity-baseline.json"))
                .replace("\"corpus_perplexity\" : 30.0", "\"corpus_perplexity\" : 25.0");
        Files.writeString(dir.resolve("perplexity-baseline.json"), doctored);
        MojoFailureException e = assertThrows(MojoFailureException.class, () -> mojo().execute());
        assertTrue(e.getMessage().contains("baseline: finetuned corpus_perplexity regressed: 30.0000 is 20.00% worse than its"
                + " baseline 25.0000, above the limit 25.5000"), e.getMessage());
        assertTrue(e.getMessage().contains("-Dlyrics.perplexity.updateBaseline=true"), e.getMessage());
        assertEquals(3, loader.opened().size(), "the second build reuses the cached figures");
        String xml = Files.readString(out.resolve("TEST-lyrics-perplexity.xml"));
        assertTrue(xml.contains("failures=\"1\""), xml);
        assertTrue(xml.contains("<failure message=\"baseline: finetuned corpus_perplexity regressed"), xml);
    }

    @Test
    void badConfigurationNamesTheParameter() {
        PerplexityMojo mojo = mojo();
        mojo.stride = 64;
        mojo.contextLength = 32;
        MojoFailureException e = assertThrows(MojoFailureException.class, mojo::execute);
        assertTrue(e.getMessage().startsWith("parameter lyrics.perplexity.stride (<stride>) is 64: must be at most contextLength 32"),
                e.getMessage());
    }

    @Test
    void aMissingAdapterSaysWhichGoalToRun() throws IOException {
        Files.delete(lyricsDir.resolve("finetune/adapter_model.safetensors"));
        MojoFailureException e = assertThrows(MojoFailureException.class, () -> mojo().execute());
        assertTrue(e.getMessage().contains("adapter_model.safetensors: not found; run lyrics:finetune before lyrics:perplexity"),
                e.getMessage());
    }

    @Test
    void anEmptyTestSplitFailsNamingTheFile() throws IOException {
        Path preprocess = lyricsDir.resolve("preprocess");
        Files.writeString(preprocess.resolve("test.json"), "[]");
        Files.writeString(preprocess.resolve("test_lyrics.txt"), "");
        MojoFailureException e = assertThrows(MojoFailureException.class, () -> mojo().execute());
        assertTrue(e.getMessage().contains(preprocess.resolve("test.json") + ": the test split is empty"), e.getMessage());
    }

    @Test
    void everySeedIsScoredAndTheGateChecksTheirMean() throws Exception {
        for (String seed : List.of("7", "11")) {
            Path stage = Files.createDirectories(lyricsDir.resolve("finetune-seed-" + seed));
            Files.writeString(stage.resolve("adapter_config.json"), "{}");
            Files.writeString(stage.resolve("adapter_model.safetensors"), "weights");
        }
        // per-char perplexity 30 for seed 3407, 33 for seed 7, 27 for seed 11: mean 30, std 3
        FakeModelLoader seeded = new FakeModelLoader((name, adapterDir) -> UniformModel.chars(name, adapterDir == null ? 40
                : adapterDir.endsWith("finetune-seed-7") ? 33 : adapterDir.endsWith("finetune-seed-11") ? 27 : 30));
        PerplexityMojo mojo = FakeModelLoader.configure(new PerplexityMojo() {
            @Override
            Perplexity stage() {
                return new Perplexity((settings, log) -> seeded);
            }

            @Override
            protected Execution execution() {
                return FakeModelLoader.EXECUTION;
            }
        }, dir, lyricsDir);
        mojo.batchSize = 8;
        mojo.seeds = List.of(3407L, 7L, 11L);
        mojo.maxPerplexity = Double.POSITIVE_INFINITY;
        mojo.minImprovement = 0.15;
        mojo.tolerance = 0.02;
        mojo.baselineFile = dir.resolve("perplexity-baseline.json").toFile();
        mojo.updateBaseline = true;
        mojo.execute();

        assertEquals(List.of("base", "finetuned", "finetuned-seed-7", "finetuned-seed-11", "rnn-gru-char"), seeded.opened());
        Map<?, ?> baseline = Json.MAPPER.readValue(dir.resolve("perplexity-baseline.json").toFile(), Map.class);
        assertEquals(List.of("base", "finetuned", "rnn-gru-char"), List.copyOf(baseline.keySet()), "the seeds' own models are not gated");
        assertEquals(30.0, (Double) ((Map<?, ?>) baseline.get("finetuned")).get("corpus_perplexity"), 1e-9, "the mean of 30, 33, 27");
        Map<?, ?> figures = Json.MAPPER.readValue(lyricsDir.resolve("perplexity/perplexity.json").toFile(), Map.class);
        Map<?, ?> corpus = (Map<?, ?>) ((Map<?, ?>) ((Map<?, ?>) figures.get("finetuned_seeds")).get("metrics")).get("corpus_perplexity");
        assertEquals(3.0, (Double) corpus.get("std"), 1e-9);
        String md = Files.readString(lyricsDir.resolve("perplexity/perplexity.md"));
        assertTrue(md.contains("| corpus_perplexity | 30.00, 33.00, 27.00 | 30.00 | 3.0000 | 10.00% |"), md);
    }
}
