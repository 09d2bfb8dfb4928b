package dev.lyrics.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.lyrics.core.Json;
import dev.lyrics.core.Log;
import dev.lyrics.dataset.AlpacaRecord;
import dev.lyrics.dataset.PromptTemplate;
import dev.lyrics.lm.LanguageModel;
import dev.lyrics.lm.SlidingWindow;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PerplexityEvaluatorTest {
    @TempDir
    Path dir;

    private final Map<String, UniformModel> opened = new TreeMap<>();
    private final ModelLoader loader = new ModelLoader() {
        @Override
        public LanguageModel transformer(String name, Path modelDir, Path adapterDir) {
            UniformModel model = UniformModel.chars(name, adapterDir == null ? 40 : 30).windowed(new SlidingWindow(64, 32));
            opened.put(name, model);
            return model;
        }

        @Override
        public LanguageModel recurrent(String name, Path stageDir) {
            UniformModel model = name.endsWith("word") ? UniformModel.words(name, 500) : UniformModel.chars(name, 50);
            opened.put(name, model);
            return model;
        }
    };

    static TestSet testSet() {
        List<AlpacaRecord> records = new ArrayList<>();
        List<String> songs = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            String lyrics = "Psalm " + i + "\nPraise ye the LORD. ".repeat(i + 1);
            records.add(new AlpacaRecord("Write a psalm in the style of David.", "", lyrics));
            songs.add(lyrics);
        }
        return new TestSet(records, new PromptTemplate(PromptTemplate.STUDY), songs);
    }

    static List<ModelUnderTest> models(Path dir) {
        return List.of(
                new ModelUnderTest("base", ModelFamily.TRANSFORMER, dir.resolve("kjv-base"), null, null, null),
                new ModelUnderTest("finetuned", ModelFamily.TRANSFORMER, dir.resolve("kjv-base"), dir.resolve("finetune"), "finetune", "abc123"),
                new ModelUnderTest("rnn-gru-char", ModelFamily.RECURRENT, dir.resolve("rnn-gru-char"), null, "rnn-gru-char", "def456"),
                new ModelUnderTest("rnn-lstm-word", ModelFamily.RECURRENT, dir.resolve("rnn-lstm-word"), null, "rnn-lstm-word", null));
    }

    @Test
    void scoresEachModelInBatchesAndClosesIt() {
        PerplexityResults results = new PerplexityEvaluator(loader, 2, Log.SILENT).evaluate(models(dir), testSet());
        assertEquals(List.of("base", "finetuned", "rnn-gru-char", "rnn-lstm-word"), results.models().stream().map(ModelResult::name).toList());
        for (UniformModel model : opened.values()) {
            assertEquals(List.of(2, 2, 1), model.batchSizes(), model.name());
            assertTrue(model.closed(), model.name());
        }
        assertEquals(40, results.models().get(0).value(Metric.CORPUS_PERPLEXITY), 1e-9);
        assertEquals(30, results.models().get(1).value(Metric.STUDY_PERPLEXITY), 1e-9);
        assertEquals(50, results.models().get(2).value(Metric.RESPONSE_PERPLEXITY), 1e-9);
        // a word-level uniform model whose units are the lyrics' words: per word, its perplexity is its vocabulary,
        // the closing delimiter's word being no word of the lyrics
        ModelResult words = results.models().get(3);
        assertEquals(words.tally().responseWords(), words.tally().lyricsUnits());
        assertEquals(500, words.value(Metric.WORD_PERPLEXITY), 1e-6);
    }

    @Test
    void perplexityJsonNamesEveryMetricItsScoredTextAndTheStageKeys() throws Exception {
        PerplexityResults results = new PerplexityEvaluator(loader, 8, Log.SILENT).evaluate(models(dir), testSet());
        Path file = dir.resolve("perplexity.json");
        Json.write(file, results.toJson());
        JsonNode json = Json.MAPPER.readTree(file.toFile());
        JsonNode finetuned = json.path("models").path("finetuned");
        assertEquals("abc123", finetuned.path("stage_key").asText());
        assertEquals("finetune", finetuned.path("adapter_dir").asText());
        assertEquals(64, finetuned.path("window").path("context").asInt());
        for (Metric metric : Metric.values()) {
            assertTrue(json.path("definitions").path(metric.key()).path("formula").isTextual(), metric.key());
            for (JsonNode model : json.path("models")) {
                JsonNode figure = model.path("metrics").path(metric.key());
                assertTrue(figure.path("value").isNumber(), metric.key());
                assertTrue(figure.path("scored_text").isTextual(), metric.key());
                assertTrue(figure.path("count").asLong() > 0, metric.key());
            }
        }
        assertEquals("the units of the lyrics; the closing \"\\n<|song_end|>\\n\" left out",
                json.path("models").path("rnn-gru-char").path("metrics").path("bits_per_byte").path("scored_text").asText());
        assertTrue(json.path("models").path("base").path("stage_key").isNull());
        assertEquals(5, json.path("models").path("base").path("counts").path("texts").asInt());

        SortedMap<String, SortedMap<String, Double>> values = PerplexityResults.readValues(file);
        assertEquals(30, values.get("finetuned").get("corpus_perplexity"), 1e-9);
        assertEquals(Metric.values().length, values.get("rnn-lstm-word").size());
    }

    @Test
    void markdownTableHasARowPerModelAndTheGainOverTheBase() throws Exception {
        String md = new PerplexityEvaluator(loader, 8, Log.SILENT).evaluate(models(dir), testSet()).toMarkdown();
        List<String> lines = md.lines().toList();
        assertEquals("| model | unit | corpus_perplexity | study_perplexity | response_perplexity | bits_per_byte | word_perplexity | units scored |",
                lines.get(0));
        assertTrue(lines.get(2).startsWith("| base | token | 40.00 | 40.00 | 40.00 |"), lines.get(2));
        assertTrue(md.contains("finetuned vs base: corpus_perplexity 40.00 -> 30.00, 25.0% lower;"), md);
        Files.writeString(dir.resolve("perplexity.md"), md);
    }
}
