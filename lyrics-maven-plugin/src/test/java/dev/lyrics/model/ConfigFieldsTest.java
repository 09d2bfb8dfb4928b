package dev.lyrics.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.lyrics.core.InputException;
import dev.lyrics.core.Json;
import dev.lyrics.model.ConfigFields.Use;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * config.json as transformers 4.57 and 5.18 write it: config-fields.json lists every field their
 * LlamaConfig and MistralConfig define (src/test/fixtures-src/mistral/config_fields.py), and each
 * is used, checked to have the one supported value, or irrelevant, as ConfigFields says.
 */
class ConfigFieldsTest {
    static ObjectNode mistral() throws Exception {
        return (ObjectNode) Json.MAPPER.readTree(MistralCheckpointTest.resource("tiny-mistral/config.json").toFile());
    }

    @Test
    void everyFieldOfLlamaAndMistralConfigIn4xAnd5xIsClassified() throws Exception {
        JsonNode versions = Json.MAPPER.readTree(MistralCheckpointTest.resource("config-fields.json").toFile());
        Set<String> all = new TreeSet<>();
        versions.fields().forEachRemaining(v -> v.getValue().fields().forEachRemaining(
                c -> c.getValue().forEach(f -> all.add(f.asText()))));
        assertEquals(Set.of("4.57.6", "5.18.0"), iterate(versions));
        assertTrue(all.size() > 45, all.toString());
        Set<String> unclassified = new TreeSet<>(all);
        unclassified.removeAll(ConfigFields.FIELDS.keySet());
        assertEquals(Set.of(), unclassified);
    }

    private static Set<String> iterate(JsonNode node) {
        Set<String> keys = new TreeSet<>();
        node.fieldNames().forEachRemaining(keys::add);
        return keys;
    }

    @Test
    void everyUsedFieldChangesTheModel() throws Exception {
        Map<String, Object> changes = new LinkedHashMap<>();
        changes.put("vocab_size", 2048);
        changes.put("hidden_size", 512);
        changes.put("intermediate_size", 1024);
        changes.put("num_hidden_layers", 3);
        changes.put("num_attention_heads", 8);
        changes.put("num_key_value_heads", 2);
        changes.put("head_dim", 64);
        changes.put("rms_norm_eps", 1e-6);
        changes.put("max_position_embeddings", 4096);
        changes.put("tie_word_embeddings", true);
        changes.put("bos_token_id", 5);
        changes.put("eos_token_id", 6);
        changes.put("initializer_range", 0.01);
        changes.put("sliding_window", 4096);
        changes.put("rope_theta", 10000.0);
        LlamaConfig base = LlamaConfig.fromJson(mistral());
        for (Map.Entry<String, ConfigFields.Field> field : ConfigFields.FIELDS.entrySet()) {
            if (field.getValue().use() == Use.USED) {
                assertTrue(changes.containsKey(field.getKey()), "no change for used field " + field.getKey());
            }
        }
        for (Map.Entry<String, Object> change : changes.entrySet()) {
            ObjectNode node = mistral();
            if (change.getKey().equals("rope_theta")) {
                node.remove("rope_parameters");
            }
            node.set(change.getKey(), Json.MAPPER.valueToTree(change.getValue()));
            assertNotEquals(base, LlamaConfig.fromJson(node), change.getKey());
        }
    }

    @Test
    void irrelevantFieldsLeaveTheModelAlone() throws Exception {
        LlamaConfig base = LlamaConfig.fromJson(mistral());
        ObjectNode node = mistral();
        node.put("use_cache", false).put("pad_token_id", 7).put("pretraining_tp", 2).put("output_attentions", true)
                .put("transformers_version", "4.40.0").put("chunk_size_feed_forward", 4);
        assertEquals(base, LlamaConfig.fromJson(node));
    }

