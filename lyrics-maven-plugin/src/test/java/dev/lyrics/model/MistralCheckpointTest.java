package dev.lyrics.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.ndarray.types.DataType;
import com.fasterxml.jackson.databind.JsonNode;
import dev.lyrics.core.InputException;
import dev.lyrics.core.Json;
import dev.lyrics.lm.SlidingWindow;
import dev.lyrics.lora.LoraModel;
import dev.lyrics.tokenizer.HfTokenizer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The project's model against real transformers and peft: tiny-mistral/ is what
 * MistralForCausalLM.save_pretrained (transformers 5.18, bfloat16, five shards and an index) wrote,
 * tiny-mistral-lora/ what peft 0.21 saved for it (init_lora_weights=False, so B is not zero), and
 * tiny-mistral-logprobs.json the float32 log-probabilities both give
 * (src/test/fixtures-src/mistral/make_checkpoint.py).
 */
class MistralCheckpointTest {
    static final double TOLERANCE = 1e-4;

    static Path resource(String name) throws Exception {
        return LlamaModelTest.resource(name);
    }

    static JsonNode expected() throws Exception {
        return Json.MAPPER.readTree(resource("tiny-mistral-logprobs.json").toFile());
    }

    static long[] ids(JsonNode sequence) {
        long[] ids = new long[sequence.get("ids").size()];
        for (int i = 0; i < ids.length; i++) {
            ids[i] = sequence.get("ids").get(i).asLong();
        }
        return ids;
    }

    static void assertLogProbs(LlamaModel model, String which) throws Exception {
        assertLogProbs(model, expected(), which);
    }

    /** Holds the model to the log-probabilities under {@code which} of each of expected's "sequences". */
    static void assertLogProbs(LlamaModel model, JsonNode expected, String which) {
        for (JsonNode sequence : expected.get("sequences")) {
            float[] actual = LlamaModelTest.logProbs(model, ids(sequence));
            JsonNode want = sequence.get(which);
            assertEquals(want.size(), actual.length);
            for (int i = 0; i < actual.length; i++) {
                assertEquals(want.get(i).asDouble(), actual[i], TOLERANCE, which + " position " + i);
            }
        }
    }

    @Test
    void readsTheShapesOfMistral7b() throws Exception {
        LlamaConfig config = LlamaConfig.read(resource("tiny-mistral/config.json"));
        assertEquals(128, config.headDim());
        assertEquals(4, config.numAttentionHeads() / config.numKeyValueHeads());
        assertEquals(1_000_000.0, config.ropeTheta());
        assertEquals(0, config.slidingWindow());
        assertEquals(false, config.tieWordEmbeddings());
        assertEquals(5, HfCheckpoint.weightFiles(resource("tiny-mistral")).size());
    }

    @Test
    void matchesTransformersOnItsShardedBfloat16Checkpoint() throws Exception {
        try (LlamaModel model = LlamaModel.load(resource("tiny-mistral"), Device.cpu(), DataType.FLOAT32)) {
            assertLogProbs(model, "base");
        }
    }

    @Test
    void theSameCheckpointWithTransformers4ConfigGivesTheSameFigures(@TempDir Path dir) throws Exception {
        Path copy = copyOfFixture(dir);
        Files.copy(resource("tiny-mistral-config-4.57.json"), copy.resolve("config.json"), StandardCopyOption.REPLACE_EXISTING);
        assertTrue(Files.readString(copy.resolve("config.json")).contains("\"torch_dtype\""));
        try (LlamaModel model = LlamaModel.load(copy, Device.cpu(), DataType.FLOAT32)) {
            assertLogProbs(model, "base");
        }
    }

    @Test
    void matchesPeftWithItsAdapterAppliedAndMerged() throws Exception {
        try (LlamaModel model = LlamaModel.load(resource("tiny-mistral"), Device.cpu(), DataType.FLOAT32);
             LoraModel lora = LoraModel.load(model, resource("tiny-mistral-lora"))) {
            assertEquals(8, lora.config().r());
            assertLogProbs(model, "adapted");
            lora.mergeAndUnload();
            assertLogProbs(model, "adapted");
        }
    }

    @Test
    void aShardNamedInTheIndexButMissingFailsNamingIt(@TempDir Path dir) throws Exception {
        Path copy = copyOfFixture(dir);
        Files.delete(copy.resolve("model-00003-of-00005.safetensors"));
        InputException e = assertThrows(InputException.class, () -> LlamaModel.load(copy, Device.cpu(), DataType.FLOAT32));
        assertTrue(e.getMessage().contains(copy.resolve(HfCheckpoint.INDEX).toString()), e.getMessage());
        assertTrue(e.getMessage().contains("model-00003-of-00005.safetensors"), e.getMessage());
        assertTrue(e.getMessage().contains("download it again"), e.getMessage());
    }

    @Test
    void aShardDisagreeingWithConfigJsonFailsNamingTheShardAndTheField(@TempDir Path dir) throws Exception {
        Path copy = copyOfFixture(dir);
        Path config = copy.resolve("config.json");
        Files.writeString(config, Files.readString(config).replace("\"intermediate_size\": 512", "\"intermediate_size\": 640"));
        InputException e = assertThrows(InputException.class, () -> LlamaModel.load(copy, Device.cpu(), DataType.FLOAT32));
        assertTrue(e.getMessage().contains("model-0000"), e.getMessage());
        assertTrue(e.getMessage().contains("mlp."), e.getMessage());
        assertTrue(e.getMessage().contains("intermediate_size"), e.getMessage());
    }

    @Test
    void aTokenizerLargerThanTheModelsVocabularyFailsNamingTheFile(@TempDir Path dir) throws Exception {
        Path model = copyOfFixture(dir);
        Files.copy(Path.of(HfTokenizer.class.getResource("mistral-v3/tokenizer.json").toURI()),
                model.resolve("tokenizer.json"));
        try (LlamaModel llama = LlamaModel.load(model, Device.cpu(), DataType.FLOAT32);
             HfTokenizer tokenizer = HfTokenizer.load(model)) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> new TransformerLanguageModel("base", llama, tokenizer, new SlidingWindow(64, 32)));
            assertTrue(e.getMessage().contains(model.resolve("tokenizer.json").toString()), e.getMessage());
            assertTrue(e.getMessage().contains("32768 tokens but the model's vocab_size is 1024"), e.getMessage());
        }
    }

    static Path copyOfFixture(Path dir) throws Exception {
        Path copy = dir.resolve("tiny-mistral");
        Files.createDirectories(copy);
        try (Stream<Path> files = Files.list(resource("tiny-mistral"))) {
            for (Path file : (Iterable<Path>) files::iterator) {
                Files.copy(file, copy.resolve(file.getFileName()));
            }
        }
        return copy;
    }
}
