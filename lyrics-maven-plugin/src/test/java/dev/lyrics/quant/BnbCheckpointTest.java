package dev.lyrics.quant;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.lyrics.core.InputException;
import dev.lyrics.core.Json;
import dev.lyrics.model.HfCheckpoint;
import dev.lyrics.model.LlamaModel;
import dev.lyrics.model.SafetensorsFile;
import dev.lyrics.model.SafetensorsFile.DType;
import dev.lyrics.model.SafetensorsWriter;
import dev.lyrics.model.SafetensorsWriter.RawTensor;
import dev.lyrics.model.Torch;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.function.Consumer;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The bitsandbytes 4-bit layout: what the writer writes, and the reader on every malformed case. */
class BnbCheckpointTest {
    static final String Q = "model.layers.0.self_attn.q_proj.weight";
    static final String STATE = Q + ".quant_state.bitsandbytes__nf4";
    static final Quantization NF4 = new Quantization(Quantization.Type.NF4, true);

    @TempDir
    Path tmp;
    Path bnb;

    @BeforeEach
    void writeCheckpoint() throws Exception {
        Path source = QuantizedModelTest.floatCheckpoint(tmp.resolve("float"));
        bnb = tmp.resolve("bnb");
        BnbCheckpoint.Report report = BnbCheckpoint.quantizeCheckpoint(source, bnb, true);
        assertEquals(2 * 7, report.errors().size());
    }

    @Test
    void writesTheLayoutTransformersSaves() throws Exception {
        try (SafetensorsFile file = SafetensorsFile.open(bnb.resolve(HfCheckpoint.WEIGHTS))) {
            assertEquals(DType.U8, file.tensors().get(Q).dtype());
            assertArrayEquals(new long[] {32, 1}, file.tensors().get(Q).shape(), "8 x 8 weights: 32 bytes, (n/2, 1)");
            assertEquals(DType.U8, file.tensors().get(Q + ".absmax").dtype());
            assertArrayEquals(new long[] {16}, file.tensors().get(Q + ".quant_map").shape());
            assertArrayEquals(new long[] {1}, file.tensors().get(Q + ".nested_absmax").shape());
            assertArrayEquals(new long[] {256}, file.tensors().get(Q + ".nested_quant_map").shape());
            String state = new String(file.bytes(STATE), StandardCharsets.UTF_8);
            assertTrue(state.matches("\\{\"quant_type\": \"nf4\", \"blocksize\": 64, \"dtype\": \"float32\", \"shape\": \\[8, 8\\],"
                    + " \"nested_blocksize\": 256, \"nested_dtype\": \"float32\", \"nested_offset\": [0-9.e-]+}"), state);
            assertEquals(DType.F32, file.tensors().get("model.embed_tokens.weight").dtype());
            assertTrue(!file.tensors().containsKey("model.embed_tokens.weight.absmax"), "embeddings stay unquantized");
        }
        ObjectNode config = (ObjectNode) Json.MAPPER.readTree(bnb.resolve(HfCheckpoint.CONFIG).toFile());
        assertEquals("bitsandbytes", config.path("quantization_config").path("quant_method").asText());
        assertEquals("nf4", config.path("quantization_config").path("bnb_4bit_quant_type").asText());
        assertTrue(config.path("quantization_config").path("bnb_4bit_use_double_quant").asBoolean());
        try (NDManager manager = NDManager.newBaseManager(Device.cpu(), Torch.ENGINE)) {
            BnbCheckpoint.Loaded loaded = BnbCheckpoint.read(bnb, manager, DataType.FLOAT32);
            assertEquals(14, loaded.quantized().size());
            assertEquals(2 * 2 + 3, loaded.plain().size(), "norms, embeddings, final norm and lm_head");
        }
    }

    @Test
    void oddElementCount() throws Exception {
        editState(json -> json.replace("\"shape\": [8, 8]", "\"shape\": [3, 5]"));
        failsNaming(HfCheckpoint.WEIGHTS, Q, "odd count");
    }

