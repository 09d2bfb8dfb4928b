package dev.lyrics.lora;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.lyrics.core.InputException;
import dev.lyrics.model.LlamaModel;
import dev.lyrics.model.SafetensorsFile;
import dev.lyrics.model.SafetensorsWriter;
import dev.lyrics.model.Torch;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import java.util.SortedMap;
import java.util.SplittableRandom;
import java.util.TreeMap;

/**
 * A base model with LoRA adapters on its target projections. The base weights are frozen (no
 * gradient); the adapters' A and B matrices are the only trainable parameters, named with peft's
 * keys. Closing it puts the base's own projections back and frees the adapters.
 */
public final class LoraModel implements AutoCloseable {
    private final LlamaModel base;
    private final LoraConfig config;
    private final NDManager manager;
    /** by base weight name, "model.layers.0.self_attn.q_proj.weight" */
    private final SortedMap<String, LoraLinear> adapters = new TreeMap<>();
    /** the adapter file whose per-module ranks, scalings or targets config alone does not give; null when it does */
    private final Path irregular;

    private LoraModel(LlamaModel base, LoraConfig config, Path irregular) {
        this.base = base;
        this.config = config;
        this.irregular = irregular;
        this.manager = base.manager().newSubManager();
        for (NDArray weight : base.parameters().values()) {
            if (weight.hasGradient()) {
                weight.setRequiresGradient(false);
            }
        }
    }

    /**
     * New adapters as peft initialises them: A kaiming-uniform with a = sqrt(5), which is
     * U(-1/sqrt(in), 1/sqrt(in)), drawn from the seed in weight-name order; B zeros, so the
     * adapted model starts out computing exactly what the base computes.
     */
    public static LoraModel create(LlamaModel base, LoraConfig config, long seed) {
        LoraModel model = new LoraModel(base, config, null);
        SplittableRandom random = new SplittableRandom(seed);
        for (Map.Entry<String, long[]> entry : model.adaptedWeights().entrySet()) {
            long out = entry.getValue()[0];
            long in = entry.getValue()[1];
            float[] a = new float[Math.toIntExact(config.r() * in)];
            double bound = 1.0 / Math.sqrt(in);
            for (int i = 0; i < a.length; i++) {
                a[i] = (float) random.nextDouble(-bound, bound);
            }
            model.attach(entry.getKey(), Torch.owned(model.manager, a, new Shape(config.r(), in)),
                    model.manager.zeros(new Shape(out, config.r()), DataType.FLOAT32), config.scale());
        }
        return model;
    }

    /**
     * Base plus a saved peft adapter directory (adapter_config.json, adapter_model.safetensors), each
     * module with the rank and scaling peft gives it (rank_pattern, alpha_pattern: {@link PeftConfig}).
     */
    public static LoraModel load(LlamaModel base, Path adapterDir) throws IOException {
        PeftConfig peft = PeftAdapter.readConfig(adapterDir);
        SortedMap<String, PeftConfig.Module> modules = peft.modules(base.config().tensorShapes());
        LoraConfig config = peft.defaults(modules);
        LoraModel model = new LoraModel(base, config, regular(config, modules, base) ? null : peft.file());
        try (SafetensorsFile file = SafetensorsFile.open(adapterDir.resolve(PeftAdapter.WEIGHTS_FILE))) {
            for (String key : file.tensors().keySet()) {
                String weight = PeftAdapter.baseWeightOf(key);
                if (weight == null || !modules.containsKey(weight)) {
                    throw InputException.at(file.file(), "tensor " + key + " adapts no module that "
                            + peft.file().getFileName() + " targets in this base model");
                }
            }
            for (Map.Entry<String, PeftConfig.Module> entry : modules.entrySet()) {
                PeftConfig.Module module = entry.getValue();
                long out = module.shape()[0];
                long in = module.shape()[1];
                NDArray a = loadChecked(file, PeftAdapter.keyA(entry.getKey()), new long[] {module.r(), in}, model.manager);
                NDArray b = loadChecked(file, PeftAdapter.keyB(entry.getKey()), new long[] {out, module.r()}, model.manager);
                model.attach(entry.getKey(), a, b, module.scale());
            }
        } catch (RuntimeException | IOException e) {
            model.close();
            throw e;
        }
        return model;
    }

