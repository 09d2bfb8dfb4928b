package dev.lyrics.stage;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.types.DataType;
import dev.lyrics.model.Torch;
import dev.lyrics.quant.Quantization;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Where and how a model stage runs, as its cache key records it: the engine and its version, the
 * device, the compute dtype, libtorch's intra-op threads (the sums' order depends on them) and how
 * the base's projections are held.
 *
 * @param engine       "PyTorch 2.7.1"
 * @param device       DJL's name of the device, "cpu()" or "gpu(0)"
 * @param dtype        "float32" or "float16"
 * @param threads      intra-op threads; 0 for one per core
 * @param quantization how the base model's projections are held
 */
public record Execution(String engine, String device, String dtype, int threads, Quantization quantization) {
    /**
     * Starts the engine with the thread count and resolves the lyrics.device, lyrics.dtype and
     * lyrics.quantization parameters, each named in its error.
     */
    public static Execution resolve(String device, String dtype, int threads, Quantization quantization) {
        Engine engine = Torch.engine(threads);
        Device resolved = Torch.device(device, "lyrics.device");
        DataType type = Torch.dtype(dtype, "lyrics.dtype");
        return of(engine, resolved, type, threads, quantization);
    }

    /** The engine's default device in float32, unquantized: the recurrent models. */
    public static Execution defaultDevice(int threads) {
        Engine engine = Torch.engine(threads);
        return of(engine, engine.defaultDevice(), DataType.FLOAT32, threads, Quantization.NONE);
    }

    /**
     * Sets libtorch's intra-op threads to this execution's count (0 keeps the engine's) as a stage
     * starts to compute: the count is process-wide, and settings resolved for a later stage (the
     * finetune goal resolves the recurrent models' before the LoRA fine-tune runs) must not leave theirs.
     */
    public void startEngine() {
        Torch.engine(threads);
    }

    private static Execution of(Engine engine, Device device, DataType dtype, int threads, Quantization quantization) {
        return new Execution(engine.getEngineName() + " " + engine.getVersion(), device.toString(), dtype.toString(), threads,
                quantization);
    }

    private static final Pattern GPU = Pattern.compile("gpu\\((\\d+)\\)");

    /** The device as DJL names it: cpu() or gpu(N). */
    public Device toDevice() {
        Matcher gpu = GPU.matcher(device);
        return gpu.matches() ? Device.gpu(Integer.parseInt(gpu.group(1))) : Device.cpu();
    }

    public DataType toDtype() {
        return Torch.dtype(dtype, "lyrics.dtype");
    }
}
