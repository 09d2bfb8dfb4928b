package dev.lyrics.lora;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.lyrics.core.InputException;
import dev.lyrics.core.Json;
import dev.lyrics.model.LlamaConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * adapter_config.json read as peft 0.21 reads it. tiny-mistral-lora-patterns.json's "targeting" holds,
 * for each of a set of adapter configs, the modules peft's get_peft_model wrapped on tiny-mistral/ with
 * their r, lora_alpha and scaling, or the error it raised (src/test/fixtures-src/mistral/peft_patterns.py).
 */
class PeftConfigTest {
    @TempDir
    Path dir;

    static Path resource(String name) throws Exception {
        return Path.of(PeftConfigTest.class.getResource("/dev/lyrics/model/" + name).toURI());
    }

    static SortedMap<String, long[]> mistralShapes() throws Exception {
        return LlamaConfig.read(resource("tiny-mistral/config.json")).tensorShapes();
    }

    private Path write(JsonNode config) throws Exception {
        Path file = dir.resolve("adapter_config.json");
        Files.writeString(file, config.toString());
        return file;
    }

    /** A peft 0.21 adapter_config.json (every field it writes) with some fields replaced. */
    private Path peftConfig(Map<String, Object> changes) throws Exception {
        ObjectNode json = (ObjectNode) Json.MAPPER.readTree(resource("tiny-mistral-lora/adapter_config.json").toFile());
        changes.forEach((field, value) -> json.set(field, Json.MAPPER.valueToTree(value)));
        return write(json);
    }

    @Test
    void everyFieldPeftWritesIsClassified() throws Exception {
        for (String adapter : List.of("tiny-mistral-lora", "tiny-mistral-lora-patterns")) {
            Set<String> written = new TreeSet<>();
            Json.MAPPER.readTree(resource(adapter + "/adapter_config.json").toFile()).fieldNames()
                    .forEachRemaining(written::add);
            assertEquals(PeftConfig.FIELDS.keySet(), written, adapter);
        }
    }

    @Test
    void targetsRanksAndScalingsAreThoseOfPeft() throws Exception {
        SortedMap<String, long[]> shapes = mistralShapes();
        JsonNode cases = Json.MAPPER.readTree(resource("tiny-mistral-lora-patterns.json").toFile()).get("targeting");
        assertEquals(21, cases.size());
        int refused = 0;
        for (JsonNode c : cases) {
            ObjectNode config = ((ObjectNode) c.get("config")).deepCopy();
            config.put("r", 4);
            config.put("lora_alpha", 8);
            Path file = write(config);
            String label = config.toString();
            List<String> unsupported = new ArrayList<>();
            if (c.has("modules")) {
                c.get("modules").fieldNames().forEachRemaining(m -> {
                    if (!m.startsWith("model.layers.")) {
                        unsupported.add(m);
                    }
                });
            }
            if (c.has("error") || !unsupported.isEmpty()) {
                InputException e = assertThrows(InputException.class, () -> PeftConfig.read(file).modules(shapes), label);
                assertTrue(e.getMessage().startsWith(file + ": "), e.getMessage());
                unsupported.forEach(m -> assertTrue(e.getMessage().contains("selects " + m), e.getMessage()));
                refused++;
                continue;
            }
            SortedMap<String, PeftConfig.Module> modules = PeftConfig.read(file).modules(shapes);
            SortedMap<String, List<Double>> actual = new TreeMap<>();
            modules.forEach((weight, m) -> actual.put(weight.substring(0, weight.length() - ".weight".length()),
                    List.of((double) m.r(), m.alpha(), m.scale())));
            SortedMap<String, List<Double>> expected = new TreeMap<>();
            c.get("modules").fields().forEachRemaining(m -> expected.put(m.getKey(),
                    List.of(m.getValue().get(0).asDouble(), m.getValue().get(1).asDouble(), m.getValue().get(2).asDouble())));
            assertEquals(expected.keySet(), actual.keySet(), label);
            expected.forEach((module, want) -> {
                for (int i = 0; i < 3; i++) {
                    assertEquals(want.get(i), actual.get(module).get(i), 1e-12, label + " " + module);
                }
            });
            modules.forEach((weight, m) -> assertArrayEquals(shapes.get(weight), m.shape()));
        }
        assertEquals(7, refused);
    }