    private static NDArray loadChecked(SafetensorsFile file, String key, long[] shape, NDManager manager)
            throws IOException {
        SafetensorsFile.TensorInfo info = file.tensors().get(key);
        if (info == null) {
            throw InputException.at(file.file(), "missing adapter tensor " + key);
        }
        if (!Arrays.equals(info.shape(), shape)) {
            throw InputException.at(file.file(), "adapter tensor " + key + " has shape " + Arrays.toString(info.shape())
                    + " but its rank (r, rank_pattern) and the base model imply " + Arrays.toString(shape));
        }
        return file.load(key, manager, DataType.FLOAT32);
    }

    private SortedMap<String, long[]> adaptedWeights() {
        return config.adaptedWeights(base.config().tensorShapes());
    }

    /** Whether config alone (what adapter_config.json as this project writes it carries) gives these modules. */
    private static boolean regular(LoraConfig config, SortedMap<String, PeftConfig.Module> modules, LlamaModel base) {
        return config.adaptedWeights(base.config().tensorShapes()).keySet().equals(modules.keySet())
                && modules.values().stream().allMatch(m -> m.r() == config.r() && m.scale() == config.scale());
    }

    private void attach(String weight, NDArray a, NDArray b, double scale) {
        String module = weight.substring(0, weight.length() - ".weight".length());
        a.setRequiresGradient(true);
        b.setRequiresGradient(true);
        LoraLinear adapter = new LoraLinear(base.projection(module), a, b, scale, config.dropout());
        base.setProjection(module, adapter);
        adapters.put(weight, adapter);
    }

    public LlamaModel base() {
        return base;
    }

    /** The settings the modules share; a loaded adapter's modules may each have their own rank and scaling. */
    public LoraConfig config() {
        return config;
    }

    /** Dropout on (training) or off (evaluation). */
    public void setTraining(boolean training) {
        adapters.values().forEach(adapter -> adapter.setTraining(training));
    }

    /** Every A and B matrix by its peft key, sorted: the trainable parameters. */
    public SortedMap<String, NDArray> parameters() {
        SortedMap<String, NDArray> parameters = new TreeMap<>();
        adapters.forEach((weight, adapter) -> {
            parameters.put(PeftAdapter.keyA(weight), adapter.a);
            parameters.put(PeftAdapter.keyB(weight), adapter.b);
        });
        return parameters;
    }

    public long trainableParameterCount() {
        long n = 0;
        for (NDArray p : parameters().values()) {
            n += p.size();
        }
        return n;
    }

    /** Writes the adapter in peft's layout into dir. */
    public void save(Path dir, String baseModel) throws IOException {
        if (irregular != null) {
            throw new IllegalStateException("the adapter of " + irregular + " has per-module ranks, scalings or"
                    + " targets that adapter_config.json as this project writes it cannot carry; keep that directory"
                    + " instead of saving it again");
        }
        PeftAdapter.writeConfig(dir, config, baseModel);
        SafetensorsWriter.write(dir.resolve(PeftAdapter.WEIGHTS_FILE), parameters(), SafetensorsFile.DType.F32,
                Map.of("format", "pt"));
    }

    /** W + scale * B A for one adapted base weight, as peft's merge_and_unload computes it, in {@code scope}. */
    public NDArray mergedWeight(String weight, NDManager scope) {
        LoraLinear adapter = adapters.get(weight);
        if (adapter == null) {
            throw new IllegalArgumentException("no adapter on " + weight);
        }
        NDArray merged = base.parameters().get(weight).toType(DataType.FLOAT32, true);
        NDArray b = adapter.b.duplicate();
        merged.attach(scope);
        b.attach(scope);
        return merged.add(b.matMul(adapter.a).mul(adapter.scale));
    }

    /**
     * peft's merge_and_unload: adds scale * B A to each adapted base weight in place (in the base's
     * precision) and frees the adapters, leaving a plain model that computes what the adapted one
     * did, as fast as the base and with no trainable parameter. The base weights are changed for
     * good: reload them to get the base model back.
     */
    public void mergeAndUnload() {
        for (String weight : adapters.keySet()) {
            LoraLinear adapter = adapters.get(weight);
            try (NDManager scope = manager.newSubManager()) {
                NDArray delta = adapter.b.matMul(adapter.a);
                delta.attach(scope);
                delta = delta.mul(adapter.scale);
                NDArray w = base.parameters().get(weight);
                w.addi(delta.getDataType() == w.getDataType() ? delta : delta.toType(w.getDataType(), false));
            }
        }
        close();
    }

    @Override
    public void close() {
        adapters.forEach((weight, adapter) ->
                base.setProjection(weight.substring(0, weight.length() - ".weight".length()), adapter.base));
        adapters.clear();
        manager.close();
    }
}
