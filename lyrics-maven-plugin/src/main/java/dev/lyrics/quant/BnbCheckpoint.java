package dev.lyrics.quant;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.lyrics.core.InputException;
import dev.lyrics.core.Json;
import dev.lyrics.model.HfCheckpoint;
import dev.lyrics.model.LlamaConfig;
import dev.lyrics.model.LlamaModel;
import dev.lyrics.model.SafetensorsFile;
import dev.lyrics.model.SafetensorsFile.DType;
import dev.lyrics.model.SafetensorsWriter;
import dev.lyrics.model.SafetensorsWriter.RawTensor;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * A Hugging Face model directory quantized by bitsandbytes to 4 bits, as transformers saves it
 * (Linear4bit._save_to_state_dict and QuantState.as_dict(packed=True)): for every quantized weight
 * W, the packed codes {@code W} (uint8, (n/2, 1)), {@code W.absmax}, {@code W.quant_map} (the 16
 * levels), with double quantization {@code W.nested_absmax} and {@code W.nested_quant_map}, and
 * {@code W.quant_state.bitsandbytes__nf4}: uint8 bytes of the JSON {quant_type, blocksize, dtype,
 * shape[, nested_blocksize, nested_dtype, nested_offset]}. config.json has a
 * {@code quantization_config} with quant_method bitsandbytes. Embeddings, norms and lm_head are
 * plain tensors. Only NF4 is read: FP4 and 8-bit checkpoints fail naming their type.
 */
public final class BnbCheckpoint {
    static final String STATE_PREFIX = ".quant_state.bitsandbytes__";

    private BnbCheckpoint() {}

    /** The checkpoint's quantization as config.json declares it. */
    public record Declared(boolean doubleQuant, List<String> skipModules) {}

    /** What {@link #read} returns: the config, the plain tensors (in the manager) and the NF4 weights. */
    public record Loaded(LlamaConfig config, Declared declared, SortedMap<String, NDArray> plain,
                         SortedMap<String, Nf4Tensor> quantized) {}

    /** True when config.json carries a quantization_config (a pre-quantized checkpoint). */
    public static boolean isQuantized(Path dir) throws IOException {
        return quantizationConfig(readConfig(dir.resolve(HfCheckpoint.CONFIG))) != null;
    }

    private static JsonNode readConfig(Path file) throws IOException {
        if (!Files.isRegularFile(file)) {
            throw InputException.at(file, "config.json not found: a Hugging Face model directory needs one");
        }
        try {
            return Json.MAPPER.readTree(file.toFile());
        } catch (IOException e) {
            throw InputException.at(file, "not valid JSON (" + e.getMessage() + ")");
        }
    }

    private static JsonNode quantizationConfig(JsonNode config) {
        JsonNode q = config.get("quantization_config");
        return q == null || q.isNull() ? null : q;
    }

    /** Checks quantization_config: bitsandbytes, 4-bit, nf4, uint8 storage. */
    static Declared declared(JsonNode q, Path file) {
        String method = q.path("quant_method").asText("");
        if (!method.equals("bitsandbytes")) {
            throw InputException.at(file, "quantization_config.quant_method \"" + method
                    + "\" is not read: only bitsandbytes 4-bit NF4 checkpoints are");
        }
        if (q.path("load_in_8bit").asBoolean(false) || q.path("_load_in_8bit").asBoolean(false)) {
            throw InputException.at(file, "quantization_config says load_in_8bit: an 8-bit (LLM.int8) bitsandbytes"
                    + " checkpoint is not read, only 4-bit with bnb_4bit_quant_type nf4");
        }
        if (!(q.path("load_in_4bit").asBoolean(false) || q.path("_load_in_4bit").asBoolean(false))) {
            throw InputException.at(file, "quantization_config has neither load_in_4bit nor load_in_8bit true");
        }
        String type = q.path("bnb_4bit_quant_type").asText("fp4");
        if (!type.equals("nf4")) {
            throw InputException.at(file, "quantization_config.bnb_4bit_quant_type is " + type
                    + ": only nf4 (4-bit NormalFloat) is read");
        }
        String storage = q.path("bnb_4bit_quant_storage").asText("uint8");
        if (!storage.equals("uint8")) {
            throw InputException.at(file, "quantization_config.bnb_4bit_quant_storage is " + storage
                    + ": only uint8 storage is read");
        }
        List<String> skip = new ArrayList<>();
        q.path("llm_int8_skip_modules").forEach(node -> skip.add(node.asText()));
        return new Declared(q.path("bnb_4bit_use_double_quant").asBoolean(false), skip);
    }