    @Test
    void quantStateBlocksizeDisagreesWithTheTensor() throws Exception {
        editState(json -> json.replace("\"blocksize\": 64", "\"blocksize\": 32"));
        failsNaming(HfCheckpoint.WEIGHTS, Q, "blocksize 32 make 2 blocks");
    }

    @Test
    void quantStateShapeDisagreesWithConfig() throws Exception {
        editState(json -> json.replace("\"shape\": [8, 8]", "\"shape\": [4, 16]"));
        failsNaming(HfCheckpoint.WEIGHTS, Q, "gives shape [4, 16] but config.json implies [8, 8]");
    }

    @Test
    void packedBytesDisagreeWithTheShape() throws Exception {
        editTensors(t -> t.put(Q, new RawTensor(DType.U8, new long[] {16, 1}, new byte[16])));
        failsNaming(HfCheckpoint.WEIGHTS, Q, "holds 16 packed bytes");
    }

    @Test
    void nestedStatisticsDisagreeWithTheBlocks() throws Exception {
        editTensors(t -> t.put(Q + ".nested_absmax", new RawTensor(DType.F32, new long[] {2}, new byte[8])));
        failsNaming(HfCheckpoint.WEIGHTS, Q + ".nested_absmax", "need 1");
    }

    @Test
    void quantMapThatIsNotNf4() throws Exception {
        editTensors(t -> t.put(Q + ".quant_map", new RawTensor(DType.F32, new long[] {16}, new byte[64])));
        failsNaming(HfCheckpoint.WEIGHTS, Q + ".quant_map", "not the NF4 codebook");
    }

    @Test
    void fp4QuantStateFailsNamingTheType() throws Exception {
        editTensors(t -> t.put(Q + ".quant_state.bitsandbytes__fp4", t.remove(STATE)));
        failsNaming(HfCheckpoint.WEIGHTS, Q, "quantized as fp4");
    }

    @Test
    void unknownQuantTypeInTheState() throws Exception {
        editState(json -> json.replace("\"quant_type\": \"nf4\"", "\"quant_type\": \"int4\""));
        failsNaming(HfCheckpoint.WEIGHTS, Q, "quant_type \"int4\"");
    }

    @Test
    void fp4And8BitConfigsFailNamingTheType() throws Exception {
        editConfig(q -> q.put("bnb_4bit_quant_type", "fp4"));
        failsNaming(HfCheckpoint.CONFIG, "bnb_4bit_quant_type", "is fp4");
        editConfig(q -> q.put("bnb_4bit_quant_type", "nf4").put("load_in_8bit", true).put("load_in_4bit", false));
        failsNaming(HfCheckpoint.CONFIG, "load_in_8bit", "8-bit");
    }

    @Test
    void anUnquantizedProjectionTheConfigDoesNotSkip() throws Exception {
        String v = "model.layers.1.self_attn.v_proj.weight";
        editTensors(t -> {
            t.keySet().removeIf(k -> k.startsWith(v + "."));
            t.put(v, new RawTensor(DType.F32, new long[] {4, 8}, new byte[4 * 32]));
        });
        failsNaming(HfCheckpoint.WEIGHTS, v, "mixes quantized and unquantized projections");
        // listed in llm_int8_skip_modules, the same file reads, v_proj in float
        editConfig(q -> q.putArray("llm_int8_skip_modules").add("lm_head").add("model.layers.1.self_attn.v_proj"));
        try (LlamaModel model = NF4.load(bnb, Device.cpu(), DataType.FLOAT32)) {
            assertTrue(model.projection("model.layers.1.self_attn.v_proj") instanceof LlamaModel.Linear);
            assertTrue(model.projection("model.layers.1.self_attn.q_proj") instanceof QuantizedLinear);
        }
    }

    @Test
    void aQuantizedProjectionTheConfigSkips() throws Exception {
        editConfig(q -> q.putArray("llm_int8_skip_modules").add("down_proj"));
        failsNaming(HfCheckpoint.WEIGHTS, "model.layers.0.mlp.down_proj.weight", "lists model.layers.0.mlp.down_proj");
    }

