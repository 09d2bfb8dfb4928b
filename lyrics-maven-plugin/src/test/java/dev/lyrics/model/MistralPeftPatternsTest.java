package dev.lyrics.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.ndarray.types.DataType;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.lyrics.core.Json;
import dev.lyrics.lora.LoraModel;
import dev.lyrics.lora.PeftAdapter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A peft adapter whose modules differ in rank and alpha: tiny-mistral-lora-patterns/ is what peft 0.21
 * saved for tiny-mistral/ with rank_pattern and alpha_pattern (init_lora_weights=False), and
 * tiny-mistral-lora-patterns.json holds the float32 log-probabilities PeftModel.from_pretrained gives
 * with it, as saved and read with use_rslora (src/test/fixtures-src/mistral/peft_patterns.py).
 */
class MistralPeftPatternsTest {
    static JsonNode expected() throws Exception {
        return Json.MAPPER.readTree(MistralCheckpointTest.resource("tiny-mistral-lora-patterns.json").toFile());
    }

    static void assertLogProbs(LlamaModel model, String which) throws Exception {
        MistralCheckpointTest.assertLogProbs(model, expected(), which);
    }

    static LlamaModel base() throws Exception {
        return LlamaModel.load(MistralCheckpointTest.resource("tiny-mistral"), Device.cpu(), DataType.FLOAT32);
    }

    @Test
    void matchesPeftWithPerModuleRanksAndAlphasAppliedAndMerged() throws Exception {
        try (LlamaModel model = base();
             LoraModel lora = LoraModel.load(model, MistralCheckpointTest.resource("tiny-mistral-lora-patterns"))) {
            // rank_pattern "layers.0.self_attn.q_proj" 12, "^model.layers.1.mlp.down_proj" 2, r 4 elsewhere
            assertArrayEquals(new long[] {12, 256}, lora.parameters().get(
                    PeftAdapter.keyA("model.layers.0.self_attn.q_proj.weight")).getShape().getShape());
            assertArrayEquals(new long[] {256, 2}, lora.parameters().get(
                    PeftAdapter.keyB("model.layers.1.mlp.down_proj.weight")).getShape().getShape());
            assertArrayEquals(new long[] {4, 256}, lora.parameters().get(
                    PeftAdapter.keyA("model.layers.1.self_attn.q_proj.weight")).getShape().getShape());
            assertLogProbs(model, "adapted");
            lora.mergeAndUnload();
            assertLogProbs(model, "adapted");
        }
    }

    @Test
    void withRankStabilisedScalingEachModuleHasItsAlphaOverTheRootOfItsRank(@TempDir Path dir) throws Exception {
        Path adapter = copy(dir);
        Path config = adapter.resolve(PeftAdapter.CONFIG_FILE);
        ObjectNode json = (ObjectNode) Json.MAPPER.readTree(config.toFile());
        json.put("use_rslora", true);
        Files.writeString(config, json.toString());
        try (LlamaModel model = base(); LoraModel lora = LoraModel.load(model, adapter)) {
            assertLogProbs(model, "adapted_rslora");
        }
    }

    @Test
    void anAdapterWithPerModuleRanksIsNotSavedAgainWithoutThem(@TempDir Path dir) throws Exception {
        try (LlamaModel model = base();
             LoraModel lora = LoraModel.load(model, MistralCheckpointTest.resource("tiny-mistral-lora-patterns"))) {
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> lora.save(dir, "tiny-mistral"));
            assertTrue(e.getMessage().contains("tiny-mistral-lora-patterns"), e.getMessage());
        }
        try (LlamaModel model = base();
             LoraModel lora = LoraModel.load(model, MistralCheckpointTest.resource("tiny-mistral-lora"))) {
            lora.save(dir, "tiny-mistral");
            assertTrue(Files.isRegularFile(dir.resolve(PeftAdapter.WEIGHTS_FILE)));
        }
    }

    static Path copy(Path dir) throws Exception {
        Path copy = dir.resolve("tiny-mistral-lora-patterns");
        Files.createDirectories(copy);
        for (String name : new String[] {PeftAdapter.CONFIG_FILE, PeftAdapter.WEIGHTS_FILE}) {
            Files.copy(MistralCheckpointTest.resource("tiny-mistral-lora-patterns").resolve(name), copy.resolve(name));
        }
        return copy;
    }
}
