package dev.lyrics.quant;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import dev.lyrics.lora.LoraConfig;
import dev.lyrics.lora.LoraModel;
import dev.lyrics.model.HfCheckpoint;
import dev.lyrics.model.LlamaConfig;
import dev.lyrics.model.LlamaModel;
import dev.lyrics.model.SafetensorsFile;
import dev.lyrics.model.Torch;
import java.nio.file.Path;
import java.util.List;
import java.util.SortedMap;
import java.util.SplittableRandom;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class QuantizedModelTest {
    /** hidden 8, ffn 12: k/v (4 x 8 = 32 values) are one block shorter than 64, gate/up/down (96) a full and a short one. */
    static final LlamaConfig TINY = LlamaConfig.of(32, 8, 12, 2, 4, 2, 64, false);
    static final List<String> ALL = LlamaModel.PROJECTIONS;

    @TempDir
    Path dir;

    static Path floatCheckpoint(Path dir) throws Exception {
        try (LlamaModel model = LlamaModel.initialize(TINY, 1, Device.cpu(), DataType.FLOAT32)) {
            HfCheckpoint.save(dir, TINY, model.parameters(), SafetensorsFile.DType.F32);
        }
        return dir;
    }

    @Test
    void parameterValuesAndTheStageKey() {
        assertEquals(Quantization.NONE, Quantization.of("none", true));
        assertEquals(new Quantization(Quantization.Type.NF4, true), Quantization.of("NF4", true));
        assertEquals(new Quantization(Quantization.Type.NF4, false), Quantization.of("nf4", false));
        for (String bad : new String[] {"fp4", "int8", ""}) {
            dev.lyrics.core.ConfigException e = assertThrows(dev.lyrics.core.ConfigException.class,
                    () -> Quantization.of(bad, true));
            assertTrue(e.getMessage().contains("lyrics.quantization"), e.getMessage());
        }
    }

    @Test
    void deviceDequantizationEqualsTheJavaOne() {
        SplittableRandom random = new SplittableRandom(5);
        // 300 x 64: nested blocks of 256 and 44; 3 x 50: blocks of 64, 64 and 22
        for (long[] shape : new long[][] {{300, 64}, {3, 50}}) {
            float[] values = new float[(int) (shape[0] * shape[1])];
            for (int i = 0; i < values.length; i++) {
                values[i] = (float) random.nextGaussian();
            }
            for (boolean doubleQuant : new boolean[] {false, true}) {
                Nf4Tensor tensor = Nf4.quantize("w", values, shape, "float32", doubleQuant);
                try (NDManager manager = NDManager.newBaseManager(Device.cpu(), Torch.ENGINE)) {
                    QuantizedLinear linear = new QuantizedLinear(tensor, manager);
                    NDArray weight = linear.dequantize(manager, DataType.FLOAT32);
                    assertArrayEquals(new long[] {shape[0], shape[1]}, weight.getShape().getShape());
                    assertArrayEquals(tensor.dequantize(), weight.toFloatArray(), 0f);
                    NDArray x = manager.randomNormal(new Shape(2, shape[1]));
                    NDArray expected = x.matMul(weight.transpose());
                    assertArrayEquals(expected.toFloatArray(), linear.forward(x).toFloatArray(), 1e-5f);
                }
            }
        }
    }

    /** The dequantized weights of an NF4 model, as a float model of the same config. */
    private static LlamaModel dequantizedCopy(LlamaModel quantized) {
        NDManager manager = NDManager.newBaseManager(Device.cpu(), Torch.ENGINE);
        SortedMap<String, NDArray> weights = new TreeMap<>();
        quantized.parameters().forEach((name, w) -> weights.put(name, w.duplicate()));
        for (String module : quantized.projectionNames()) {
            QuantizedLinear linear = (QuantizedLinear) quantized.projection(module);
            weights.put(module + ".weight", linear.dequantize(manager, DataType.FLOAT32));
        }
        weights.values().forEach(w -> w.attach(manager));
        return LlamaModel.withProjections(quantized.config(), manager, DataType.FLOAT32, weights, java.util.Map.of());
    }

    @Test
    void loraGradientsThroughADequantizedLayerEqualThoseThroughTheSameFloatWeights() throws Exception {
        floatCheckpoint(dir);
        try (LlamaModel nf4 = new Quantization(Quantization.Type.NF4, true).load(dir, Device.cpu(), DataType.FLOAT32);
             LlamaModel plain = dequantizedCopy(nf4)) {
            assertTrue(nf4.projection("model.layers.1.mlp.down_proj") instanceof QuantizedLinear);
            assertTrue(!nf4.parameters().containsKey("model.layers.1.mlp.down_proj.weight"), "no float copy kept");
            float[][] a = gradients(nf4);
            float[][] b = gradients(plain);
            assertEquals(2 * 7 * 2, a.length);
            boolean someNonZero = false;
            for (int i = 0; i < a.length; i++) {
                assertArrayEquals(b[i], a[i], 1e-6f, "parameter " + i);
                for (float v : a[i]) {
                    someNonZero |= v != 0f;
                }
            }
            assertTrue(someNonZero);
        }
    }

    /** Gradients of every LoRA A and B (B set to 0.01 so A's are not zero), in peft key order. */
    private static float[][] gradients(LlamaModel base) throws Exception {
        try (LoraModel lora = LoraModel.create(base, new LoraConfig(4, 8, 0, ALL, false), 3407);
             NDManager scope = base.manager().newSubManager()) {
            lora.parameters().values().forEach(p -> p.addi(0.01f));
            GradientCollector collector = Engine.getEngine(Torch.ENGINE).newGradientCollector();
            NDArray ids = scope.create(new long[] {1, 5, 9, 30, 2, 7}, new Shape(2, 3));
            NDArray loss = LlamaModel.targetLogProbs(base.forward(ids), ids).sum().neg();
            collector.backward(loss);
            collector.close();
            return lora.parameters().values().stream().map(p -> {
                try (NDArray grad = p.getGradient()) {
                    return grad.toFloatArray();
                }
            }).toArray(float[][]::new);
        }
    }

    @Test
    void aWrittenBitsandbytesCheckpointReadsBackToTheSameModel() throws Exception {
        Path source = floatCheckpoint(dir.resolve("float"));
        for (boolean doubleQuant : new boolean[] {false, true}) {
            Quantization nf4 = new Quantization(Quantization.Type.NF4, doubleQuant);
            Path target = dir.resolve("bnb-" + doubleQuant);
            BnbCheckpoint.quantizeCheckpoint(source, target, doubleQuant);
            assertTrue(BnbCheckpoint.isQuantized(target));
            try (LlamaModel atLoad = nf4.load(source, Device.cpu(), DataType.FLOAT32);
                 LlamaModel stored = nf4.load(target, Device.cpu(), DataType.FLOAT32);
                 NDManager scope = NDManager.newBaseManager(Device.cpu(), Torch.ENGINE)) {
                NDArray ids = scope.create(new long[] {1, 5, 9, 30, 2, 7}, new Shape(2, 3));
                assertArrayEquals(atLoad.forward(ids).toFloatArray(), stored.forward(ids).toFloatArray(), 0f);
                try (LlamaModel original = LlamaModel.load(source, Device.cpu(), DataType.FLOAT32)) {
                    float[] exact = original.forward(ids).toFloatArray();
                    float[] approximate = stored.forward(ids).toFloatArray();
                    double difference = 0;
                    for (int i = 0; i < exact.length; i++) {
                        difference = Math.max(difference, Math.abs(exact[i] - approximate[i]));
                    }
                    assertTrue(difference > 0 && difference < 0.5, "NF4 moves the logits a little: " + difference);
                }
            }
        }
    }
}