    @Test
    void doubleQuantizationDisagreeingWithConfig() throws Exception {
        editConfig(q -> q.put("bnb_4bit_use_double_quant", false));
        failsNaming(HfCheckpoint.WEIGHTS, "model.layers.0.mlp.down_proj.weight", "bnb_4bit_use_double_quant is false");
    }

    @Test
    void anAlreadyQuantizedModelIsNotQuantizedAgain() throws Exception {
        for (Quantization other : new Quantization[] {Quantization.NONE, new Quantization(Quantization.Type.NF4, false)}) {
            InputException e = assertThrows(InputException.class, () -> other.load(bnb, Device.cpu(), DataType.FLOAT32));
            assertTrue(e.getMessage().contains("already quantized") && e.getMessage().contains("-Dlyrics.quantization=nf4")
                    && e.getMessage().contains(HfCheckpoint.CONFIG), e.getMessage());
        }
        InputException e = assertThrows(InputException.class,
                () -> BnbCheckpoint.quantizeCheckpoint(bnb, tmp.resolve("again"), true));
        assertTrue(e.getMessage().contains("already quantized"), e.getMessage());
        try (NDManager manager = NDManager.newBaseManager(Device.cpu(), Torch.ENGINE)) {
            SortedMap<String, NDArray> weights = new TreeMap<>();
            QuantizedModelTest.TINY.tensorShapes().forEach((name, shape) ->
                    weights.put(name, manager.zeros(new Shape(shape), BnbCheckpoint.isProjection(name) ? DataType.UINT8 : DataType.FLOAT32)));
            IllegalArgumentException again = assertThrows(IllegalArgumentException.class,
                    () -> Quantization.quantize(QuantizedModelTest.TINY, manager, DataType.FLOAT32, weights, true));
            assertTrue(again.getMessage().contains("already quantized") && again.getMessage().contains("layers.0"),
                    again.getMessage());
        }
        // read as stored, it is the model the writer quantized
        try (LlamaModel model = NF4.load(bnb, Device.cpu(), DataType.FLOAT32)) {
            assertEquals(QuantizedModelTest.TINY.numHiddenLayers(), model.config().numHiddenLayers());
        }
    }

    private void failsNaming(String file, String tensor, String problem) {
        InputException e = assertThrows(InputException.class, () -> NF4.load(bnb, Device.cpu(), DataType.FLOAT32).close());
        String message = e.getMessage();
        assertTrue(message.contains(bnb.resolve(file).toString()), "names the file: " + message);
        assertTrue(message.contains(tensor), "names " + tensor + ": " + message);
        assertTrue(message.contains(problem), "says " + problem + ": " + message);
    }

    private void editState(java.util.function.UnaryOperator<String> edit) throws Exception {
        editTensors(t -> {
            String json = edit.apply(new String(t.get(STATE).data(), StandardCharsets.UTF_8));
            byte[] bytes = json.getBytes(StandardCharsets.UTF_8);
            t.put(STATE, new RawTensor(DType.U8, new long[] {bytes.length}, bytes));
        });
    }

    private void editTensors(Consumer<SortedMap<String, RawTensor>> edit) throws Exception {
        Path weights = bnb.resolve(HfCheckpoint.WEIGHTS);
        SortedMap<String, RawTensor> tensors = new TreeMap<>();
        try (SafetensorsFile file = SafetensorsFile.open(weights)) {
            for (Map.Entry<String, SafetensorsFile.TensorInfo> entry : file.tensors().entrySet()) {
                tensors.put(entry.getKey(), new RawTensor(entry.getValue().dtype(), entry.getValue().shape(),
                        file.bytes(entry.getKey())));
            }
        }
        edit.accept(tensors);
        SafetensorsWriter.writeRaw(weights, tensors, Map.of("format", "pt"));
    }

    private void editConfig(Consumer<ObjectNode> edit) throws Exception {
        Path file = bnb.resolve(HfCheckpoint.CONFIG);
        ObjectNode config = (ObjectNode) Json.MAPPER.readTree(file.toFile());
        edit.accept((ObjectNode) config.get("quantization_config"));
        Json.write(file, config);
    }
}