    /** transformers' rule: a module is left unquantized when a skip entry names it or a module above it. */
    static boolean skipped(String module, List<String> skipModules) {
        for (String key : skipModules) {
            if (module.equals(key) || module.contains(key + ".") || module.endsWith("." + key)) {
                return true;
            }
        }
        return false;
    }

    /** A directory's config, quantized or not: quantization_config checked, then set aside. */
    public static LlamaConfig config(Path dir) throws IOException {
        Path configFile = dir.resolve(HfCheckpoint.CONFIG);
        JsonNode json = readConfig(configFile);
        JsonNode q = quantizationConfig(json);
        if (q == null) {
            return LlamaConfig.read(configFile);
        }
        declared(q, configFile);
        return plainConfig(json, configFile);
    }

    private static LlamaConfig plainConfig(JsonNode json, Path configFile) {
        ObjectNode plainConfig = ((ObjectNode) json).deepCopy();
        plainConfig.remove("quantization_config");
        try {
            return LlamaConfig.fromJson(plainConfig);
        } catch (IllegalArgumentException e) {
            throw InputException.at(configFile, e.getMessage());
        }
    }

    /**
     * Reads a bitsandbytes 4-bit directory: plain tensors converted to {@code dtype} into
     * {@code manager}, projection weights as {@link Nf4Tensor}s. Every inconsistency is an
     * {@link InputException} naming the tensor and file.
     */
    public static Loaded read(Path dir, NDManager manager, DataType dtype) throws IOException {
        Path configFile = dir.resolve(HfCheckpoint.CONFIG);
        JsonNode json = readConfig(configFile);
        JsonNode q = quantizationConfig(json);
        if (q == null) {
            throw InputException.at(configFile, "no quantization_config: not a bitsandbytes-quantized checkpoint");
        }
        Declared declared = declared(q, configFile);
        LlamaConfig config = plainConfig(json, configFile);
        Map<String, SafetensorsFile> files = new TreeMap<>();
        List<SafetensorsFile> opened = new ArrayList<>();
        SortedMap<String, NDArray> plain = new TreeMap<>();
        SortedMap<String, Nf4Tensor> quantized = new TreeMap<>();
        try {
            for (Path path : HfCheckpoint.weightFiles(dir)) {
                SafetensorsFile file = SafetensorsFile.open(path);
                opened.add(file);
                for (String name : file.tensors().keySet()) {
                    files.putIfAbsent(name, file);
                }
            }
            SortedMap<String, long[]> expected = config.tensorShapes();
            for (Map.Entry<String, long[]> entry : expected.entrySet()) {
                String name = entry.getKey();
                SafetensorsFile file = files.get(name);
                if (file == null) {
                    throw InputException.at(dir, "missing tensor " + name + " (config.json implies it)");
                }
                String stateKey = stateKey(files, name);
                String module = name.substring(0, name.length() - ".weight".length());
                boolean projection = isProjection(name);
                if (stateKey != null && !stateKey.endsWith("nf4")) {
                    throw InputException.at(file.file(), "tensor " + name + " is quantized as "
                            + stateKey.substring(stateKey.lastIndexOf("__") + 2) + " (" + stateKey
                            + "): only nf4 is read");
                }
                if (!projection) {
                    if (stateKey != null) {
                        throw InputException.at(file.file(), "tensor " + name + " is quantized: embeddings, norms and"
                                + " lm_head are read unquantized only, as bitsandbytes leaves them");
                    }
                    plain.put(name, loadPlain(file, name, entry.getValue(), manager, dtype));
                    continue;
                }
                boolean skip = skipped(module, declared.skipModules());
                if (stateKey == null) {
                    if (!skip) {
                        throw InputException.at(file.file(), "projection " + name + " is not quantized but"
                                + " quantization_config.llm_int8_skip_modules does not list " + module
                                + ": the checkpoint mixes quantized and unquantized projections inconsistently"
                                + " with its config.json");
                    }
                    plain.put(name, loadPlain(file, name, entry.getValue(), manager, dtype));
                } else {
                    if (skip) {
                        throw InputException.at(file.file(), "projection " + name + " is quantized but"
                                + " quantization_config.llm_int8_skip_modules lists " + module + " as unquantized");
                    }
                    Nf4Tensor tensor = readNf4(files, name, stateKey, entry.getValue());
                    if ((tensor.nested() != null) != declared.doubleQuant()) {
                        throw InputException.at(file.file(), "tensor " + name + (tensor.nested() != null
                                ? " has nested (double-quantized) statistics" : " has no nested statistics")
                                + " but quantization_config.bnb_4bit_use_double_quant is " + declared.doubleQuant());
                    }
                    quantized.put(name, tensor);
                }
            }
        } catch (RuntimeException | IOException e) {
            plain.values().forEach(NDArray::close);
            throw e;
        } finally {
            for (SafetensorsFile file : opened) {
                file.close();
            }
        }
        return new Loaded(config, declared, plain, quantized);
    }

