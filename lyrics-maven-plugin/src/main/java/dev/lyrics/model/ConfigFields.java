package dev.lyrics.model;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Collections;
import java.util.Iterator;
import java.util.Map;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * Every field of config.json that transformers' LlamaConfig and MistralConfig define (4.57 and
 * 5.18, with PretrainedConfig's common fields), and what this loader does with each: uses it
 * ({@link LlamaConfig}), checks that it has the one value the model implements (a different value
 * fails naming the field, never a silent default), or leaves it alone because it cannot change the
 * model's numbers.
 */
public final class ConfigFields {
    public enum Use { USED, CHECKED, IRRELEVANT }

    public record Field(Use use, String why) {}

    public static final Set<String> ARCHITECTURES = Set.of("LlamaForCausalLM", "MistralForCausalLM");
    public static final Set<String> MODEL_TYPES = Set.of("llama", "mistral");
    public static final Set<String> DTYPES = Set.of("float32", "float16", "bfloat16");
    private static final Set<String> PLAIN_ROPE_KEYS = Set.of("rope_type", "type", "rope_theta");

    public static final SortedMap<String, Field> FIELDS;

    static {
        SortedMap<String, Field> f = new TreeMap<>();
        for (String used : new String[] {"vocab_size", "hidden_size", "intermediate_size", "num_hidden_layers",
                "num_attention_heads", "num_key_value_heads", "head_dim", "rms_norm_eps", "max_position_embeddings",
                "tie_word_embeddings", "bos_token_id", "eos_token_id", "initializer_range"}) {
            f.put(used, new Field(Use.USED, "LlamaConfig." + used));
        }
        f.put("sliding_window", new Field(Use.USED, "attention span (Mistral); null for full causal attention"));
        f.put("rope_theta", new Field(Use.USED, "the rotary base as transformers 4.x writes it"));
        f.put("rope_parameters", new Field(Use.CHECKED,
                "transformers 5.x: rope_theta is used; rope_type must be default (plain RoPE)"));
        f.put("rope_scaling", new Field(Use.CHECKED, "transformers 4.x: null, or rope_type default"));
        f.put("architectures", new Field(Use.CHECKED, "LlamaForCausalLM or MistralForCausalLM"));
        f.put("model_type", new Field(Use.CHECKED, "llama or mistral; also picks transformers' defaults"));
        f.put("hidden_act", new Field(Use.CHECKED, "silu (SwiGLU)"));
        f.put("attention_bias", new Field(Use.CHECKED, "false: the projections have no bias"));
        f.put("mlp_bias", new Field(Use.CHECKED, "false: the MLP has no bias"));
        f.put("attention_dropout", new Field(Use.CHECKED, "0: no dropout on attention probabilities"));
        f.put("dtype", new Field(Use.CHECKED, "float32, float16 or bfloat16 (transformers 5.x); each tensor's own"
                + " dtype in the safetensors header decides how it is read"));
        f.put("torch_dtype", new Field(Use.CHECKED, "as dtype, transformers 4.x's spelling"));
        f.put("quantization_config", new Field(Use.CHECKED, "absent: quantized checkpoints are not read"));
        f.put("pretraining_tp", new Field(Use.IRRELEVANT,
                "tensor-parallel slicing of the same products (transformers 5.x ignores it)"));
        for (String irrelevant : new String[] {"use_cache", "pad_token_id", "output_attentions",
                "output_hidden_states", "return_dict", "torchscript", "chunk_size_feed_forward", "is_decoder",
                "is_encoder_decoder", "add_cross_attention", "cross_attention_hidden_size", "tie_encoder_decoder",
                "pruned_heads", "id2label", "label2id", "num_labels", "problem_type", "finetuning_task",
                "task_specific_params", "prefix", "tokenizer_class", "sep_token_id", "decoder_start_token_id",
                "transformers_version", "_name_or_path"}) {
            f.put(irrelevant, new Field(Use.IRRELEVANT, "runtime switches, padding, other heads or bookkeeping:"
                    + " no effect on a causal LM's log-probabilities"));
        }
        FIELDS = Collections.unmodifiableSortedMap(f);
    }

    private ConfigFields() {}

    /** Fails (IllegalArgumentException naming the field) when a checked field has a value the model does not implement. */
    static void check(JsonNode node) {
        JsonNode architectures = node.get("architectures");
        if (architectures != null && !architectures.isNull()) {
            for (JsonNode architecture : architectures) {
                if (!ARCHITECTURES.contains(architecture.asText())) {
                    throw new IllegalArgumentException("architectures " + architectures + " is not supported: this"
                            + " loader runs " + ARCHITECTURES.stream().sorted().toList()
                            + " checkpoints; use a Llama or Mistral model directory");
                }
            }
        }
        requireOneOf(node, "model_type", MODEL_TYPES);
        requireOneOf(node, "hidden_act", Set.of("silu"));
        requireOneOf(node, "dtype", DTYPES);
        requireOneOf(node, "torch_dtype", DTYPES);
        for (String bias : new String[] {"attention_bias", "mlp_bias"}) {
            if (node.path(bias).asBoolean(false)) {
                throw new IllegalArgumentException(bias + " true is not implemented (projections without bias only)");
            }
        }
        if (node.has("attention_dropout") && node.get("attention_dropout").asDouble() != 0) {
            throw new IllegalArgumentException("attention_dropout " + node.get("attention_dropout")
                    + " is not implemented: set it to 0.0 in config.json");
        }
        requirePlainRope(node, "rope_scaling");
        requirePlainRope(node, "rope_parameters");
        JsonNode quantization = node.get("quantization_config");
        if (quantization != null && !quantization.isNull()) {
            throw new IllegalArgumentException("quantization_config (" + quantization.path("quant_method").asText("?")
                    + ") is not supported: use the unquantized checkpoint (float32, float16 or bfloat16)");
        }
    }

    private static void requireOneOf(JsonNode node, String field, Set<String> allowed) {
        JsonNode value = node.get(field);
        if (value != null && !value.isNull() && !allowed.contains(value.asText())) {
            throw new IllegalArgumentException(field + " " + value + " is not supported (supported: "
                    + allowed.stream().sorted().toList() + ")");
        }
    }

    /** rope_scaling / rope_parameters: absent, null, or rope_type "default" with nothing but rope_theta beside it. */
    private static void requirePlainRope(JsonNode node, String field) {
        JsonNode rope = node.get(field);
        if (rope == null || rope.isNull()) {
            return;
        }
        if (!rope.isObject()) {
            throw new IllegalArgumentException(field + " " + rope + " is not an object");
        }
        String type = rope.has("rope_type") ? rope.get("rope_type").asText() : rope.path("type").asText("default");
        if (!type.equals("default")) {
            throw new IllegalArgumentException(field + ".rope_type " + type + " is not implemented: this model has"
                    + " plain rotary embeddings only (rope_type default), so " + field + " " + rope
                    + " would give wrong numbers; use a checkpoint without RoPE scaling");
        }
        for (Iterator<Map.Entry<String, JsonNode>> it = rope.fields(); it.hasNext(); ) {
            String key = it.next().getKey();
            if (!PLAIN_ROPE_KEYS.contains(key)) {
                throw new IllegalArgumentException(field + "." + key + " is not implemented (plain RoPE reads only "
                        + PLAIN_ROPE_KEYS.stream().sorted().toList() + ")");
            }
        }
        JsonNode theta = rope.get("rope_theta");
        if (theta != null && !theta.isNumber()) {
            throw new IllegalArgumentException(field + ".rope_theta is not a number: " + theta);
        }
    }
}