    @Test
    void theFirstMatchingKeyInTheFilesOrderWins() throws Exception {
        SortedMap<String, long[]> shapes = mistralShapes();
        String q0 = "model.layers.0.self_attn.q_proj.weight";
        String q1 = "model.layers.1.self_attn.q_proj.weight";
        Path file = write(Json.MAPPER.readTree("{\"r\": 4, \"lora_alpha\": 8, \"target_modules\": [\"q_proj\"],"
                + " \"rank_pattern\": {\"q_proj\": 6, \"layers.0.self_attn.q_proj\": 2}}"));
        assertEquals(6, PeftConfig.read(file).modules(shapes).get(q0).r());
        file = write(Json.MAPPER.readTree("{\"r\": 4, \"lora_alpha\": 8, \"target_modules\": [\"q_proj\"],"
                + " \"rank_pattern\": {\"layers.0.self_attn.q_proj\": 2, \"q_proj\": 6}}"));
        SortedMap<String, PeftConfig.Module> modules = PeftConfig.read(file).modules(shapes);
        assertEquals(2, modules.get(q0).r());
        assertEquals(6, modules.get(q1).r());
        assertEquals(8 / 2.0, modules.get(q0).scale(), 1e-12);
    }

    @Test
    void whatPeftWouldDoAndThisProjectDoesNotFailsNamingTheFileAndTheField() throws Exception {
        Map<String, Object> refused = new java.util.LinkedHashMap<>();
        refused.put("use_dora", true);
        refused.put("use_qalora", true);
        refused.put("lora_bias", true);
        refused.put("modules_to_save", List.of("lm_head"));
        refused.put("layer_replication", List.of(List.of(0, 1), List.of(0, 2)));
        refused.put("target_parameters", List.of("mlp.experts.down_proj"));
        refused.put("trainable_token_indices", List.of(5, 6));
        refused.put("alora_invocation_tokens", List.of(5, 6));
        refused.put("arrow_config", Map.of("top_k", 3));
        refused.put("kasa_config", Map.of("beta", 1));
        refused.put("velora_config", Map.of("num_groups", 4));
        refused.put("monteclora_config", Map.of("n", 4));
        refused.put("use_bdlora", Map.of("nblocks", 2));
        refused.put("init_lora_weights", "pissa");
        refused.put("peft_type", "LOHA");
        refused.put("task_type", "SEQ_CLS");
        refused.put("bias", "some");
        refused.put("some_future_feature", 3);
        refused.put("r", 0);
        refused.put("lora_alpha", "16");
        refused.put("rank_pattern", Map.of("k_proj", 2.5));
        refused.put("alpha_pattern", Map.of("(?P<n>k)_proj", 2));
        refused.put("target_modules", 17);
        refused.put("exclude_modules", "(");
        refused.put("layers_to_transform", "0");
        for (Map.Entry<String, Object> change : refused.entrySet()) {
            Path file = peftConfig(Map.of(change.getKey(), change.getValue()));
            InputException e = assertThrows(InputException.class, () -> PeftConfig.read(file).modules(mistralShapes()),
                    change.toString());
            assertTrue(e.getMessage().startsWith(file + ": "), e.getMessage());
            assertTrue(e.getMessage().contains(change.getKey()), e.getMessage());
        }
    }

    @Test
    void whatPeftIgnoresOnLlamaIsAcceptedAndChangesNothing() throws Exception {
        SortedMap<String, PeftConfig.Module> plain = PeftConfig.read(peftConfig(Map.of())).modules(mistralShapes());
        assertEquals(14, plain.size());
        Map<String, Object> accepted = new java.util.LinkedHashMap<>();
        accepted.put("fan_in_fan_out", true); // peft sets it to false for nn.Linear
        accepted.put("bias", "all"); // Llama/Mistral projections have no bias to train
        accepted.put("init_lora_weights", "gaussian");
        accepted.put("megatron_config", Map.of("tensor_model_parallel_size", 2));
        accepted.put("some_future_feature", null);
        accepted.put("another_future_feature", false);
        for (Map.Entry<String, Object> change : accepted.entrySet()) {
            SortedMap<String, PeftConfig.Module> modules = PeftConfig.read(peftConfig(Map.of(change.getKey(),
                    change.getValue() == null ? Json.MAPPER.nullNode() : change.getValue()))).modules(mistralShapes());
            assertEquals(plain.keySet(), modules.keySet(), change.toString());
            modules.forEach((w, m) -> assertEquals(plain.get(w).scale(), m.scale()));
        }
    }
}