    static boolean isProjection(String name) {
        for (String projection : LlamaModel.PROJECTIONS) {
            if (name.startsWith("model.layers.") && name.endsWith("." + LlamaModel.modulePath(projection) + ".weight")) {
                return true;
            }
        }
        return false;
    }

    /** The quant_state key of a weight, any quant type, or null. */
    private static String stateKey(Map<String, SafetensorsFile> files, String name) {
        String prefix = name + STATE_PREFIX;
        for (String key : files.keySet()) {
            if (key.startsWith(prefix)) {
                return key;
            }
        }
        return null;
    }

    private static NDArray loadPlain(SafetensorsFile file, String name, long[] shape, NDManager manager, DataType dtype)
            throws IOException {
        SafetensorsFile.TensorInfo info = file.tensors().get(name);
        if (!Arrays.equals(info.shape(), shape)) {
            throw InputException.at(file.file(), "tensor " + name + " has shape " + Arrays.toString(info.shape())
                    + " but config.json implies " + Arrays.toString(shape));
        }
        return file.load(name, manager, dtype);
    }

    private static Nf4Tensor readNf4(Map<String, SafetensorsFile> files, String name, String stateKey, long[] shape)
            throws IOException {
        SafetensorsFile file = files.get(name);
        Path where = file.file();
        JsonNode state;
        try {
            state = Json.MAPPER.readTree(new String(tensorBytes(files, stateKey, name, DType.U8), StandardCharsets.UTF_8));
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw InputException.at(where, stateKey + " is not valid JSON (" + e.getOriginalMessage() + ")");
        }
        String quantType = state.path("quant_type").asText("");
        if (!quantType.equals("nf4")) {
            throw InputException.at(where, "tensor " + name + ": " + stateKey + " has quant_type \"" + quantType
                    + "\": only nf4 is read");
        }
        long[] stateShape = new long[state.path("shape").size()];
        for (int i = 0; i < stateShape.length; i++) {
            stateShape[i] = state.path("shape").get(i).asLong();
        }
        int blocksize = state.path("blocksize").asInt(0);
        if (blocksize <= 0) {
            throw InputException.at(where, "tensor " + name + ": " + stateKey + " has no positive blocksize");
        }
        long n = Arrays.stream(stateShape).reduce(1, Math::multiplyExact);
        if (n % 2 != 0) {
            throw InputException.at(where, "tensor " + name + ": " + stateKey + " gives shape " + Arrays.toString(stateShape)
                    + ", " + n + " elements, an odd count: NF4 packs two codes per byte");
        }
        if (!Arrays.equals(stateShape, shape)) {
            throw InputException.at(where, "tensor " + name + ": " + stateKey + " gives shape " + Arrays.toString(stateShape)
                    + " but config.json implies " + Arrays.toString(shape));
        }
        byte[] packed = tensorBytes(files, name, name, DType.U8);
        if (packed.length != n / 2) {
            throw InputException.at(where, "tensor " + name + " holds " + packed.length + " packed bytes but "
                    + stateKey + "'s shape " + Arrays.toString(shape) + " needs " + n / 2);
        }
        int blocks = Nf4.blocks(n, blocksize);
        float[] code = floats(files, name + ".quant_map", name, 16);
        if (!Arrays.equals(code, Nf4.CODEBOOK)) {
            throw InputException.at(where, "tensor " + name + ".quant_map is not the NF4 codebook");
        }
        String dtype = state.path("dtype").asText("float32");
        if (!state.has("nested_blocksize")) {
            float[] absmax = floats(files, name + ".absmax", name, -1);
            requireBlocks(where, name, absmax.length, blocks, blocksize, stateKey);
            return new Nf4Tensor(name, shape, dtype, blocksize, packed, code, absmax, null);
        }
        int nestedBlocksize = state.path("nested_blocksize").asInt(0);
        if (nestedBlocksize <= 0 || !state.path("nested_offset").isNumber()) {
            throw InputException.at(where, "tensor " + name + ": " + stateKey
                    + " needs a positive nested_blocksize and a numeric nested_offset");
        }
        byte[] quantizedAbsmax = tensorBytes(files, name + ".absmax", name, DType.U8);
        requireBlocks(where, name, quantizedAbsmax.length, blocks, blocksize, stateKey);
        float[] nestedAbsmax = floats(files, name + ".nested_absmax", name, -1);
        int nestedBlocks = Nf4.blocks(blocks, nestedBlocksize);
        if (nestedAbsmax.length != nestedBlocks) {
            throw InputException.at(where, "tensor " + name + ".nested_absmax has " + nestedAbsmax.length + " values but "
                    + blocks + " block maxima in blocks of nested_blocksize " + nestedBlocksize + " need " + nestedBlocks);
        }
        float[] nestedCode = floats(files, name + ".nested_quant_map", name, 256);
        return new Nf4Tensor(name, shape, dtype, blocksize, packed, code, null,
                new Nf4Tensor.Nested(quantizedAbsmax, nestedAbsmax, nestedCode, nestedBlocksize,
                        (float) state.get("nested_offset").asDouble()));
    }

