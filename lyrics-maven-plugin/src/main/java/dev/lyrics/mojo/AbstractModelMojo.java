package dev.lyrics.mojo;

import dev.lyrics.model.NativeTuning;
import dev.lyrics.quant.Quantization;
import dev.lyrics.stage.Execution;
import org.apache.maven.plugins.annotations.Parameter;

/**
 * A goal that runs a model: where (device), in what precision (dtype), on how many threads and with
 * what base quantization, resolved into the stage's {@link Execution}, a settings component like any
 * other: a result computed on a GPU is not reused for a CPU build.
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

    private static boolean tuningReported;

    /** Where and how the goal's models run, resolved and checked: the part of the key that names the machine. */
    protected Execution execution() {
        Execution execution = Execution.resolve(device, dtype, threads, quantization());
        synchronized (AbstractModelMojo.class) {
            if (!tuningReported) {
                // once per build: libtorch is started once per JVM, and the tuning with it
                tuningReported = true;
                getLog().info("lyrics: " + NativeTuning.apply());
            }
        }
        return execution;
    }

    /** lyrics.quantization and lyrics.quantization.double, checked. */
    protected Quantization quantization() {
        return Quantization.of(quantization, quantizationDouble);
    }
}
