package dev.lyrics.lora;

import dev.lyrics.core.ConfigException;
import java.util.List;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * LoRA hyperparameters with Hugging Face peft's meaning: each target projection W (out x in)
 * gains a trainable update scale * B A with A (r x in) and B (out x r), scale = alpha / r, or
 * alpha / sqrt(r) with rank-stabilised LoRA, and dropout applied to the adapter's input only.
 *
 * @param targetModules projection names as in the checkpoint ("q_proj", "down_proj"), sorted
 */
public record LoraConfig(int r, double alpha, double dropout, List<String> targetModules, boolean useRslora) {
    /** The projections of a Llama/Mistral decoder layer, in peft's naming. */
    public static final Set<String> LLAMA_MODULES =
            Set.of("q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj");

    public LoraConfig {
        targetModules = List.copyOf(new TreeSet<>(targetModules));
    }

    /** Fails with the parameter named, before any work, when a value cannot be used. */
    public LoraConfig validate(String propertyPrefix) {
        ConfigException.require(r >= 1, propertyPrefix + "r", r, "must be at least 1");
        ConfigException.require(alpha > 0 && Double.isFinite(alpha), propertyPrefix + "alpha", alpha, "must be positive");
        ConfigException.require(dropout >= 0 && dropout < 1, propertyPrefix + "dropout", dropout, "must be in [0, 1)");
        ConfigException.require(!targetModules.isEmpty(), propertyPrefix + "targetModules", targetModules,
                "must name at least one of " + new TreeSet<>(LLAMA_MODULES));
        for (String module : targetModules) {
            ConfigException.require(LLAMA_MODULES.contains(module), propertyPrefix + "targetModules", targetModules,
                    "\"" + module + "\" is not a projection of this architecture; use " + new TreeSet<>(LLAMA_MODULES));
        }
        return this;
    }

    /**
     * The base weights that get an adapter, by checkpoint name ("model.layers.3.self_attn.q_proj.weight"),
     * with their shapes [out, in], picked from a model's tensor shapes (LlamaConfig.tensorShapes()).
     */
    public SortedMap<String, long[]> adaptedWeights(SortedMap<String, long[]> tensorShapes) {
        SortedMap<String, long[]> adapted = new TreeMap<>();
        tensorShapes.forEach((name, shape) -> {
            if (name.startsWith("model.layers.") && name.endsWith(".weight") && shape.length == 2) {
                String module = name.substring(name.lastIndexOf('.', name.length() - ".weight".length() - 1) + 1,
                        name.length() - ".weight".length());
                if (targetModules.contains(module)) {
                    adapted.put(name, shape);
                }
            }
        });
        return adapted;
    }

    /** Trainable parameters from shapes alone: r x (in + out) for each adapted weight. */
    public long trainableParameters(SortedMap<String, long[]> tensorShapes) {
        long count = 0;
        for (long[] shape : adaptedWeights(tensorShapes).values()) {
            count += (long) r * (shape[0] + shape[1]);
        }
        return count;
    }

    /** The factor on B A: alpha / r, or alpha / sqrt(r) with rank-stabilised LoRA. */
    public double scale() {
        return useRslora ? alpha / Math.sqrt(r) : alpha / r;
    }
}