    private static void requireBlocks(Path where, String name, int found, int blocks, int blocksize, String stateKey) {
        if (found != blocks) {
            throw InputException.at(where, "tensor " + name + ".absmax has " + found + " block maxima but " + stateKey
                    + "'s shape and blocksize " + blocksize + " make " + blocks + " blocks");
        }
    }

    private static byte[] tensorBytes(Map<String, SafetensorsFile> files, String key, String weight, DType dtype)
            throws IOException {
        SafetensorsFile file = files.get(key);
        if (file == null) {
            SafetensorsFile weightFile = files.get(weight);
            throw InputException.at(weightFile.file(), "missing tensor " + key + " (the quantized weight " + weight
                    + " needs it)");
        }
        SafetensorsFile.TensorInfo info = file.tensors().get(key);
        if (info.dtype() != dtype) {
            throw InputException.at(file.file(), "tensor " + key + " is " + info.dtype() + " where bitsandbytes writes "
                    + dtype + (key.equals(weight) ? " (quant_storage uint8)" : ""));
        }
        return file.bytes(key);
    }

    /** A float32 statistic; {@code count} -1 for any length. */
    private static float[] floats(Map<String, SafetensorsFile> files, String key, String weight, int count)
            throws IOException {
        byte[] bytes = tensorBytes(files, key, weight, DType.F32);
        float[] values = new float[bytes.length / 4];
        ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(values);
        if (count >= 0 && values.length != count) {
            throw InputException.at(files.get(key).file(), "tensor " + key + " has " + values.length + " values, not "
                    + count);
        }
        return values;
    }

