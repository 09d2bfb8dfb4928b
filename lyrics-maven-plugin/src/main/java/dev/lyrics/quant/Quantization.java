package dev.lyrics.quant;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import dev.lyrics.core.ConfigException;
import dev.lyrics.core.InputException;
import dev.lyrics.model.HfCheckpoint;
import dev.lyrics.model.LlamaConfig;
import dev.lyrics.model.LlamaModel;
import dev.lyrics.model.LlamaModel.Projection;
import dev.lyrics.model.MemoryPlan;
import dev.lyrics.model.Torch;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * How a base model's seven projections are held: as loaded ({@code none}), or NF4 ({@code nf4},
 * QLoRA's 4-bit base, with or without double quantization). Embeddings, norms and lm_head always
 * stay in the compute dtype. Shared by lyrics:finetune, lyrics:perplexity and lyrics:generate.
 *
 * @param doubleQuant quantize the block maxima too (lyrics.quantization.double); ignored for none
 */
public record Quantization(Type type, boolean doubleQuant) {
    public enum Type { NONE, NF4 }

    public static final Quantization NONE = new Quantization(Type.NONE, false);

    /** The lyrics.quantization and lyrics.quantization.double parameters. */
    public static Quantization of(String type, boolean doubleQuant) {
        String name = type == null ? "none" : type.strip().toLowerCase(Locale.ROOT);
        return switch (name) {
            case "none" -> NONE;
            case "nf4" -> new Quantization(Type.NF4, doubleQuant);
            default -> throw ConfigException.of("lyrics.quantization", type,
                    "must be none or nf4 (4-bit NormalFloat; fp4 and 8-bit are not supported)");
        };
    }

    public boolean quantized() {
        return type == Type.NF4;
    }

    /** The memory plan of a base held this way: as it is for none, the projections' NF4 bytes for nf4. */
    public MemoryPlan plan(MemoryPlan plan, LlamaConfig config, DataType dtype) {
        if (!quantized()) {
            return plan;
        }
        return plan.withProjectionsStored(config, dtype, elements -> Nf4Tensor.storageBytes(elements, doubleQuant),
                "NF4" + (doubleQuant ? " (double quantization)" : ""));
    }

    @Override
    public String toString() {
        return quantized() ? "nf4" + (doubleQuant ? " with double quantization" : "") : "none";
    }

    /**
     * Loads a Hugging Face directory with this quantization: a plain checkpoint as it is (none) or
     * quantized at load (nf4); a bitsandbytes NF4 checkpoint as stored, when this quantization is
     * nf4 with the same double quantization (it cannot be quantized again, nor read as plain).
     */
    public LlamaModel load(Path dir, Device device, DataType dtype) throws IOException {
        if (BnbCheckpoint.isQuantized(dir)) {
            return loadQuantized(dir, device, dtype);
        }
        if (!quantized()) {
            return LlamaModel.load(dir, device, dtype);
        }
        LlamaConfig config = LlamaConfig.read(dir.resolve(HfCheckpoint.CONFIG));
        NDManager manager = Torch.manager(device);
        try {
            SortedMap<String, NDArray> weights = HfCheckpoint.loadTensors(dir, config, manager, dtype);
            return quantize(config, manager, dtype, weights, doubleQuant);
        } catch (RuntimeException | IOException e) {
            manager.close();
            throw e;
        }
    }

    private LlamaModel loadQuantized(Path dir, Device device, DataType dtype) throws IOException {
        NDManager manager = Torch.manager(device);
        try {
            BnbCheckpoint.Loaded loaded = BnbCheckpoint.read(dir, manager, dtype);
            if (!quantized() || loaded.declared().doubleQuant() != doubleQuant) {
                throw new InputException(dir.resolve(HfCheckpoint.CONFIG) + ": the model is already quantized"
                        + " (bitsandbytes nf4, bnb_4bit_use_double_quant " + loaded.declared().doubleQuant()
                        + ") and cannot be quantized again nor read unquantized: run with -Dlyrics.quantization=nf4"
                        + " -Dlyrics.quantization.double=" + loaded.declared().doubleQuant() + " to read it as stored"
                        + " (lyrics.quantization is " + this + ")");
            }
            Map<String, Projection> projections = new TreeMap<>();
            loaded.quantized().forEach((name, tensor) ->
                    projections.put(module(name), new QuantizedLinear(tensor, manager)));
            return LlamaModel.withProjections(loaded.config(), manager, dtype, loaded.plain(), projections);
        } catch (RuntimeException | IOException e) {
            manager.close();
            throw e;
        }
    }

    /**
     * A model whose projections are NF4 quantizations of the given weights: each float weight is
     * quantized in Java, closed and dropped from the map, so only its packed form stays. A weight
     * map that holds no float projection (already quantized) fails.
     */
    public static LlamaModel quantize(LlamaConfig config, NDManager manager, DataType dtype,
                                      SortedMap<String, NDArray> weights, boolean doubleQuant) {
        Map<String, Projection> projections = new TreeMap<>();
        for (String name : config.tensorShapes().keySet()) {
            if (!BnbCheckpoint.isProjection(name)) {
                continue;
            }
            NDArray weight = weights.remove(name);
            if (weight == null || !weight.getDataType().isFloating()) {
                throw new IllegalArgumentException("tensor " + name + " is " + (weight == null ? "absent"
                        : weight.getDataType()) + ": only a float model can be quantized, not one already quantized");
            }
            Nf4Tensor tensor;
            try (weight; NDArray f32 = weight.toType(DataType.FLOAT32, true)) {
                tensor = Nf4.quantize(name, f32.toFloatArray(), weight.getShape().getShape(), dtypeName(dtype),
                        doubleQuant);
            }
            projections.put(module(name), new QuantizedLinear(tensor, manager));
        }
        return LlamaModel.withProjections(config, manager, dtype, weights, projections);
    }

    static String module(String weight) {
        return weight.substring(0, weight.length() - ".weight".length());
    }

    static String dtypeName(DataType dtype) {
        return dtype == DataType.FLOAT16 ? "float16" : "float32";
    }
}
