package dev.lyrics.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import com.fasterxml.jackson.databind.JsonNode;
import dev.lyrics.core.InputException;
import dev.lyrics.core.Json;
import dev.lyrics.model.SafetensorsFile.DType;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.SortedSet;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * A Hugging Face model directory: config.json plus model.safetensors, or shards listed in
 * model.safetensors.index.json. Loading checks every tensor the config implies, by name and shape.
 */
public final class HfCheckpoint {
    public static final String CONFIG = "config.json";
    public static final String WEIGHTS = "model.safetensors";
    public static final String INDEX = "model.safetensors.index.json";

    private HfCheckpoint() {}

    /** True when the directory has a config and weights (single file or index). */
    public static boolean isCheckpoint(Path dir) {
        return Files.isRegularFile(dir.resolve(CONFIG))
                && (Files.isRegularFile(dir.resolve(WEIGHTS)) || Files.isRegularFile(dir.resolve(INDEX)));
    }

    /** The weight files of a directory, in name order: the index's shards or the single file. */
    public static List<Path> weightFiles(Path dir) throws IOException {
        return weightMap(dir, null).values().stream().distinct().sorted().toList();
    }

    /**
     * Loads the tensors the config implies, converted to {@code dtype}, into {@code manager}.
     * A missing tensor or one whose shape disagrees with config.json is an {@link InputException}
     * naming the file; tensors the config does not use are ignored.
     */
    public static SortedMap<String, NDArray> loadTensors(Path dir, LlamaConfig config, NDManager manager,
                                                         DataType dtype) throws IOException {
        SortedMap<String, long[]> expected = config.tensorShapes();
        Map<String, Path> locations = weightMap(dir, expected.keySet());
        SortedMap<String, NDArray> loaded = new TreeMap<>();
        Map<Path, List<String>> byFile = new TreeMap<>();
        for (String name : expected.keySet()) {
            byFile.computeIfAbsent(locations.get(name), f -> new ArrayList<>()).add(name);
        }
        try {
            for (Map.Entry<Path, List<String>> shard : byFile.entrySet()) {
                try (SafetensorsFile file = SafetensorsFile.open(shard.getKey())) {
                    for (String name : shard.getValue()) {
                        SafetensorsFile.TensorInfo info = file.tensors().get(name);
                        if (info == null) {
                            throw InputException.at(file.file(), "missing tensor " + name + " (" + describe(config)
                                    + " needs it)");
                        }
                        if (!Arrays.equals(info.shape(), expected.get(name))) {
                            throw InputException.at(file.file(), "tensor " + name + " has shape "
                                    + Arrays.toString(info.shape()) + " but " + dir.resolve(CONFIG) + " implies "
                                    + Arrays.toString(expected.get(name)) + " (" + impliedBy(name)
                                    + "): config.json and the weights are not from the same model");
                        }
                        loaded.put(name, file.load(name, manager, dtype));
                    }
                }
            }
        } catch (RuntimeException | IOException e) {
            loaded.values().forEach(NDArray::close);
            throw e;
        }
        return loaded;
    }

    /** The storage types of the weight files' tensors ("BF16", "F16, F32"), read from their headers only. */
    public static String storageFormats(Path dir) throws IOException {
        SortedSet<String> formats = new TreeSet<>();
        for (Path file : weightFiles(dir)) {
            try (SafetensorsFile weights = SafetensorsFile.open(file)) {
                weights.tensors().values().forEach(info -> formats.add(info.dtype().name()));
            }
        }
        return String.join(", ", formats);
    }

    /** Writes config.json and model.safetensors into {@code dir} (the caller publishes the directory). */
    public static void save(Path dir, LlamaConfig config, SortedMap<String, NDArray> tensors, DType storage)
            throws IOException {
        Files.createDirectories(dir);
        Map<String, Object> json = config.toJson();
        json.put("torch_dtype", storage == DType.F32 ? "float32" : storage == DType.F16 ? "float16" : "bfloat16");
        Json.write(dir.resolve(CONFIG), json);
        SafetensorsWriter.write(dir.resolve(WEIGHTS), tensors, storage, Map.of("format", "pt"));
    }

    /** Tensor name -> file holding it; for a single file every wanted name maps to it. */
    private static Map<String, Path> weightMap(Path dir, Iterable<String> wanted) throws IOException {
        Path index = dir.resolve(INDEX);
        Path single = dir.resolve(WEIGHTS);
        Map<String, Path> map = new TreeMap<>();
        if (Files.isRegularFile(index)) {
            JsonNode weightMap;
            try {
                weightMap = Json.MAPPER.readTree(index.toFile()).get("weight_map");
            } catch (IOException e) {
                throw InputException.at(index, "not valid JSON (" + e.getMessage() + ")");
            }
            if (weightMap == null || !weightMap.isObject()) {
                throw InputException.at(index, "no weight_map object");
            }
            for (Iterator<Map.Entry<String, JsonNode>> it = weightMap.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> entry = it.next();
                Path shard = dir.resolve(entry.getValue().asText()).normalize();
                if (!shard.startsWith(dir.normalize()) || !Files.isRegularFile(shard)) {
                    throw InputException.at(index, "shard " + entry.getValue().asText() + " of tensor "
                            + entry.getKey() + " not found in " + dir + ": the download is incomplete;"
                            + " download it again (every file the index names)");
                }
                map.put(entry.getKey(), shard);
            }
            if (wanted != null) {
                for (String name : wanted) {
                    if (!map.containsKey(name)) {
                        throw InputException.at(index, "missing tensor " + name + ": the weight_map does not list it");
                    }
                }
            }
        } else if (Files.isRegularFile(single)) {
            if (wanted == null) {
                map.put(WEIGHTS, single);
            } else {
                wanted.forEach(name -> map.put(name, single));
            }
        } else {
            throw InputException.at(dir, "no " + WEIGHTS + " or " + INDEX + ": not a Hugging Face model directory");
        }
        return map;
    }

    /** The config.json fields that decide a tensor's shape. */
    private static String impliedBy(String tensor) {
        if (tensor.endsWith("embed_tokens.weight") || tensor.equals("lm_head.weight")) {
            return "vocab_size, hidden_size";
        }
        if (tensor.contains(".q_proj.") || tensor.contains(".o_proj.")) {
            return "num_attention_heads, head_dim, hidden_size";
        }
        if (tensor.contains(".k_proj.") || tensor.contains(".v_proj.")) {
            return "num_key_value_heads, head_dim, hidden_size";
        }
        return tensor.contains(".mlp.") ? "intermediate_size, hidden_size" : "hidden_size";
    }

    private static String describe(LlamaConfig config) {
        return "a " + config.numHiddenLayers() + "-layer model with "
                + (config.tieWordEmbeddings() ? "tied" : "untied") + " embeddings";
    }
}