    /**
     * Writes a bitsandbytes 4-bit directory (config.json with quantization_config, model.safetensors)
     * as transformers' save_pretrained does: the quantized weights in the layout above, plain
     * tensors in float32.
     */
    public static void write(Path dir, LlamaConfig config, SortedMap<String, NDArray> plain,
                             SortedMap<String, Nf4Tensor> quantized, boolean doubleQuant) throws IOException {
        Files.createDirectories(dir);
        Map<String, Object> json = config.toJson();
        json.put("quantization_config", quantizationConfig(doubleQuant, "float32"));
        Json.write(dir.resolve(HfCheckpoint.CONFIG), json);
        SortedMap<String, RawTensor> tensors = new TreeMap<>();
        for (Map.Entry<String, NDArray> entry : plain.entrySet()) {
            try (NDArray f32 = entry.getValue().toType(DataType.FLOAT32, true)) {
                tensors.put(entry.getKey(), new RawTensor(DType.F32, f32.getShape().getShape(), littleEndian(f32.toFloatArray())));
            }
        }
        quantized.forEach((name, tensor) -> entries(tensor).forEach(tensors::put));
        SafetensorsWriter.writeRaw(dir.resolve(HfCheckpoint.WEIGHTS), tensors, Map.of("format", "pt"));
    }

    /**
     * What quantizing a checkpoint did: per projection weight the quantize -> dequantize error, and
     * the bytes its NF4 form (codes and statistics) and its float32 form take.
     */
    public record Report(SortedMap<String, Nf4.Error> errors, long nf4Bytes, long float32Bytes) {}

    /**
     * Quantizes a plain Hugging Face checkpoint's projections to NF4 and writes the result in the
     * bitsandbytes layout (tokenizer files are not copied). A source that is already quantized fails.
     */
    public static Report quantizeCheckpoint(Path source, Path target, boolean doubleQuant) throws IOException {
        if (isQuantized(source)) {
            throw InputException.at(source.resolve(HfCheckpoint.CONFIG), "the model is already quantized"
                    + " (quantization_config): it cannot be quantized again");
        }
        LlamaConfig config = LlamaConfig.read(source.resolve(HfCheckpoint.CONFIG));
        SortedMap<String, Nf4.Error> errors = new TreeMap<>();
        long nf4Bytes = 0;
        long float32Bytes = 0;
        try (NDManager manager = dev.lyrics.model.Torch.manager(ai.djl.Device.cpu())) {
            SortedMap<String, NDArray> plain = HfCheckpoint.loadTensors(source, config, manager, DataType.FLOAT32);
            SortedMap<String, Nf4Tensor> quantized = new TreeMap<>();
            for (String name : List.copyOf(plain.keySet())) {
                if (!isProjection(name)) {
                    continue;
                }
                try (NDArray weight = plain.remove(name)) {
                    float[] values = weight.toFloatArray();
                    Nf4Tensor tensor = Nf4.quantize(name, values, weight.getShape().getShape(), "float32", doubleQuant);
                    quantized.put(name, tensor);
                    errors.put(name, Nf4.Error.of(values, tensor.dequantize()));
                    nf4Bytes += tensor.storageBytes();
                    float32Bytes += 4L * values.length;
                }
            }
            write(target, config, plain, quantized, doubleQuant);
        }
        return new Report(errors, nf4Bytes, float32Bytes);
    }

    /**
     * Prints the quantize -> dequantize error (max and RMS) of every projection of a checkpoint and
     * the packed size: {@code java ... dev.lyrics.quant.BnbCheckpoint <model dir> <output dir> [true|false]}.
     */
    public static void main(String[] args) throws IOException {
        Report report = quantizeCheckpoint(Path.of(args[0]), Path.of(args[1]), args.length < 3 || Boolean.parseBoolean(args[2]));
        double worst = 0;
        for (Map.Entry<String, Nf4.Error> entry : report.errors().entrySet()) {
            Nf4.Error error = entry.getValue();
            System.out.printf(Locale.ROOT, "%-40s max %.6f  rms %.6f  (%.1f%% of the weights' rms %.6f)%n", entry.getKey(),
                    error.max(), error.rms(), 100 * error.rms() / error.weightRms(), error.weightRms());
            worst = Math.max(worst, entry.getValue().max());
        }
        System.out.printf(Locale.ROOT, "worst max error %.6f; projections %,d bytes as float32, %,d as NF4 (%.2f bits per weight)%n",
                worst, report.float32Bytes(), report.nf4Bytes(), 32.0 * report.nf4Bytes() / report.float32Bytes());
    }

