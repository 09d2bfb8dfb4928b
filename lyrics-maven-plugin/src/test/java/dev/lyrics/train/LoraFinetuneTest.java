package dev.lyrics.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.ndarray.types.DataType;
import com.fasterxml.jackson.databind.JsonNode;
import dev.lyrics.cache.StageRunner;
import dev.lyrics.cache.StageSpec;
import dev.lyrics.core.Json;
import dev.lyrics.core.Log;
import dev.lyrics.dataset.AlpacaRecord;
import dev.lyrics.dataset.PromptTemplate;
import dev.lyrics.lora.LoraConfig;
import dev.lyrics.lora.LoraModel;
import dev.lyrics.model.LlamaModel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LoraFinetuneTest {
    @TempDir
    Path dir;

    LoraTrainer.Settings settings(double learningRate) {
        return new LoraTrainer.Settings(new LoraConfig(4, 8, 0, List.of("q_proj", "v_proj", "down_proj"), false),
                learningRate, 0.01, 1, 2, 2, 2, 3407, 128, 1.0, true, 2, 0.9, 0.999, 1e-8, false);
    }

    StageSpec spec(String name) {
        return StageSpec.builder("finetune", name, dir.resolve("target/lyrics/" + name)).build();
    }

    LoraFinetune.Request request(LoraTrainer.Settings settings) throws Exception {
        Path base = TinyBase.write(dir.resolve("base"));
        List<AlpacaRecord> records = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            records.add(new AlpacaRecord("Write a psalm.", "Help me write a song in the style of David.",
                    "The LORD is my shepherd; I shall not want.".repeat(1 + i % 3)));
        }
        Path train = dir.resolve("train.json");
        Json.write(train, records);
        return new LoraFinetune.Request(train, base, new PromptTemplate(PromptTemplate.STUDY), settings, Device.cpu(),
                DataType.FLOAT32);
    }

    @Test
    void writesAPeftAdapterTheLossLogAndMemory() throws Exception {
        LoraFinetune.Request request = request(settings(1e-2));
        StageRunner runner = new StageRunner(dir.resolve("cache"), StageRunner.Mode.NORMAL, "code", null, Log.SILENT);
        runner.run(spec("finetune"), context -> LoraFinetune.run(request, context));
        Path out = dir.resolve("target/lyrics/finetune");
        for (String file : List.of("adapter_config.json", "adapter_model.safetensors", "loss.jsonl", "memory.json",
                "training.json")) {
            assertTrue(Files.isRegularFile(out.resolve(file)), file);
        }
        // 5 examples, 2 x 2 per step: 2 steps per epoch, 2 epochs
        List<String> lines = Files.readAllLines(out.resolve("loss.jsonl"));
        assertEquals(4, lines.size());
        JsonNode last = Json.MAPPER.readTree(lines.get(3));
        assertEquals("train", last.get("split").asText());
        assertEquals(2, last.get("epoch").asInt());
        assertEquals(4, last.get("step").asInt());
        assertTrue(last.get("loss").isNumber() && last.get("lr").isNumber() && last.get("tokens_per_s").isNumber());
        JsonNode memory = Json.MAPPER.readTree(out.resolve("memory.json").toFile());
        assertTrue(memory.get("after_training").get("resident_peak_mib").asDouble() > 0);
        assertTrue(memory.get("before_training").get("heap_used_mib").asDouble() > 0);
        JsonNode training = Json.MAPPER.readTree(out.resolve("training.json").toFile());
        assertEquals(2 * (4 * (32 + 32) + 4 * (32 + 16) + 4 * (64 + 32)), training.get("trainable_parameters").asLong());

        try (LlamaModel base = LlamaModel.load(request.baseModel(), Device.cpu(), DataType.FLOAT32);
             LoraModel adapted = LoraModel.load(base, out)) {
            assertEquals(request.settings().lora(), adapted.config());
        }
    }

    @Test
    void aDivergingRunPublishesNothing() throws Exception {
        LoraFinetune.Request request = request(settings(1e30));
        StageRunner runner = new StageRunner(dir.resolve("cache"), StageRunner.Mode.NORMAL, "code", null, Log.SILENT);
        TrainingDivergedException e = assertThrows(TrainingDivergedException.class,
                () -> runner.run(spec("finetune"), context -> LoraFinetune.run(request, context)));
        assertTrue(e.getMessage().contains("nothing is published"), e.getMessage());
        assertFalse(Files.exists(dir.resolve("target/lyrics/finetune")));
    }
}
