package dev.lyrics.model;

import com.fasterxml.jackson.databind.JsonNode;
import dev.lyrics.core.InputException;
import dev.lyrics.core.Json;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * The fields of a Hugging Face LlamaConfig / MistralConfig (config.json) that decide the
 * architecture, with the defaults transformers applies when a field is absent.
 *
 * @param slidingWindow attention span in tokens (Mistral), 0 for full causal attention
 */
public record LlamaConfig(
        int vocabSize,
        int hiddenSize,
        int intermediateSize,
        int numHiddenLayers,
        int numAttentionHeads,
        int numKeyValueHeads,
        int headDim,
        double rmsNormEps,
        double ropeTheta,
        int maxPositionEmbeddings,
        boolean tieWordEmbeddings,
        int slidingWindow,
        int bosTokenId,
        int eosTokenId,
        double initializerRange) {

    public LlamaConfig {
        requirePositive("vocab_size", vocabSize);
        requirePositive("hidden_size", hiddenSize);
        requirePositive("intermediate_size", intermediateSize);
        requirePositive("num_hidden_layers", numHiddenLayers);
        requirePositive("num_attention_heads", numAttentionHeads);
        requirePositive("num_key_value_heads", numKeyValueHeads);
        requirePositive("head_dim", headDim);
        requirePositive("max_position_embeddings", maxPositionEmbeddings);
        if (numAttentionHeads % numKeyValueHeads != 0) {
            throw new IllegalArgumentException("num_attention_heads " + numAttentionHeads
                    + " is not a multiple of num_key_value_heads " + numKeyValueHeads);
        }
        if (headDim % 2 != 0) {
            throw new IllegalArgumentException("head_dim " + headDim + " must be even for rotary embeddings");
        }
        if (slidingWindow < 0) {
            throw new IllegalArgumentException("sliding_window " + slidingWindow + " must not be negative");
        }
    }

    /** A Llama config with head_dim = hidden / heads and transformers' other defaults. */
    public static LlamaConfig of(int vocabSize, int hiddenSize, int intermediateSize, int layers, int heads,
                                 int kvHeads, int maxPositions, boolean tieWordEmbeddings) {
        return new LlamaConfig(vocabSize, hiddenSize, intermediateSize, layers, heads, kvHeads, hiddenSize / heads,
                1e-5, 10000.0, maxPositions, tieWordEmbeddings, 0, 1, 2, 0.02);
    }

    /** Reads config.json; a missing or malformed field names the file. */
    public static LlamaConfig read(Path file) throws IOException {
        if (!Files.isRegularFile(file)) {
            throw InputException.at(file, "config.json not found: a Hugging Face model directory needs one");
        }
        JsonNode node;
        try {
            node = Json.MAPPER.readTree(file.toFile());
        } catch (IOException e) {
            throw InputException.at(file, "not valid JSON (" + e.getMessage() + ")");
        }
        try {
            return fromJson(node);
        } catch (IllegalArgumentException e) {
            throw InputException.at(file, e.getMessage());
        }
    }

    /** The config of a parsed config.json; IllegalArgumentException on a bad field. */
    public static LlamaConfig fromJson(JsonNode node) {
        ConfigFields.check(node);
        boolean mistral = "mistral".equals(node.path("model_type").asText("llama"));
        int hidden = required(node, "hidden_size");
        int heads = required(node, "num_attention_heads");
        // transformers' defaults for an absent field differ between LlamaConfig and MistralConfig
        return new LlamaConfig(
                required(node, "vocab_size"),
                hidden,
                required(node, "intermediate_size"),
                required(node, "num_hidden_layers"),
                heads,
                optionalInt(node, "num_key_value_heads", mistral ? 8 : heads),
                optionalInt(node, "head_dim", hidden / heads),
                optionalDouble(node, "rms_norm_eps", 1e-6),
                ropeTheta(node),
                optionalInt(node, "max_position_embeddings", mistral ? 4096 * 32 : 2048),
                node.path("tie_word_embeddings").asBoolean(false),
                node.has("sliding_window") ? optionalInt(node, "sliding_window", 0) : (mistral ? 4096 : 0),
                optionalInt(node, "bos_token_id", 1),
                optionalInt(node, "eos_token_id", 2),
                optionalDouble(node, "initializer_range", 0.02));
    }

    /**
     * The rotary base: transformers 4.x writes a top-level rope_theta, 5.x
     * rope_parameters.rope_theta; both present must agree (ConfigFields has checked the rope type).
     */
    private static double ropeTheta(JsonNode node) {
        double top = optionalDouble(node, "rope_theta", Double.NaN);
        JsonNode parameters = node.get("rope_parameters");
        double nested = parameters == null || parameters.isNull()
                ? Double.NaN : optionalDouble(parameters, "rope_theta", Double.NaN);
        if (!Double.isNaN(top) && !Double.isNaN(nested) && top != nested) {
            throw new IllegalArgumentException("rope_theta " + top + " and rope_parameters.rope_theta " + nested
                    + " disagree: remove one of them");
        }
        return !Double.isNaN(nested) ? nested : !Double.isNaN(top) ? top : 10000.0;
    }

    /** config.json as transformers writes it for LlamaForCausalLM (loadable by AutoModelForCausalLM). */
    public Map<String, Object> toJson() {
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("architectures", List.of("LlamaForCausalLM"));
        json.put("model_type", "llama");
        json.put("vocab_size", vocabSize);
        json.put("hidden_size", hiddenSize);
        json.put("intermediate_size", intermediateSize);
        json.put("num_hidden_layers", numHiddenLayers);
        json.put("num_attention_heads", numAttentionHeads);
        json.put("num_key_value_heads", numKeyValueHeads);
        json.put("head_dim", headDim);
        json.put("hidden_act", "silu");
        json.put("rms_norm_eps", rmsNormEps);
        json.put("rope_theta", ropeTheta);
        json.put("max_position_embeddings", maxPositionEmbeddings);
        json.put("tie_word_embeddings", tieWordEmbeddings);
        json.put("sliding_window", slidingWindow == 0 ? null : slidingWindow);
        json.put("bos_token_id", bosTokenId);
        json.put("eos_token_id", eosTokenId);
        json.put("initializer_range", initializerRange);
        json.put("attention_bias", false);
        json.put("mlp_bias", false);
        json.put("torch_dtype", "float32");
        return json;
    }

    /** Every tensor of the checkpoint, by its transformers name, with its shape [rows, cols] or [size]. */
    public SortedMap<String, long[]> tensorShapes() {
        SortedMap<String, long[]> shapes = new TreeMap<>();
        long qDim = (long) numAttentionHeads * headDim;
        long kvDim = (long) numKeyValueHeads * headDim;
        shapes.put("model.embed_tokens.weight", new long[] {vocabSize, hiddenSize});
        for (int i = 0; i < numHiddenLayers; i++) {
            String p = "model.layers." + i + ".";
            shapes.put(p + "input_layernorm.weight", new long[] {hiddenSize});
            shapes.put(p + "self_attn.q_proj.weight", new long[] {qDim, hiddenSize});
            shapes.put(p + "self_attn.k_proj.weight", new long[] {kvDim, hiddenSize});
            shapes.put(p + "self_attn.v_proj.weight", new long[] {kvDim, hiddenSize});
            shapes.put(p + "self_attn.o_proj.weight", new long[] {hiddenSize, qDim});
            shapes.put(p + "post_attention_layernorm.weight", new long[] {hiddenSize});
            shapes.put(p + "mlp.gate_proj.weight", new long[] {intermediateSize, hiddenSize});
            shapes.put(p + "mlp.up_proj.weight", new long[] {intermediateSize, hiddenSize});
            shapes.put(p + "mlp.down_proj.weight", new long[] {hiddenSize, intermediateSize});
        }
        shapes.put("model.norm.weight", new long[] {hiddenSize});
        if (!tieWordEmbeddings) {
            shapes.put("lm_head.weight", new long[] {vocabSize, hiddenSize});
        }
        return shapes;
    }

    /** Number of parameters (a tied lm_head counted once). */
    public long parameterCount() {
        long n = 0;
        for (long[] shape : tensorShapes().values()) {
            long size = 1;
            for (long d : shape) {
                size *= d;
            }
            n += size;
        }
        return n;
    }

    private static void requirePositive(String field, int value) {
        if (value <= 0) {
            throw new IllegalArgumentException(field + " " + value + " must be positive");
        }
    }

    private static int required(JsonNode node, String field) {
        JsonNode value = node.get(field);
        if (value == null || !value.canConvertToInt()) {
            throw new IllegalArgumentException("field " + field + " is missing or not an integer");
        }
        return value.asInt();
    }

    private static int optionalInt(JsonNode node, String field, int fallback) {
        JsonNode value = node.get(field);
        if (value == null || value.isNull()) {
            return fallback;
        }
        if (value.isArray() && !value.isEmpty()) {
            // eos_token_id may list several ids (Llama 3); the first is the one generation stops on
            value = value.get(0);
        }
        if (!value.canConvertToInt()) {
            throw new IllegalArgumentException("field " + field + " is not an integer: " + value);
        }
        return value.asInt();
    }

    private static double optionalDouble(JsonNode node, String field, double fallback) {
        JsonNode value = node.get(field);
        if (value == null || value.isNull()) {
            return fallback;
        }
        if (!value.isNumber()) {
            throw new IllegalArgumentException("field " + field + " is not a number: " + value);
        }
        return value.asDouble();
    }
}