    /** transformers' BitsAndBytesConfig.to_dict() for an NF4 model. */
    static Map<String, Object> quantizationConfig(boolean doubleQuant, String computeDtype) {
        Map<String, Object> q = new TreeMap<>();
        q.put("_load_in_4bit", true);
        q.put("_load_in_8bit", false);
        q.put("bnb_4bit_compute_dtype", computeDtype);
        q.put("bnb_4bit_quant_storage", "uint8");
        q.put("bnb_4bit_quant_type", "nf4");
        q.put("bnb_4bit_use_double_quant", doubleQuant);
        q.put("llm_int8_enable_fp32_cpu_offload", false);
        q.put("llm_int8_has_fp16_weight", false);
        q.put("llm_int8_skip_modules", null);
        q.put("llm_int8_threshold", 6.0);
        q.put("load_in_4bit", true);
        q.put("load_in_8bit", false);
        q.put("quant_method", "bitsandbytes");
        return q;
    }

    /** One weight's state-dict entries, as QuantState.as_dict(packed=True) names them. */
    static SortedMap<String, RawTensor> entries(Nf4Tensor tensor) {
        String name = tensor.name();
        SortedMap<String, RawTensor> out = new TreeMap<>();
        out.put(name, new RawTensor(DType.U8, new long[] {tensor.packed().length, 1}, tensor.packed()));
        out.put(name + ".quant_map", floatTensor(tensor.code()));
        if (tensor.nested() == null) {
            out.put(name + ".absmax", floatTensor(tensor.absmax()));
        } else {
            Nf4Tensor.Nested nested = tensor.nested();
            out.put(name + ".absmax", new RawTensor(DType.U8, new long[] {nested.quantized().length}, nested.quantized()));
            out.put(name + ".nested_absmax", floatTensor(nested.absmax()));
            out.put(name + ".nested_quant_map", floatTensor(nested.code()));
        }
        byte[] state = stateJson(tensor).getBytes(StandardCharsets.UTF_8);
        out.put(name + STATE_PREFIX + "nf4", new RawTensor(DType.U8, new long[] {state.length}, state));
        return out;
    }

    /** json.dumps of the non-tensor items, in as_dict's order and Python's default separators. */
    static String stateJson(Nf4Tensor tensor) {
        Map<String, String> items = new LinkedHashMap<>();
        items.put("quant_type", "\"nf4\"");
        items.put("blocksize", Integer.toString(tensor.blocksize()));
        items.put("dtype", "\"" + tensor.dtype() + "\"");
        items.put("shape", Arrays.toString(tensor.shape()));
        if (tensor.nested() != null) {
            items.put("nested_blocksize", Integer.toString(tensor.nested().blocksize()));
            items.put("nested_dtype", "\"float32\"");
            items.put("nested_offset", Double.toString(tensor.nested().offset()).toLowerCase(Locale.ROOT));
        }
        StringBuilder json = new StringBuilder("{");
        items.forEach((key, value) -> json.append(json.length() > 1 ? ", " : "").append('"').append(key).append("\": ")
                .append(value));
        return json.append('}').toString();
    }

    private static RawTensor floatTensor(float[] values) {
        return new RawTensor(DType.F32, new long[] {values.length}, littleEndian(values));
    }

    private static byte[] littleEndian(float[] values) {
        ByteBuffer buffer = ByteBuffer.allocate(4 * values.length).order(ByteOrder.LITTLE_ENDIAN);
        buffer.asFloatBuffer().put(values);
        return buffer.array();
    }
}
