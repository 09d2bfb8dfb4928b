package dev.lyrics.model;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.jni.JniUtils;
import dev.lyrics.core.ConfigException;
import dev.lyrics.core.Djl;

/**
 * The one door to DJL's PyTorch engine: offline, with a fixed thread count, and the translation
 * of the lyrics.device / lyrics.dtype parameters into DJL's device and data type.
 */
public final class Torch {
    public static final String ENGINE = "PyTorch";

    private Torch() {}

    /**
     * The PyTorch engine, loaded from the native jar on the class path. Offline unless the user
     * said otherwise (-Dai.djl.offline=false lets the gpu profile fetch CUDA libtorch once).
     *
     * @param threads intra-op threads, 0 for libtorch's default (one per core)
     */
    public static synchronized Engine engine(int threads) {
        Djl.offlineByDefault();
        // before libtorch loads: it reads these settings once, when it starts
        NativeTuning.apply();
        if (threads > 0) {
            System.setProperty("ai.djl.pytorch.num_threads", Integer.toString(threads));
        }
        // one inter-op thread: the model's ops run one after another, parallel work is intra-op
        System.setProperty("ai.djl.pytorch.num_interop_threads", "1");
        Engine engine = Engine.getEngine(ENGINE);
        if (threads > 0) {
            // the properties only count when the engine starts; a later caller still gets its count
            JniUtils.setNumThreads(threads);
        }
        return engine;
    }

    public static Engine engine() {
        return engine(0);
    }

    /**
     * {@code array.get(index)} (a view where the index is basic slicing) in {@code owner}: DJL puts the
     * result in the array's manager, where a per-step or per-block view would stay until that closes.
     */
    public static NDArray view(NDArray array, NDIndex index, NDManager owner) {
        NDArray view = array.get(index);
        view.attach(owner);
        return view;
    }

    /** A base manager on {@code device}, the engine started through {@link #engine(int)} (offline, tuned). */
    public static NDManager manager(Device device) {
        return engine().newBaseManager(device);
    }

    /**
     * An array in libtorch's own memory, 64-byte aligned. DJL's create(float[]) leaves the values in
     * a Java direct buffer, wherever malloc put it; a weight trained or scored there gives results
     * that depend on that address (vectorised kernels handle the unaligned head and tail apart, in
     * another summation order), so two runs of the same build can differ in the last bits. It also
     * counts against the JVM's direct-memory limit (84M adapter parameters for Mistral).
     */
    public static NDArray owned(NDManager manager, float[] values, Shape shape) {
        try (NDArray wrapped = manager.create(values, shape)) {
            return wrapped.duplicate();
        }
    }

    /**
     * auto (a GPU when there is one), cpu or gpu; the property names the parameter for errors. gpu is
     * taken as asked even where no CUDA device is visible, so that a machine without one computes the
     * same stage keys as the GPU machine and can restore what it trained from a shared cache; the
     * first stage that must run there fails through {@link #requireVisible}.
     */
    public static Device device(String name, String property) {
        Engine engine = engine();
        return switch (name) {
            case "auto" -> engine.getGpuCount() > 0 ? Device.gpu() : Device.cpu();
            case "cpu" -> Device.cpu();
            case "gpu" -> Device.gpu();
            default -> throw ConfigException.of(property, name, "must be auto, cpu or gpu");
        };
    }

    /** Fails, naming the property, when a stage must run on a GPU that libtorch does not see. */
    public static void requireVisible(Device device, String property) {
        ConfigException.require(!device.isGpu() || engine().getGpuCount() > 0, property, "gpu",
                "no CUDA device is visible to libtorch, and this stage is not in the cache (run it with -Pgpu on a GPU"
                        + " machine, restore it from a shared cache, or use auto/cpu)");
    }

    /** float32 or float16 (half precision is for GPUs: libtorch's CPU kernels are slow or missing in it). */
    public static DataType dtype(String name, String property) {
        return switch (name) {
            case "float32" -> DataType.FLOAT32;
            case "float16" -> DataType.FLOAT16;
            default -> throw ConfigException.of(property, name, "must be float32 or float16");
        };
    }

    /**
     * x converted to {@code type} inside an autograd graph. DJL's toType detaches its result (the
     * gradient stops there), so the conversion is torch.cumprod's own dtype argument over a new axis
     * of length 1: an exact copy in the new type whose backward converts the gradient back.
     */
    public static NDArray cast(NDArray x, DataType type) {
        if (x.getDataType() == type) {
            return x;
        }
        return x.expandDims(-1).cumProd(-1, type).squeeze(-1);
    }

    /**
     * A scalar for arithmetic inside an autograd graph, in libtorch's own memory, with the manager
     * and type of {@code like}. DJL's x.mul(Number) wraps the number in a Java direct buffer that it
     * releases as soon as the call returns, while autograd keeps the scalar for the backward pass:
     * a garbage collection in between turns the gradients into garbage (NaN or huge values).
     */
    public static NDArray scalar(NDArray like, double value) {
        return like.getManager().full(new Shape(), (float) value, like.getDataType());
    }
}
