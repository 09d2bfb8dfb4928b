package dev.lyrics.lora;

import com.fasterxml.jackson.databind.JsonNode;
import dev.lyrics.core.InputException;
import dev.lyrics.core.Json;
import dev.lyrics.model.ConfigFields.Field;
import dev.lyrics.model.ConfigFields.Use;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.SortedMap;
import java.util.SortedSet;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.BiConsumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * adapter_config.json as peft's PeftModel.from_pretrained reads it onto a Llama or Mistral base
 * (peft 0.21's check_target_module_exists and LoraModel._create_and_replace): which modules get an
 * adapter and, per module, its rank and scaling. Every field peft 0.21 writes is used, checked to
 * have the one value this project implements (another value fails naming the file and the field), or
 * irrelevant ({@link #FIELDS}); a field peft does not define here is accepted only while it is null,
 * false or empty, so a newer peft's feature is never silently dropped.
 *
 * <p>A module is named as the base model's named_modules() names it ("model.layers.0.self_attn.q_proj").
 * Its rank is the value of the first rank_pattern key (in the file's order) that matches the name as
 * the regular expression {@code (.*\.)?(key)$} from its start, so "k_proj" and "layers.1.self_attn.k_proj"
 * both match the name's tail at a dot and "^model.layers.1.mlp.down_proj" only that module; r when no
 * key matches. Its alpha likewise from alpha_pattern, independently of the rank's key, else lora_alpha.
 * The scaling is alpha / r, or alpha / sqrt(r) with use_rslora, from that module's own r and alpha.
 * peft saves the config with sorted keys, so for an adapter saved by peft the file's order (the one
 * its own reload uses) is the sorted one, whatever order the patterns were given in for training.
 * This is the rule since peft 0.15; up to 0.14 a key had to follow a dot ({@code .*\.key$}), so one
 * naming a whole module matched nothing and "^" could not anchor, and before 0.14 one key, looked for
 * in rank_pattern and alpha_pattern together, chose both.
 */
public final class PeftConfig {
    /** An adapted base module: its weight's shape [out, in], rank, alpha and the factor on B A. */
    public record Module(long[] shape, int r, double alpha, double scale) {}

    /** Every field peft 0.21's LoraConfig saves, and what this reader does with each. */
    public static final SortedMap<String, Field> FIELDS;

    /** peft's default target modules for model_type llama and mistral, used when target_modules is null. */
    static final List<String> DEFAULT_TARGETS = List.of("q_proj", "v_proj");
    /** init_lora_weights values (besides true and false) that only initialise A and B, which the saved weights replace. */
    private static final Set<String> PLAIN_INITS = Set.of("gaussian", "eva", "orthogonal");
    /** CHECKED fields whose one supported value is false: they change the forward pass. */
    private static final List<String> VARIANT_FLAGS = List.of("use_dora", "use_qalora", "lora_bias");
    /** CHECKED fields whose one supported value is null or empty. */
    private static final List<String> NOT_IMPLEMENTED = List.of("modules_to_save", "layer_replication",
            "target_parameters", "trainable_token_indices", "alora_invocation_tokens", "arrow_config", "kasa_config",
            "velora_config", "monteclora_config", "use_bdlora");
    private static final Pattern FIRST_LAYER_INDEX = Pattern.compile(".*?\\.[^.]*\\.(?<idx>\\d+)\\.");

    static {
        SortedMap<String, Field> f = new TreeMap<>();
        f.put("r", new Field(Use.USED, "rank of every module no rank_pattern key matches (peft's default 8 when absent)"));
        f.put("lora_alpha", new Field(Use.USED, "alpha of every module no alpha_pattern key matches (default 8)"));
        f.put("rank_pattern", new Field(Use.USED, "per-module rank: first key matching (.*\\.)?(key)$"));
        f.put("alpha_pattern", new Field(Use.USED, "per-module alpha: first key matching (.*\\.)?(key)$"));
        f.put("use_rslora", new Field(Use.USED, "scaling alpha / sqrt(r) instead of alpha / r, per module"));
        f.put("lora_dropout", new Field(Use.USED, "dropout on the adapter input while training"));
        f.put("target_modules", new Field(Use.USED, "names (exact, or a tail after a dot), a regular expression"
                + " matching the whole name, \"all-linear\", or null for peft's llama/mistral default q_proj, v_proj"));
        f.put("exclude_modules", new Field(Use.USED, "names (exact, or a tail after a dot) or a whole-name regex"));
        f.put("layers_to_transform", new Field(Use.USED, "layer indices (an int or a list) for list targets"));
        f.put("layers_pattern", new Field(Use.USED, "the name before the layer index, for layers_to_transform"));
        f.put("fan_in_fan_out", new Field(Use.IRRELEVANT, "Llama/Mistral projections are nn.Linear, for which peft"
                + " sets it to false"));
        f.put("bias", new Field(Use.CHECKED, "none, all or lora_only: Llama/Mistral projections have no bias"
                + " (config.json is checked for that), so there is none to train; a bias tensor in the"
                + " adapter file fails as a tensor that adapts no module"));
        f.put("peft_type", new Field(Use.CHECKED, "LORA"));
        f.put("task_type", new Field(Use.CHECKED, "CAUSAL_LM or null: other task types put a head of their own"
                + " on the model"));
        f.put("init_lora_weights", new Field(Use.CHECKED, "an initialisation of A and B alone (true, false,"
                + " gaussian, eva, orthogonal); pissa, olora, corda, loftq, lora_ga and others change the base"
                + " weights when peft loads the adapter"));
        for (String off : VARIANT_FLAGS) {
            f.put(off, new Field(Use.CHECKED, "false: DoRA, QALoRA pooling and a bias on B change the forward pass"));
        }
        for (String none : NOT_IMPLEMENTED) {
            f.put(none, new Field(Use.CHECKED, "null or empty: whole modules saved beside the adapter, a rebuilt"
                    + " layer stack, adapted parameters or tokens, and LoRA variants are not implemented"));
        }
        for (String initOnly : new String[] {"loftq_config", "eva_config", "corda_config", "lora_ga_config"}) {
            f.put(initOnly, new Field(Use.IRRELEVANT, "read only by its init_lora_weights, which is checked"));
        }
        f.put("qalora_group_size", new Field(Use.IRRELEVANT, "read only with use_qalora, which is checked"));
        f.put("megatron_config", new Field(Use.IRRELEVANT, "applies to Megatron's parallel layers only"));
        f.put("megatron_core", new Field(Use.IRRELEVANT, "applies to Megatron's parallel layers only"));
        f.put("ensure_weight_tying", new Field(Use.IRRELEVANT, "ties adapters of tied embeddings, which cannot"
                + " be targeted here"));
        for (String bookkeeping : new String[] {"base_model_name_or_path", "revision", "inference_mode",
                "peft_version", "auto_mapping"}) {
            f.put(bookkeeping, new Field(Use.IRRELEVANT, "bookkeeping: no effect on the adapted model's numbers"));
        }
        FIELDS = Collections.unmodifiableSortedMap(f);
    }

    private final Path file;
    private final int r;
    private final double alpha;
    private final double dropout;
    private final boolean useRslora;
    /** one of them is null: the list form or the whole-name regex form of target_modules */
    private final List<String> targetNames;
    private final Pattern targetRegex;
    private final List<String> excludeNames;
    private final Pattern excludeRegex;
    /** null when every layer is transformed */
    private final List<Integer> layersToTransform;
    private final List<Pattern> layersPattern;
    /** layers_to_transform and layers_pattern as written, for messages */
    private final String layersText;
    private final Map<String, Pattern> rankKeys = new LinkedHashMap<>();
    private final Map<String, Integer> ranks = new LinkedHashMap<>();
    private final Map<String, Pattern> alphaKeys = new LinkedHashMap<>();
    private final Map<String, Double> alphas = new LinkedHashMap<>();

    private PeftConfig(Path file, JsonNode node) {
        this.file = file;
        checkFields(node);
        r = node.has("r") ? rank(node.get("r"), "r") : 8;
        alpha = node.has("lora_alpha") ? alpha(node.get("lora_alpha"), "lora_alpha") : 8;
        JsonNode dropoutNode = node.path("lora_dropout");
        if (!isNull(dropoutNode) && !dropoutNode.isNumber()) {
            throw fail("lora_dropout " + dropoutNode + " is not a number");
        }
        dropout = dropoutNode.asDouble(0);
        useRslora = bool(node.path("use_rslora"), "use_rslora");

        JsonNode targets = node.path("target_modules");
        JsonNode layers = node.path("layers_to_transform");
        JsonNode layersPatternNode = node.path("layers_pattern");
        if (targets.isTextual() && !isNull(layers)) {
            throw fail("layers_to_transform " + layers + " cannot be used when target_modules is a string (peft"
                    + " refuses it too): list the target module names instead");
        }
        if (targets.isTextual() && !isNull(layersPatternNode)) {
            throw fail("layers_pattern " + layersPatternNode + " cannot be used when target_modules is a string"
                    + " (peft refuses it too): list the target module names instead");
        }
        if (!isEmpty(layersPatternNode) && isNull(layers)) {
            throw fail("layers_pattern " + layersPatternNode + " needs layers_to_transform (peft refuses it too)");
        }
        if (targets.isTextual() && targets.asText().equalsIgnoreCase("all-linear")) {
            // peft: every nn.Linear but the output head, which in Llama/Mistral are the seven projections
            targetNames = List.copyOf(new TreeSet<>(LoraConfig.LLAMA_MODULES));
            targetRegex = null;
        } else if (targets.isTextual()) {
            targetNames = null;
            targetRegex = regex(targets.asText(), "target_modules");
        } else if (isNull(targets)) {
            targetNames = DEFAULT_TARGETS;
            targetRegex = null;
        } else {
            targetNames = strings(targets, "target_modules");
            targetRegex = null;
        }
        JsonNode exclude = node.path("exclude_modules");
        excludeRegex = exclude.isTextual() ? regex(exclude.asText(), "exclude_modules") : null;
        excludeNames = exclude.isTextual() || isNull(exclude) ? List.of() : strings(exclude, "exclude_modules");
        if (isNull(layers) || layers.isArray() && layers.isEmpty()) {
            layersToTransform = null;
        } else if (layers.isIntegralNumber()) {
            layersToTransform = List.of(layers.asInt());
        } else if (layers.isArray()) {
            List<Integer> indices = new ArrayList<>();
            for (JsonNode index : layers) {
                if (!index.isIntegralNumber()) {
                    throw fail("layers_to_transform " + layers + " must be an integer or a list of integers");
                }
                indices.add(index.asInt());
            }
            layersToTransform = List.copyOf(indices);
        } else {
            throw fail("layers_to_transform " + layers + " must be an integer or a list of integers");
        }
        List<Pattern> layerPatterns = new ArrayList<>();
        for (String layerName : isEmpty(layersPatternNode) ? List.<String>of()
                : layersPatternNode.isTextual() ? List.of(layersPatternNode.asText())
                : strings(layersPatternNode, "layers_pattern")) {
            layerPatterns.add(regex("(?:^|.*?\\.)" + layerName + "\\.(?<idx>\\d+)\\.", "layers_pattern"));
        }
        layersPattern = List.copyOf(layerPatterns);
        layersText = layersToTransform == null ? "" : " with layers_to_transform " + layers
                + (layerPatterns.isEmpty() ? "" : " and layers_pattern " + layersPatternNode);
        patterns(node.path("rank_pattern"), "rank_pattern", (key, value) -> ranks.put(key, rank(value,
                "rank_pattern key \"" + key + "\"")), rankKeys);
        patterns(node.path("alpha_pattern"), "alpha_pattern", (key, value) -> alphas.put(key, alpha(value,
                "alpha_pattern key \"" + key + "\"")), alphaKeys);
    }

    /** Reads a peft adapter_config.json; what it asks for that this project cannot do fails naming the file and field. */
    public static PeftConfig read(Path file) throws IOException {
        if (!Files.isRegularFile(file)) {
            throw InputException.at(file, "not found: a peft adapter directory needs " + file.getFileName());
        }
        JsonNode node = Json.MAPPER.readTree(file.toFile());
        if (node == null || !node.isObject()) {
            throw InputException.at(file, "not a JSON object");
        }
        return new PeftConfig(file, node);
    }

    public Path file() {
        return file;
    }

    /**
     * The modules peft adapts on a base with these tensor shapes (LlamaConfig.tensorShapes()), by their
     * weight's name ("model.layers.0.self_attn.q_proj.weight"), each with its own rank and scaling.
     * Fails naming target_modules when it selects a module that is not a decoder layer's projection
     * (lm_head, embed_tokens, a norm or a container) or none at all.
     */
    public SortedMap<String, Module> modules(SortedMap<String, long[]> tensorShapes) {
        SortedSet<String> names = new TreeSet<>(List.of("lm_head"));
        for (String tensor : tensorShapes.keySet()) {
            String module = tensor.substring(0, tensor.lastIndexOf('.'));
            for (int dot = module.indexOf('.'); dot > 0; dot = module.indexOf('.', dot + 1)) {
                names.add(module.substring(0, dot));
            }
            names.add(module);
        }
        SortedMap<String, Module> modules = new TreeMap<>();
        for (String name : names) {
            if (!targeted(name)) {
                continue;
            }
            long[] shape = tensorShapes.get(name + ".weight");
            String projection = name.substring(name.lastIndexOf('.') + 1);
            if (!name.startsWith("model.layers.") || shape == null || shape.length != 2
                    || !LoraConfig.LLAMA_MODULES.contains(projection)) {
                throw fail(targetsText() + " selects " + name + ", which this project cannot adapt: it adapts the"
                        + " projections " + new TreeSet<>(LoraConfig.LLAMA_MODULES) + " of the decoder layers only");
            }
            int rank = first(ranks, rankKeys, name, r);
            double a = first(alphas, alphaKeys, name, alpha);
            modules.put(name + ".weight", new Module(shape, rank, a, useRslora ? a / Math.sqrt(rank) : a / rank));
        }
        if (modules.isEmpty()) {
            throw fail(targetsText() + layersText + " selects no module of the base model");
        }
        return modules;
    }

    /**
     * The settings every module shares, for LoraModel: r, lora_alpha, lora_dropout, use_rslora and the
     * projections adapted somewhere (a module's own rank and scaling may differ: {@link #modules}).
     */
    public LoraConfig defaults(SortedMap<String, Module> modules) {
        SortedSet<String> projections = new TreeSet<>();
        modules.keySet().forEach(w -> projections.add(w.substring(w.lastIndexOf('.', w.length() - ".weight".length() - 1)
                + 1, w.length() - ".weight".length())));
        return new LoraConfig(r, alpha, dropout, List.copyOf(projections), useRslora);
    }

    /** peft's check_target_module_exists for one module name (modules_to_save is refused on reading). */
    private boolean targeted(String name) {
        if (excludeRegex != null ? excludeRegex.matcher(name).matches() : listed(excludeNames, name)) {
            return false;
        }
        if (targetRegex != null) {
            return targetRegex.matcher(name).matches();
        }
        if (targetNames.contains(name)) {
            return true; // an exact name is not filtered by layers_to_transform
        }
        if (!listed(targetNames, name)) {
            return false;
        }
        if (layersToTransform == null) {
            return true;
        }
        Integer index = layerIndex(name);
        return index != null && layersToTransform.contains(index);
    }

    private static boolean listed(List<String> keys, String name) {
        return keys.stream().anyMatch(key -> name.equals(key) || name.endsWith("." + key));
    }

    /** The first number after a dot-separated name in the module's name (after a layers_pattern name if given). */
    private Integer layerIndex(String name) {
        if (layersPattern.isEmpty()) {
            Matcher m = FIRST_LAYER_INDEX.matcher(name);
            return m.lookingAt() ? Integer.valueOf(m.group("idx")) : null;
        }
        for (Pattern layers : layersPattern) {
            Matcher m = layers.matcher(name);
            if (m.lookingAt()) {
                return Integer.valueOf(m.group("idx"));
            }
        }
        return null;
    }

    private static <T> T first(Map<String, T> values, Map<String, Pattern> keys, String name, T otherwise) {
        for (Map.Entry<String, Pattern> key : keys.entrySet()) {
            if (key.getValue().matcher(name).lookingAt()) {
                return values.get(key.getKey());
            }
        }
        return otherwise;
    }

    private String targetsText() {
        return "target_modules " + (targetRegex != null ? "\"" + targetRegex.pattern() + "\"" : targetNames)
                + (excludeRegex != null ? " less exclude_modules \"" + excludeRegex.pattern() + "\""
                : excludeNames.isEmpty() ? "" : " less exclude_modules " + excludeNames);
    }

    private void checkFields(JsonNode node) {
        String peftType = node.path("peft_type").asText("LORA");
        if (!peftType.equals("LORA")) {
            throw fail("peft_type " + node.get("peft_type") + " is not LORA: only LoRA adapters are read");
        }
        String taskType = node.path("task_type").asText("CAUSAL_LM");
        if (!isNull(node.path("task_type")) && !taskType.equals("CAUSAL_LM")) {
            throw fail("task_type " + node.get("task_type") + " is not CAUSAL_LM: this project reads adapters of"
                    + " a causal language model");
        }
        String bias = node.path("bias").asText("none");
        if (!Set.of("none", "all", "lora_only").contains(bias)) {
            throw fail("bias " + node.get("bias") + " is not none, all or lora_only");
        }
        JsonNode init = node.path("init_lora_weights");
        if (!isNull(init) && !init.isBoolean() && !PLAIN_INITS.contains(init.asText().toLowerCase(Locale.ROOT))) {
            throw fail("init_lora_weights " + init + " is not supported: peft changes the base model's weights when"
                    + " it loads such an adapter; save it as a plain LoRA adapter with peft's"
                    + " save_pretrained(path_initial_model_for_weight_conversion=...)");
        }
        for (String field : VARIANT_FLAGS) {
            requireOff(node, field);
        }
        for (String field : NOT_IMPLEMENTED) {
            requireOff(node, field);
        }
        node.fieldNames().forEachRemaining(name -> {
            if (!FIELDS.containsKey(name) && !isOff(node.get(name))) {
                throw fail(name + " " + node.get(name) + " is a field this project does not know (it reads peft 0.21's"
                        + " fields); it is accepted only while null, false or empty");
            }
        });
    }

    private void requireOff(JsonNode node, String field) {
        if (!isOff(node.path(field))) {
            throw fail(field + " " + node.get(field) + " is not supported (" + FIELDS.get(field).why()
                    + "); only plain LoRA adapters are read: save the adapter without it");
        }
    }

    private static boolean isOff(JsonNode value) {
        return isNull(value) || value.isBoolean() && !value.asBoolean() || value.isContainerNode() && value.isEmpty();
    }

    private static boolean isNull(JsonNode value) {
        return value == null || value.isMissingNode() || value.isNull();
    }

    private static boolean isEmpty(JsonNode value) {
        return isNull(value) || value.isTextual() && value.asText().isEmpty() || value.isArray() && value.isEmpty();
    }

    private boolean bool(JsonNode value, String field) {
        if (!isNull(value) && !value.isBoolean()) {
            throw fail(field + " " + value + " is not true or false");
        }
        return value.asBoolean(false);
    }

    private int rank(JsonNode value, String field) {
        if (!value.isIntegralNumber() || !value.canConvertToInt() || value.asInt() < 1) {
            throw fail(field + " " + value + " must be a whole number of at least 1 (a rank)");
        }
        return value.asInt();
    }

    private double alpha(JsonNode value, String field) {
        if (!value.isNumber() || !Double.isFinite(value.asDouble())) {
            throw fail(field + " " + value + " must be a number (an alpha)");
        }
        return value.asDouble();
    }

    private List<String> strings(JsonNode list, String field) {
        if (!list.isArray()) {
            throw fail(field + " " + list + " must be a list of module names or a string");
        }
        List<String> names = new ArrayList<>();
        for (JsonNode name : list) {
            if (!name.isTextual()) {
                throw fail(field + " " + list + " must be a list of module names or a string");
            }
            names.add(name.asText());
        }
        return List.copyOf(names);
    }

    private void patterns(JsonNode map, String field, BiConsumer<String, JsonNode> value,
            Map<String, Pattern> keys) {
        if (isNull(map)) {
            return;
        }
        if (!map.isObject()) {
            throw fail(field + " " + map + " must be an object of module-name patterns");
        }
        map.fields().forEachRemaining(entry -> {
            keys.put(entry.getKey(), regex("(.*\\.)?(" + entry.getKey() + ")$", field + " key \"" + entry.getKey() + "\""));
            value.accept(entry.getKey(), entry.getValue());
        });
    }

    private Pattern regex(String regex, String field) {
        try {
            return Pattern.compile(regex);
        } catch (PatternSyntaxException e) {
            throw fail(field + " is not a regular expression this project can read (" + e.getDescription()
                    + " in " + regex + "); Python-only syntax such as (?P<name>...) has to be rewritten");
        }
    }

    private InputException fail(String problem) {
        return InputException.at(file, problem);
    }
}
