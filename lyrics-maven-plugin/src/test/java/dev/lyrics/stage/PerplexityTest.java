package dev.lyrics.stage;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lyrics.cache.StageSpec;
import dev.lyrics.core.ConfigException;
import dev.lyrics.dataset.PromptTemplate;
import dev.lyrics.eval.ModelFamily;
import dev.lyrics.eval.ModelUnderTest;
import dev.lyrics.eval.PerplexityGate;
import dev.lyrics.quant.Quantization;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Perplexity's settings: the models' files and stage keys reach the key by construction; the gate's settings do not. */
class PerplexityTest {
    private static final Execution CPU = new Execution("fake", "cpu()", "float32", 0, Quantization.NONE);

    private static Perplexity.Settings settings(Path dir, double tolerance, int stride) throws Exception {
        Path testJson = Files.writeString(dir.resolve("test.json"), "[]");
        Path testLyrics = Files.writeString(dir.resolve("test_lyrics.txt"), "");
        List<ModelUnderTest> models = List.of(
                new ModelUnderTest("base", ModelFamily.TRANSFORMER, dir.resolve("base"), null, null, null),
                new ModelUnderTest("finetuned", ModelFamily.TRANSFORMER, dir.resolve("base"), dir.resolve("finetune"), "finetune", "f1e2"),
                new ModelUnderTest("rnn-gru-char", ModelFamily.RECURRENT, dir.resolve("rnn-gru-char"), null, "rnn-gru-char", "a9b8"));
        return new Perplexity.Settings(testJson, testLyrics, PromptTemplate.STUDY, List.of(3407L), models, 0, stride, 8, CPU,
                new PerplexityGate.Settings(Double.POSITIVE_INFINITY, 0.15, tolerance, dir.resolve("baseline.json"), false));
    }

    @Test
    void theModelsFilesAndStageKeysAreKeyedAndTheGateIsNot(@TempDir Path dir) throws Exception {
        StageSpec spec = StageSpec.of(new Perplexity(), Perplexity.GOAL, settings(dir, 0.02, 0), dir.resolve("out"));
        assertEquals(dir.resolve("finetune"), spec.inputs().get("models.1.adapterDir"));
        assertEquals(dir.resolve("rnn-gru-char"), spec.inputs().get("models.2.modelDir"));
        assertEquals("f1e2", spec.params().get("models.1.stageKey"));
        assertEquals("a9b8", spec.params().get("models.2.stageKey"));
        assertEquals("fake", spec.params().get("execution.engine"));
        assertEquals("[3407]", spec.params().get("seeds"));
        assertTrue(spec.inputs().containsKey("testJson") && spec.inputs().containsKey("testLyrics"));
        assertFalse(spec.params().keySet().stream().anyMatch(key -> key.startsWith("gate")), spec.params().toString());
        assertFalse(spec.inputs().containsKey("gate.baselineFile"));
        assertEquals(spec, StageSpec.of(new Perplexity(), Perplexity.GOAL, settings(dir, 0.05, 0), dir.resolve("out")),
                "a gate setting leaves the figures' key alone");
    }

    @Test
    void badSettingsNameTheirProperty(@TempDir Path dir) {
        ConfigException e = assertThrows(ConfigException.class, () -> settings(dir, -1, 0));
        assertTrue(e.getMessage().startsWith("parameter lyrics.perplexity.tolerance"), e.getMessage());
        e = assertThrows(ConfigException.class, () -> settings(dir, 0.02, -1));
        assertTrue(e.getMessage().startsWith("parameter lyrics.perplexity.stride"), e.getMessage());
    }
}
