package dev.lyrics.eval;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import dev.lyrics.core.ConfigException;
import dev.lyrics.core.Log;
import dev.lyrics.lm.LanguageModel;
import dev.lyrics.lm.SlidingWindow;
import dev.lyrics.lora.LoraConfig;
import dev.lyrics.lora.LoraModel;
import dev.lyrics.model.LlamaModel;
import dev.lyrics.model.TransformerLanguageModel;
import dev.lyrics.tokenizer.HfTokenizer;
import dev.lyrics.train.TinyBase;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class StudyModelLoaderTest {
    private static final String TEXT = "### Instruction:\nWrite a psalm.\n\n### Response:\nThe LORD is my shepherd; I shall not want.";
    private static final List<String> ALL = List.of("q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj");

    @Test
    void theFinetunedModelIsTheBaseWithItsAdapterMerged(@TempDir Path dir) throws Exception {
        Path base = TinyBase.write(dir.resolve("base"));
        Path adapter = Files.createDirectories(dir.resolve("adapter"));
        SlidingWindow window = new SlidingWindow(512, 256);
        double[] adapted;
        try (LlamaModel model = LlamaModel.load(base, Device.cpu(), DataType.FLOAT32);
             LoraModel lora = LoraModel.create(model, new LoraConfig(4, 8, 0, ALL, false), 7);
             HfTokenizer tokenizer = HfTokenizer.load(base)) {
            for (Map.Entry<String, NDArray> entry : lora.parameters().entrySet()) {
                if (entry.getKey().contains("lora_B")) {
                    entry.getValue().addi(0.05f);
                }
            }
            lora.save(adapter, "base");
            // the adapter unmerged, scored by the model it wraps (closed by the try, not by the language model)
            adapted = new TransformerLanguageModel("adapted", model, tokenizer, window).score(TEXT).logProbs();
        }

        StudyModelLoader loader = new StudyModelLoader(Device.cpu(), DataType.FLOAT32, 0, 0);
        try (LanguageModel finetuned = loader.transformer("finetuned", base, adapter);
             LanguageModel plain = loader.transformer("base", base, null)) {
            assertEquals(window, finetuned.window().orElseThrow(), "context 0: max_position_embeddings; stride 0: half of it");
            assertArrayEquals(adapted, finetuned.score(TEXT).logProbs(), 1e-4);
            double difference = 0;
            double[] baseLogProbs = plain.score(TEXT).logProbs();
            for (int i = 0; i < adapted.length; i++) {
                difference += Math.abs(adapted[i] - baseLogProbs[i]);
            }
            assertTrue(difference > 1e-2, "the adapter changes the scores: " + difference);
        }
    }

    @Test
    void aContextBeyondTheModelsPositionsNamesTheParameter(@TempDir Path dir) throws Exception {
        Path base = TinyBase.write(dir.resolve("base"));
        StudyModelLoader loader = new StudyModelLoader(Device.cpu(), DataType.FLOAT32, 1024, 0);
        ConfigException e = assertThrows(ConfigException.class, () -> loader.transformer("base", base, null));
        assertTrue(e.getMessage().contains("lyrics.perplexity.contextLength"), e.getMessage());
        assertTrue(e.getMessage().contains("max_position_embeddings 512"), e.getMessage());
    }

    @Test
    void theMemoryPlanIsPrintedBeforeLoadingForTheRowsAndTokensAskedCappedAtTheContext(@TempDir Path dir) throws Exception {
        Path base = TinyBase.write(dir.resolve("base"));
        for (int[] asked : new int[][] {{300, 300}, {5000, 512}, {0, 512}}) {
            List<String> lines = new java.util.ArrayList<>();
            Log log = new Log() {
                @Override
                public void info(String message) {
                    lines.add(message);
                }

                @Override
                public void warn(String message) {}

                @Override
                public void debug(String message) {}
            };
            StudyModelLoader loader = new StudyModelLoader(Device.cpu(), DataType.FLOAT32, 0, 0)
                    .planning("lyrics:generate", 1, asked[0], "Lower lyrics.generate.maxNewTokens", log);
            try (LanguageModel model = loader.transformer("base", base, null)) {
                assertTrue(lines.size() > 2, String.valueOf(lines));
                assertEquals("lyrics:generate memory plan: lyrics:generate, float32 weights, batch 1 x " + asked[1] + " tokens",
                        lines.get(0), "asked for " + asked[0] + " tokens of a 512-position model");
                assertTrue(lines.get(lines.size() - 1).contains("total"), lines.get(lines.size() - 1));
            }
        }
    }
}