    @Test
    void everyCheckedFieldFailsOnAValueTheModelDoesNotImplement() throws Exception {
        Map<String, String> bad = new LinkedHashMap<>();
        bad.put("architectures", "[\"GPT2LMHeadModel\"]");
        bad.put("model_type", "\"gpt2\"");
        bad.put("hidden_act", "\"gelu\"");
        bad.put("attention_bias", "true");
        bad.put("mlp_bias", "true");
        bad.put("attention_dropout", "0.1");
        bad.put("dtype", "\"float64\"");
        bad.put("torch_dtype", "\"int8\"");
        bad.put("quantization_config", "{\"quant_method\": \"bitsandbytes\", \"load_in_4bit\": true}");
        bad.put("rope_parameters", "{\"rope_theta\": 1e6, \"rope_type\": \"yarn\", \"factor\": 4.0}");
        bad.put("rope_scaling", "{\"type\": \"linear\", \"factor\": 2.0}");
        for (Map.Entry<String, ConfigFields.Field> field : ConfigFields.FIELDS.entrySet()) {
            if (field.getValue().use() == Use.CHECKED) {
                assertTrue(bad.containsKey(field.getKey()), "no bad value for checked field " + field.getKey());
            }
        }
        for (Map.Entry<String, String> value : bad.entrySet()) {
            ObjectNode node = mistral();
            node.set(value.getKey(), Json.MAPPER.readTree(value.getValue()));
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> LlamaConfig.fromJson(node),
                    value.getKey());
            assertTrue(e.getMessage().startsWith(value.getKey()), e.getMessage());
        }
    }

    @Test
    void everyRopeScalingOfTransformersFailsNamingTheField() throws Exception {
        for (String type : new String[] {"linear", "dynamic", "yarn", "llama3", "longrope"}) {
            ObjectNode v4 = mistral();
            v4.remove("rope_parameters");
            v4.set("rope_scaling", Json.MAPPER.readTree("{\"rope_type\": \"" + type + "\", \"factor\": 8.0}"));
            assertTrue(assertThrows(IllegalArgumentException.class, () -> LlamaConfig.fromJson(v4)).getMessage()
                    .startsWith("rope_scaling.rope_type " + type + " is not implemented"), type);
            ObjectNode v5 = mistral();
            v5.set("rope_parameters", Json.MAPPER.readTree("{\"rope_type\": \"" + type + "\", \"rope_theta\": 5e5}"));
            assertTrue(assertThrows(IllegalArgumentException.class, () -> LlamaConfig.fromJson(v5)).getMessage()
                    .startsWith("rope_parameters.rope_type " + type + " is not implemented"), type);
        }
        ObjectNode extra = mistral();
        extra.set("rope_parameters", Json.MAPPER.readTree("{\"rope_type\": \"default\", \"rope_theta\": 5e5, \"factor\": 2}"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> LlamaConfig.fromJson(extra)).getMessage()
                .startsWith("rope_parameters.factor is not implemented"));
    }

    @Test
    void bothRopeThetaSpellingsAreReadAndMustAgree() throws Exception {
        assertEquals(1_000_000.0, LlamaConfig.fromJson(mistral()).ropeTheta());
        ObjectNode v4 = mistral();
        v4.remove("rope_parameters");
        v4.put("rope_theta", 500000.0).putNull("rope_scaling");
        assertEquals(500000.0, LlamaConfig.fromJson(v4).ropeTheta());
        ObjectNode both = mistral();
        both.put("rope_theta", 10000.0);
        assertTrue(assertThrows(IllegalArgumentException.class, () -> LlamaConfig.fromJson(both)).getMessage()
                .contains("disagree"));
        ObjectNode neither = mistral();
        neither.remove("rope_parameters");
        assertEquals(10000.0, LlamaConfig.fromJson(neither).ropeTheta());
    }

    @Test
    void mistralDefaultsApplyWhenMistralFieldsAreAbsent() throws Exception {
        ObjectNode node = mistral();
        node.remove("sliding_window");
        node.remove("num_key_value_heads");
        node.remove("max_position_embeddings");
        node.put("num_attention_heads", 16).put("head_dim", 16);
        LlamaConfig config = LlamaConfig.fromJson(node);
        assertEquals(4096, config.slidingWindow());
        assertEquals(8, config.numKeyValueHeads());
        assertEquals(131072, config.maxPositionEmbeddings());
    }

    @Test
    void anUnsupportedArchitectureFailsNamingTheFile(@TempDir Path dir) throws Exception {
        ObjectNode node = mistral();
        node.set("architectures", Json.MAPPER.readTree("[\"MixtralForCausalLM\"]"));
        Path file = dir.resolve("config.json");
        Files.writeString(file, node.toString());
        InputException e = assertThrows(InputException.class, () -> LlamaConfig.read(file));
        assertTrue(e.getMessage().startsWith(file + ": architectures [\"MixtralForCausalLM\"] is not supported"),
                e.getMessage());
    }
}
