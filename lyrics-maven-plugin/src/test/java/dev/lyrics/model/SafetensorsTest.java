package dev.lyrics.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.lyrics.core.InputException;
import dev.lyrics.core.Json;
import dev.lyrics.model.SafetensorsFile.DType;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.SortedMap;
import java.util.TreeMap;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SafetensorsTest {
    static NDManager manager;

    @BeforeAll
    static void engine() {
        Torch.engine();
        manager = NDManager.newBaseManager(Device.cpu(), Torch.ENGINE);
    }

    @AfterAll
    static void release() {
        manager.close();
    }

    static float[] randomFloats(int n, long seed) {
        Random random = new Random(seed);
        float[] values = new float[n];
        for (int i = 0; i < n; i++) {
            values[i] = (float) (random.nextGaussian() * Math.pow(10, random.nextInt(6) - 3));
        }
        return values;
    }

    static float[] roundTrip(Path file, NDArray tensor, DType storage) throws IOException {
        SortedMap<String, NDArray> tensors = new TreeMap<>(Map.of("w", tensor));
        SafetensorsWriter.write(file, tensors, storage, Map.of("format", "pt"));
        try (SafetensorsFile read = SafetensorsFile.open(file); NDArray loaded = read.load("w", manager, DataType.FLOAT32)) {
            assertEquals(Map.of("format", "pt"), read.metadata());
            assertEquals(storage, read.tensors().get("w").dtype());
            assertEquals(tensor.getShape(), loaded.getShape());
            return loaded.toFloatArray();
        }
    }

    @Test
    void float32RoundTripsExactly(@TempDir Path dir) throws IOException {
        float[] values = randomFloats(3 * 7, 1);
        float[] back = roundTrip(dir.resolve("a.safetensors"), manager.create(values, new Shape(3, 7)), DType.F32);
        assertArrayEquals(values, back);
    }

    /** Float16 bit patterns worked out by hand (sign, 5-bit exponent biased by 15, 10-bit fraction). */
    private static final float[] HAND_INPUTS = {0f, -0f, 1f, -2f, 0.1f, 1f / 3, 65504f, 65519.99f, 65520f, -70000f,
            Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, 0x1p-14f, 0x1p-24f, 0x1p-25f, 0x1.8p-25f, 0x1p-26f, 1e-8f,
            0x1.002p0f, 0x1.006p0f};
    private static final short[] HAND_HALVES = {
        0x0000, (short) 0x8000, 0x3C00, (short) 0xC000,
        0x2E66, // 0.1 = 1.6 * 2^-4: exponent 11, fraction 0.6 * 1024 = 614.4 -> 614 = 0x266
        0x3555, // 1/3 = 1.333 * 2^-2: exponent 13, fraction 341.33 -> 341 = 0x155
        0x7BFF, // the largest finite float16
        0x7BFF, // just below the midpoint 65520 between 65504 and 65536
        0x7C00, // the midpoint ties to even: the even neighbour is 2^16, which overflows to infinity
        (short) 0xFC00, 0x7C00, (short) 0xFC00,
        0x0400, // the smallest normal
        0x0001, // the smallest subnormal
        0x0000, // 2^-25 is halfway between 0 and 2^-24: ties to even, 0
        0x0001, // above that halfway point
        0x0000, 0x0000, // underflow
        0x3C00, // 1 + 2^-11, halfway between 1 and 1 + 2^-10: ties to even, 1
        0x3C02, // 1 + 3 * 2^-11, halfway between 1 + 2^-10 and 1 + 2^-9: ties to even, 1 + 2^-9
    };

    /** The raw float16 bits SafetensorsWriter stores for the values. */
    static short[] writtenHalves(Path file, float[] values) throws IOException {
        SafetensorsWriter.write(file, new TreeMap<>(Map.of("h", manager.create(values))), DType.F16, Map.of());
        ByteBuffer raw = ByteBuffer.wrap(Files.readAllBytes(file)).order(ByteOrder.LITTLE_ENDIAN);
        int headerLength = Math.toIntExact(raw.getLong(0));
        long begin = Json.MAPPER.readTree(new String(raw.array(), 8, headerLength, StandardCharsets.UTF_8))
                .get("h").get("data_offsets").get(0).asLong();
        raw.position(Math.toIntExact(8 + headerLength + begin));
        short[] halves = new short[values.length];
        raw.asShortBuffer().get(halves);
        return halves;
    }

    @Test
    void float16IsRoundedToNearestEvenAsWorkedOutByHand(@TempDir Path dir) throws IOException {
        short[] written = writtenHalves(dir.resolve("hand.safetensors"), HAND_INPUTS);
        for (int i = 0; i < HAND_INPUTS.length; i++) {
            assertEquals(HAND_HALVES[i], written[i], "float16 of " + HAND_INPUTS[i] + ": 0x"
                    + Integer.toHexString(written[i] & 0xFFFF) + " instead of 0x" + Integer.toHexString(HAND_HALVES[i] & 0xFFFF));
        }
        short nan = writtenHalves(dir.resolve("nan.safetensors"), new float[] {Float.NaN})[0];
        assertTrue((nan & 0x7C00) == 0x7C00 && (nan & 0x03FF) != 0, "NaN stays a NaN: 0x" + Integer.toHexString(nan & 0xFFFF));
    }

    /** 5066 values rounded by numpy (float16/make_fixture.py): ties, subnormals, overflow and underflow. */
    @Test
    void float16BitsAreNumpysForFiveThousandValues(@TempDir Path dir) throws Exception {
        Path fixture = LlamaModelTest.resource("float16");
        ByteBuffer expected = ByteBuffer.wrap(Files.readAllBytes(fixture.resolve("float16-expected.f16")))
                .order(ByteOrder.LITTLE_ENDIAN);
        float[] values = new float[5066];
        ByteBuffer.wrap(Files.readAllBytes(fixture.resolve("float16-inputs.f32"))).order(ByteOrder.LITTLE_ENDIAN)
                .asFloatBuffer().get(values);
        short[] written = writtenHalves(dir.resolve("numpy.safetensors"), values);
        int mismatches = 0;
        StringBuilder first = new StringBuilder();
        for (int i = 0; i < values.length; i++) {
            short want = expected.getShort(2 * i);
            if (written[i] != want) {
                if (mismatches++ < 5) {
                    first.append(String.format(" %s (0x%08x) -> 0x%04x, numpy 0x%04x;", values[i],
                            Float.floatToRawIntBits(values[i]), written[i] & 0xFFFF, want & 0xFFFF));
                }
            }
        }
        assertEquals(0, mismatches, mismatches + " values rounded unlike numpy:" + first);
    }

    /** Reading: every float16 bit pattern against sign * 2^(e - 15) * (1 + f / 1024), or f * 2^-24 when e = 0. */
    @Test
    void everyFloat16BitPatternWidensToItsValue(@TempDir Path dir) throws IOException {
        ByteBuffer data = ByteBuffer.allocate(65536 * 2).order(ByteOrder.LITTLE_ENDIAN);
        for (int bits = 0; bits < 65536; bits++) {
            data.putShort((short) bits);
        }
        Path file = writeRaw(dir.resolve("all16.safetensors"),
                "{\"all\":{\"dtype\":\"F16\",\"shape\":[65536],\"data_offsets\":[0,131072]}}", data.array());
        try (SafetensorsFile read = SafetensorsFile.open(file); NDArray loaded = read.load("all", manager, DataType.FLOAT32)) {
            float[] values = loaded.toFloatArray();
            for (int bits = 0; bits < 65536; bits++) {
                int exponent = (bits >> 10) & 0x1F;
                int fraction = bits & 0x3FF;
                float sign = (bits & 0x8000) != 0 ? -1f : 1f;
                String label = "float16 0x" + Integer.toHexString(bits);
                if (exponent == 0x1F) {
                    assertTrue(fraction == 0 ? values[bits] == sign * Float.POSITIVE_INFINITY : Float.isNaN(values[bits]), label);
                } else {
                    float value = exponent == 0 ? Math.scalb((float) fraction, -24)
                            : Math.scalb(1f + fraction / 1024f, exponent - 15);
                    assertEquals(Float.floatToRawIntBits(sign * value), Float.floatToRawIntBits(values[bits]), label);
                }
            }
        }
    }

    @Test
    void bfloat16RoundsToNearestEvenAndWidensExactly(@TempDir Path dir) throws IOException {
        float[] values = randomFloats(64, 3);
        values[0] = Float.NaN;
        values[1] = Float.NEGATIVE_INFINITY;
        values[2] = Float.intBitsToFloat(0x3F808000); // exactly halfway between two bfloat16: ties to even (down)
        values[3] = Float.intBitsToFloat(0x3F818000); // halfway, odd below: rounds up
        float[] back = roundTrip(dir.resolve("b.safetensors"), manager.create(values, new Shape(64)), DType.BF16);
        assertTrue(Float.isNaN(back[0]));
        assertEquals(Float.NEGATIVE_INFINITY, back[1]);
        assertEquals(Float.intBitsToFloat(0x3F800000), back[2]);
        assertEquals(Float.intBitsToFloat(0x3F820000), back[3]);
        for (int i = 4; i < values.length; i++) {
            assertEquals(values[i], back[i], Math.abs(values[i]) / 256, "element " + i);
            assertEquals(0, Float.floatToRawIntBits(back[i]) & 0xFFFF, "element " + i + " is not a bfloat16");
        }
    }

    @Test
    void everyBfloat16BitPatternWidensToItsFloat32(@TempDir Path dir) throws IOException {
        ByteBuffer data = ByteBuffer.allocate(65536 * 2).order(ByteOrder.LITTLE_ENDIAN);
        for (int bits = 0; bits < 65536; bits++) {
            data.putShort((short) bits);
        }
        Path file = writeRaw(dir.resolve("all.safetensors"),
                "{\"all\":{\"dtype\":\"BF16\",\"shape\":[65536],\"data_offsets\":[0,131072]}}", data.array());
        try (SafetensorsFile read = SafetensorsFile.open(file); NDArray loaded = read.load("all", manager, DataType.FLOAT32)) {
            float[] values = loaded.toFloatArray();
            for (int bits = 0; bits < 65536; bits++) {
                assertEquals(bits << 16, Float.floatToRawIntBits(values[bits]), "bfloat16 0x" + Integer.toHexString(bits));
            }
        }
    }

    @Test
    void loadsIntoHalfPrecisionWhenAsked(@TempDir Path dir) throws IOException {
        float[] values = randomFloats(8, 4);
        Path file = dir.resolve("x.safetensors");
        SafetensorsWriter.write(file, new TreeMap<>(Map.of("x", manager.create(values))), DType.BF16, Map.of());
        try (SafetensorsFile read = SafetensorsFile.open(file); NDArray loaded = read.load("x", manager, DataType.FLOAT16)) {
            assertEquals(DataType.FLOAT16, loaded.getDataType());
        }
    }

    @Test
    void aBfloat16ValueBeyondFloat16sRangeFailsNamingTheTensorWhenLoadedAsFloat16(@TempDir Path dir) throws IOException {
        float[] values = {1f, -65280f, Float.POSITIVE_INFINITY, 70000f}; // -65280 is bfloat16's largest value float16 holds
        Path file = dir.resolve("big.safetensors");
        SafetensorsWriter.write(file, new TreeMap<>(Map.of("model.norm.weight", manager.create(values))), DType.BF16,
                Map.of());
        try (SafetensorsFile read = SafetensorsFile.open(file)) {
            InputException e = assertThrows(InputException.class, () -> read.load("model.norm.weight", manager,
                    DataType.FLOAT16));
            assertTrue(e.getMessage().startsWith(file + ": tensor model.norm.weight holds 70144.0 at element 3"),
                    e.getMessage());
            assertTrue(e.getMessage().contains("float32"), e.getMessage());
            try (NDArray wide = read.load("model.norm.weight", manager, DataType.FLOAT32)) {
                assertEquals(70144f, wide.toFloatArray()[3]);
            }
        }
    }

    @Test
    void aShardedCheckpointLoadsThroughItsIndex(@TempDir Path dir) throws Exception {
        Path tiny = LlamaModelTest.resource("tiny-llama");
        Files.copy(tiny.resolve("config.json"), dir.resolve("config.json"));
        Map<String, String> weightMap = new TreeMap<>();
        try (SafetensorsFile whole = SafetensorsFile.open(tiny.resolve("model.safetensors"))) {
            SortedMap<String, NDArray> first = new TreeMap<>();
            SortedMap<String, NDArray> second = new TreeMap<>();
            for (String name : whole.tensors().keySet()) {
                boolean early = name.startsWith("model.embed") || name.startsWith("model.layers.0.");
                (early ? first : second).put(name, whole.load(name, manager, DataType.FLOAT32));
                weightMap.put(name, early ? "model-00001-of-00002.safetensors" : "model-00002-of-00002.safetensors");
            }
            SafetensorsWriter.write(dir.resolve("model-00001-of-00002.safetensors"), first, DType.F32, Map.of());
            SafetensorsWriter.write(dir.resolve("model-00002-of-00002.safetensors"), second, DType.F32, Map.of());
        }
        Json.write(dir.resolve(HfCheckpoint.INDEX), Map.of("metadata", Map.of("total_size", 0), "weight_map", weightMap));
        LlamaModelTest.Expected expected = LlamaModelTest.expected();
        try (LlamaModel model = LlamaModel.load(dir, Device.cpu(), DataType.FLOAT32)) {
            float[] actual = LlamaModelTest.logProbs(model, expected.ids());
            for (int i = 0; i < actual.length; i++) {
                assertEquals(expected.logProbs()[i], actual[i], 1e-4);
            }
        }
        assertEquals(2, HfCheckpoint.weightFiles(dir).size());
    }

    // ---- malformed files: each is a clear InputException naming the file, never a crash ----

    static Path writeRaw(Path file, String header, byte[] data) throws IOException {
        byte[] json = header.getBytes(StandardCharsets.UTF_8);
        ByteBuffer buffer = ByteBuffer.allocate(8 + json.length + data.length).order(ByteOrder.LITTLE_ENDIAN);
        buffer.putLong(json.length).put(json).put(data);
        Files.write(file, buffer.array());
        return file;
    }

    static String malformed(Path file) {
        InputException e = assertThrows(InputException.class, () -> {
            try (SafetensorsFile read = SafetensorsFile.open(file)) {
                for (String name : read.tensors().keySet()) {
                    read.load(name, manager, DataType.FLOAT32).close();
                }
            }
        });
        assertTrue(e.getMessage().startsWith(file.toString()), e.getMessage());
        return e.getMessage();
    }

    @Test
    void rejectsATruncatedLengthPrefix(@TempDir Path dir) throws IOException {
        Path file = Files.write(dir.resolve("t.safetensors"), new byte[] {1, 2, 3});
        assertTrue(malformed(file).contains("truncated"));
    }

    @Test
    void rejectsAHeaderOverTheLimit(@TempDir Path dir) throws IOException {
        ByteBuffer buffer = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN).putLong(200L * 1024 * 1024);
        Path file = Files.write(dir.resolve("big.safetensors"), buffer.array());
        assertTrue(malformed(file).contains("100 MB"));
        ByteBuffer negative = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN).putLong(-5);
        assertTrue(malformed(Files.write(dir.resolve("neg.safetensors"), negative.array())).contains("100 MB"));
    }

    @Test
    void rejectsAHeaderLengthBeyondTheFile(@TempDir Path dir) throws IOException {
        ByteBuffer buffer = ByteBuffer.allocate(40).order(ByteOrder.LITTLE_ENDIAN).putLong(1000).put("{}".getBytes());
        assertTrue(malformed(Files.write(dir.resolve("h.safetensors"), buffer.array())).contains("past the end"));
    }

    @Test
    void rejectsAHeaderThatIsNotJson(@TempDir Path dir) throws IOException {
        assertTrue(malformed(writeRaw(dir.resolve("j.safetensors"), "{\"a\": ", new byte[0])).contains("not valid JSON"));
        assertTrue(malformed(writeRaw(dir.resolve("k.safetensors"), "[1, 2]", new byte[0])).contains("not a JSON object"));
        assertTrue(malformed(writeRaw(dir.resolve("l.safetensors"),
                "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},"
                        + "\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}", new byte[4])).contains("not valid JSON"));
    }

    @Test
    void rejectsOffsetsOutsideTheData(@TempDir Path dir) throws IOException {
        String header = "{\"w\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16]}}";
        String message = malformed(writeRaw(dir.resolve("o.safetensors"), header, new byte[12]));
        assertTrue(message.contains("tensor w") && message.contains("outside the data section"), message);
        String reversed = "{\"w\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[8,4]}}";
        assertTrue(malformed(writeRaw(dir.resolve("r.safetensors"), reversed, new byte[12])).contains("outside"));
    }

    @Test
    void rejectsOffsetsThatDisagreeWithTheShape(@TempDir Path dir) throws IOException {
        String header = "{\"w\":{\"dtype\":\"F32\",\"shape\":[2,3],\"data_offsets\":[0,16]}}";
        String message = malformed(writeRaw(dir.resolve("s.safetensors"), header, new byte[16]));
        assertTrue(message.contains("needs 24"), message);
        String huge = "{\"w\":{\"dtype\":\"F32\",\"shape\":[4294967296,4294967296],\"data_offsets\":[0,16]}}";
        assertTrue(malformed(writeRaw(dir.resolve("u.safetensors"), huge, new byte[16])).contains("2^63"));
    }

    @Test
    void rejectsOverlappingTensors(@TempDir Path dir) throws IOException {
        String header = "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                + "\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}";
        String message = malformed(writeRaw(dir.resolve("v.safetensors"), header, new byte[12]));
        assertTrue(message.contains("tensors a [0, 8] and b [4, 12] overlap"), message);
    }

    @Test
    void rejectsAnUnknownDtype(@TempDir Path dir) throws IOException {
        String header = "{\"w\":{\"dtype\":\"Q4_K\",\"shape\":[2],\"data_offsets\":[0,8]}}";
        String message = malformed(writeRaw(dir.resolve("d.safetensors"), header, new byte[8]));
        assertTrue(message.contains("unknown or unsupported dtype Q4_K"), message);
        String noDtype = "{\"w\":{\"shape\":[2],\"data_offsets\":[0,8]}}";
        assertTrue(malformed(writeRaw(dir.resolve("e.safetensors"), noDtype, new byte[8])).contains("needs dtype"));
    }

    @Test
    void rejectsATensorWhoseShapeDisagreesWithTheConfig(@TempDir Path dir) throws Exception {
        Path tiny = LlamaModelTest.resource("tiny-llama");
        Files.copy(tiny.resolve("model.safetensors"), dir.resolve("model.safetensors"));
        Files.writeString(dir.resolve("config.json"),
                Files.readString(tiny.resolve("config.json")).replace("\"intermediate_size\": 64", "\"intermediate_size\": 96"));
        InputException e = assertThrows(InputException.class, () -> LlamaModel.load(dir, Device.cpu(), DataType.FLOAT32));
        assertTrue(e.getMessage().startsWith(dir.resolve("model.safetensors").toString()), e.getMessage());
        assertTrue(e.getMessage().contains("tensor model.layers.0.mlp.down_proj.weight has shape [32, 64] but "
                + dir.resolve("config.json") + " implies [32, 96]"), e.getMessage());
    }

    @Test
    void rejectsAMissingTensor(@TempDir Path dir) throws Exception {
        Path tiny = LlamaModelTest.resource("tiny-llama");
        Files.copy(tiny.resolve("config.json"), dir.resolve("config.json"));
        try (SafetensorsFile whole = SafetensorsFile.open(tiny.resolve("model.safetensors"))) {
            SortedMap<String, NDArray> kept = new TreeMap<>();
            for (String name : whole.tensors().keySet()) {
                if (!name.equals("lm_head.weight")) {
                    kept.put(name, whole.load(name, manager, DataType.FLOAT32));
                }
            }
            SafetensorsWriter.write(dir.resolve("model.safetensors"), kept, DType.F32, Map.of());
        }
        InputException e = assertThrows(InputException.class, () -> LlamaModel.load(dir, Device.cpu(), DataType.FLOAT32));
        assertTrue(e.getMessage().contains("model.safetensors: missing tensor lm_head.weight"), e.getMessage());
    }

    @Test
    void rejectsAnIndexWhoseShardIsMissing(@TempDir Path dir) throws Exception {
        Files.copy(LlamaModelTest.resource("tiny-llama").resolve("config.json"), dir.resolve("config.json"));
        Json.write(dir.resolve(HfCheckpoint.INDEX), Map.of("weight_map", Map.of("lm_head.weight", "gone.safetensors")));
        InputException e = assertThrows(InputException.class, () -> LlamaModel.load(dir, Device.cpu(), DataType.FLOAT32));
        assertTrue(e.getMessage().contains("shard gone.safetensors of tensor lm_head.weight not found"), e.getMessage());
    }

    @Test
    void rejectsADirectoryWithoutWeightsOrConfig(@TempDir Path dir) throws Exception {
        InputException noConfig = assertThrows(InputException.class, () -> LlamaModel.load(dir, Device.cpu(), DataType.FLOAT32));
        assertTrue(noConfig.getMessage().contains("config.json not found"), noConfig.getMessage());
        Files.copy(LlamaModelTest.resource("tiny-llama").resolve("config.json"), dir.resolve("config.json"));
        InputException noWeights = assertThrows(InputException.class, () -> LlamaModel.load(dir, Device.cpu(), DataType.FLOAT32));
        assertTrue(noWeights.getMessage().contains("not a Hugging Face model directory"), noWeights.getMessage());
    }

    /**
     * A checkpoint larger than the heap loads: a forked JVM with -Xmx48m reads 160 MB of F16 weights
     * (320 MB as float32 in libtorch memory).
     */
    @Test
    void loadsACheckpointLargerThanTheHeap(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("big.safetensors");
        int tensors = 4;
        int elements = 20 * 1024 * 1024;
        Map<String, Object> header = new LinkedHashMap<>();
        for (int i = 0; i < tensors; i++) {
            long begin = (long) i * elements * 2;
            header.put("t" + i, Map.of("dtype", "F16", "shape", List.of(elements), "data_offsets",
                    List.of(begin, begin + (long) elements * 2)));
        }
        byte[] json = Json.compact(header).getBytes(StandardCharsets.UTF_8);
        try (FileChannel out = FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            out.write(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(0, json.length));
            out.write(ByteBuffer.wrap(json));
            ByteBuffer chunk = ByteBuffer.allocate(1 << 20).order(ByteOrder.LITTLE_ENDIAN);
            for (int i = 0; i < tensors; i++) {
                // tensor i holds the half-precision value i + 1 everywhere
                short half = manager.create(new float[] {i + 1}).toType(DataType.FLOAT16, false).toByteBuffer()
                        .order(ByteOrder.LITTLE_ENDIAN).getShort(0);
                chunk.clear();
                while (chunk.hasRemaining()) {
                    chunk.putShort(half);
                }
                for (long written = 0; written < (long) elements * 2; written += chunk.capacity()) {
                    chunk.flip();
                    out.write(chunk);
                }
            }
        }
        assertTrue(Files.size(file) > 160L * 1024 * 1024);
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> command = new ArrayList<>(List.of(java, "-Xmx48m", "-Dai.djl.offline=true",
                "-cp", System.getProperty("java.class.path"), LoadAndSum.class.getName(), file.toString()));
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, process.waitFor(), output);
        for (int i = 0; i < tensors; i++) {
            assertTrue(output.contains("t" + i + " " + elements + " elements from " + (i + 1f) + " to " + (i + 1f)), output);
        }
    }

    /** The forked JVM of {@link #loadsACheckpointLargerThanTheHeap}: loads every tensor, keeps them all, prints their range. */
    public static final class LoadAndSum {
        public static void main(String[] args) throws IOException {
            Torch.engine();
            List<NDArray> kept = new ArrayList<>();
            try (NDManager owner = NDManager.newBaseManager(Device.cpu(), Torch.ENGINE);
                 SafetensorsFile file = SafetensorsFile.open(Path.of(args[0]))) {
                for (String name : file.tensors().keySet()) {
                    NDArray tensor = file.load(name, owner, DataType.FLOAT32);
                    kept.add(tensor);
                    System.out.println(name + " " + tensor.size() + " elements from " + tensor.min().getFloat()
                            + " to " + tensor.max().getFloat());
                }
                System.out.println("heap max " + Runtime.getRuntime().maxMemory() + ", kept " + kept.size());
            }
        }
    }
}
