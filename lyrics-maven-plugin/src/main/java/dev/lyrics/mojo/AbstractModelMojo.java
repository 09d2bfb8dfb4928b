package dev.lyrics.mojo;

import ai.djl.Device;
import ai.djl.ndarray.types.DataType;
import dev.lyrics.cache.StageSpec;
import dev.lyrics.core.ConfigException;
import dev.lyrics.dataset.PromptTemplate;
import dev.lyrics.model.Torch;
import dev.lyrics.quant.Quantization;
import dev.lyrics.stage.Execution;
import org.apache.maven.plugins.annotations.Parameter;

/**
 * A goal that runs a model: where (device), in what precision (dtype) and on how many threads. These
 * go into the stage's environment, so a result computed on a GPU is not reused for a CPU build.
 */
public abstract class AbstractModelMojo extends AbstractStageMojo {
    /** Where models run: auto (a CUDA GPU when libtorch sees one, else the CPU), cpu or gpu. */
    @Parameter(property = "lyrics.device", defaultValue = "auto")
    String device;

    /** Precision of model weights and activations: float32, or float16 (for GPUs). */
    @Parameter(property = "lyrics.dtype", defaultValue = "float32")
    String dtype;

    /** How the base model's projections are held: none, or nf4 (QLoRA's 4-bit NormalFloat base). */
    @Parameter(property = "lyrics.quantization", defaultValue = "none")
    String quantization;

    /** With nf4: quantize the block maxima too (double quantization, as the study's base). */
    @Parameter(property = "lyrics.quantization.double", defaultValue = "true")
    boolean quantizationDouble = true;

    /** libtorch intra-op threads; 0 uses one per core. */
    @Parameter(property = "lyrics.threads", defaultValue = "0")
    int threads;

    /** Starts the engine with the thread count and resolves the device. */
    protected Device device() {
        Torch.engine(threads);
        return Torch.device(device, "lyrics.device");
    }

    /** Where and how the goal's models run, resolved and checked: the part of the key that names the machine. */
    protected Execution execution() {
        return Execution.resolve(device, dtype, threads, quantization());
    }

    protected DataType dtype() {
        return Torch.dtype(dtype, "lyrics.dtype");
    }

    /** lyrics.quantization and lyrics.quantization.double, checked. */
    protected Quantization quantization() {
        return Quantization.of(quantization, quantizationDouble);
    }

    /** Records engine, device, dtype, threads and (when not none) the quantization in the stage's key. */
    protected StageSpec.Builder environment(StageSpec.Builder spec, Device resolvedDevice) {
        Torch.environment(resolvedDevice, dtype(), threads).forEach(spec::environment);
        quantization().environment().forEach(spec::environment);
        return spec;
    }

    /** The Alpaca template the transformers read; shared by fine-tuning, evaluation and sampling. */
    protected static PromptTemplate promptTemplate(String template) {
        try {
            return new PromptTemplate(template);
        } catch (IllegalArgumentException e) {
            throw ConfigException.of("lyrics.promptTemplate", "\"" + template + "\"", e.getMessage());
        }
    }
}
