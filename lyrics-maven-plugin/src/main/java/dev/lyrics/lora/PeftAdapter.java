package dev.lyrics.lora;

import dev.lyrics.core.Json;
import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A LoRA adapter in Hugging Face peft's directory layout, so Python's PeftModel.from_pretrained
 * loads it onto the base: adapter_config.json and adapter_model.safetensors, whose tensors are
 * named after the adapted base weight ("model.layers.0.self_attn.q_proj.weight" becomes
 * "base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight" and "...lora_B.weight").
 */
public final class PeftAdapter {
    public static final String CONFIG_FILE = "adapter_config.json";
    public static final String WEIGHTS_FILE = "adapter_model.safetensors";
    private static final String PREFIX = "base_model.model.";
    private static final String WEIGHT = ".weight";

    private PeftAdapter() {}

    /** The adapter tensor name of a base weight's A (or B) matrix. */
    public static String keyA(String baseWeight) {
        return key(baseWeight, "lora_A");
    }

    public static String keyB(String baseWeight) {
        return key(baseWeight, "lora_B");
    }

    private static String key(String baseWeight, String matrix) {
        if (!baseWeight.endsWith(WEIGHT)) {
            throw new IllegalArgumentException("not a weight name: " + baseWeight);
        }
        return PREFIX + baseWeight.substring(0, baseWeight.length() - WEIGHT.length()) + "." + matrix + WEIGHT;
    }

    /**
     * The base weight an adapter tensor belongs to, or null when the name is not peft's. Accepts the
     * adapter-named form "lora_A.default.weight" that peft keeps in memory as well as the saved form.
     */
    public static String baseWeightOf(String key) {
        if (!key.startsWith(PREFIX)) {
            return null;
        }
        String rest = key.substring(PREFIX.length());
        for (String matrix : List.of(".lora_A.", ".lora_B.")) {
            int at = rest.indexOf(matrix);
            if (at > 0 && rest.endsWith(WEIGHT)) {
                return rest.substring(0, at) + WEIGHT;
            }
        }
        return null;
    }

    /** Whether a tensor name is an A matrix (else a B matrix). */
    public static boolean isA(String key) {
        return key.contains(".lora_A.");
    }

    /** adapter_config.json as peft writes it for a causal LM (the fields every peft release since 0.7 reads). */
    public static Map<String, Object> configJson(LoraConfig config, String baseModel) {
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("base_model_name_or_path", baseModel);
        json.put("bias", "none");
        json.put("fan_in_fan_out", false);
        json.put("inference_mode", true);
        json.put("init_lora_weights", true);
        json.put("layers_pattern", null);
        json.put("layers_to_transform", null);
        json.put("lora_alpha", config.alpha() == Math.rint(config.alpha()) ? (Object) (long) config.alpha() : config.alpha());
        json.put("lora_dropout", config.dropout());
        json.put("modules_to_save", null);
        json.put("peft_type", "LORA");
        json.put("r", config.r());
        json.put("revision", null);
        json.put("target_modules", config.targetModules());
        json.put("task_type", "CAUSAL_LM");
        json.put("use_dora", false);
        json.put("use_rslora", config.useRslora());
        return json;
    }

    public static void writeConfig(Path dir, LoraConfig config, String baseModel) throws IOException {
        Json.write(dir.resolve(CONFIG_FILE), configJson(config, baseModel));
    }

    /** Reads dir's adapter_config.json as peft reads it (per-module ranks and scalings, targeting, unsupported features). */
    public static PeftConfig readConfig(Path dir) throws IOException {
        return PeftConfig.read(dir.resolve(CONFIG_FILE));
    }
}
