package dev.lyrics.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import dev.lyrics.core.InputException;
import dev.lyrics.core.Json;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * A safetensors file opened for reading: an 8-byte little-endian header length, a JSON header
 * (name -> dtype, shape, data_offsets) and raw little-endian tensor data. The header is checked
 * completely when the file is opened, so a malformed file is reported with its name before any
 * tensor is touched; tensor data is memory-mapped one tensor at a time and copied into libtorch
 * memory, so a checkpoint larger than the Java heap loads (DJL's own reader holds a whole file in
 * one byte array with int offsets).
 */
public final class SafetensorsFile implements AutoCloseable {
    /** The safetensors library's own limit on the header. */
    public static final long MAX_HEADER_BYTES = 100L * 1024 * 1024;

    /** Element types this reader understands. */
    public enum DType {
        F32(4),
        F16(2),
        BF16(2),
        /** uint8: bitsandbytes' packed 4-bit codes and quantization statistics (issue 16; read with {@link #bytes}) */
        U8(1);

        public final int bytes;

        DType(int bytes) {
            this.bytes = bytes;
        }
    }

    /** One header entry; begin and end are byte offsets into the data section. */
    public record TensorInfo(String name, DType dtype, long[] shape, long begin, long end) {
        public long elementCount() {
            return SafetensorsFile.elementCount(shape);
        }
    }

    private final Path file;
    private final FileChannel channel;
    private final long dataStart;
    private final SortedMap<String, TensorInfo> tensors;
    private final SortedMap<String, String> metadata;
    /** float16's largest finite value. */
    public static final float FLOAT16_MAX = 65504f;

    /** Reused for BF16 conversion, which libtorch cannot read directly through DJL. */
    private ByteBuffer scratch;

    private SafetensorsFile(Path file, FileChannel channel, long dataStart, SortedMap<String, TensorInfo> tensors,
                            SortedMap<String, String> metadata) {
        this.file = file;
        this.channel = channel;
        this.dataStart = dataStart;
        this.tensors = tensors;
        this.metadata = metadata;
    }

    /** Opens and validates a file; every problem is an {@link InputException} naming the file. */
    public static SafetensorsFile open(Path file) throws IOException {
        if (!Files.isRegularFile(file)) {
            throw InputException.at(file, "safetensors file not found");
        }
        FileChannel channel = FileChannel.open(file, StandardOpenOption.READ);
        try {
            long size = channel.size();
            if (size < 8) {
                throw InputException.at(file, "truncated safetensors file: " + size
                        + " bytes, shorter than the 8-byte header length");
            }
            ByteBuffer lengthBytes = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
            readFully(channel, lengthBytes, 0);
            long headerLength = lengthBytes.getLong(0);
            if (headerLength < 0 || headerLength > MAX_HEADER_BYTES) {
                throw InputException.at(file, "safetensors header length " + Long.toUnsignedString(headerLength)
                        + " is over the 100 MB limit: not a safetensors file, or a corrupt one");
            }
            if (8 + headerLength > size) {
                throw InputException.at(file, "safetensors header length " + headerLength
                        + " runs past the end of the file (" + size + " bytes): the file is truncated");
            }
            ByteBuffer header = ByteBuffer.allocate((int) headerLength);
            readFully(channel, header, 8);
            long dataStart = 8 + headerLength;
            SafetensorsFile opened = parseHeader(file, channel, header.array(), dataStart, size - dataStart);
            channel = null;
            return opened;
        } finally {
            if (channel != null) {
                channel.close();
            }
        }
    }

    private static SafetensorsFile parseHeader(Path file, FileChannel channel, byte[] header, long dataStart,
                                               long dataLength) {
        JsonNode root;
        try {
            root = Json.MAPPER.reader().with(JsonParser.Feature.STRICT_DUPLICATE_DETECTION).readTree(header);
        } catch (JsonProcessingException e) {
            throw InputException.at(file, "safetensors header is not valid JSON: " + e.getOriginalMessage());
        } catch (IOException e) {
            throw InputException.at(file, "safetensors header is not valid JSON: " + e.getMessage());
        }
        if (root == null || !root.isObject()) {
            throw InputException.at(file, "safetensors header is not a JSON object");
        }
        SortedMap<String, TensorInfo> tensors = new TreeMap<>();
        SortedMap<String, String> metadata = new TreeMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = root.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> entry = it.next();
            if (entry.getKey().equals("__metadata__")) {
                entry.getValue().fields().forEachRemaining(m -> metadata.put(m.getKey(), m.getValue().asText()));
                continue;
            }
            tensors.put(entry.getKey(), tensorInfo(file, entry.getKey(), entry.getValue(), dataLength));
        }
        List<TensorInfo> byOffset = new ArrayList<>(tensors.values());
        byOffset.sort(Comparator.comparingLong(TensorInfo::begin).thenComparingLong(TensorInfo::end));
        for (int i = 1; i < byOffset.size(); i++) {
            TensorInfo previous = byOffset.get(i - 1);
            TensorInfo current = byOffset.get(i);
            if (current.begin() < previous.end()) {
                throw InputException.at(file, "tensors " + previous.name() + " " + offsets(previous) + " and "
                        + current.name() + " " + offsets(current) + " overlap in the data section");
            }
        }
        return new SafetensorsFile(file, channel, dataStart, Collections.unmodifiableSortedMap(tensors),
                Collections.unmodifiableSortedMap(metadata));
    }

    private static TensorInfo tensorInfo(Path file, String name, JsonNode node, long dataLength) {
        String where = "tensor " + name + ": ";
        JsonNode dtypeNode = node.get("dtype");
        JsonNode shapeNode = node.get("shape");
        JsonNode offsetsNode = node.get("data_offsets");
        if (dtypeNode == null || !dtypeNode.isTextual() || shapeNode == null || !shapeNode.isArray()
                || offsetsNode == null || !offsetsNode.isArray() || offsetsNode.size() != 2) {
            throw InputException.at(file, where + "a header entry needs dtype, shape and data_offsets [begin, end]");
        }
        DType dtype;
        try {
            dtype = DType.valueOf(dtypeNode.asText());
        } catch (IllegalArgumentException e) {
            throw InputException.at(file, where + "unknown or unsupported dtype " + dtypeNode.asText()
                    + " (supported: F32, F16, BF16)");
        }
        long[] shape = new long[shapeNode.size()];
        for (int i = 0; i < shape.length; i++) {
            JsonNode d = shapeNode.get(i);
            if (!d.canConvertToLong() || d.asLong() < 0) {
                throw InputException.at(file, where + "shape " + shapeNode + " has a dimension that is not a natural number");
            }
            shape[i] = d.asLong();
        }
        long needed;
        try {
            needed = Math.multiplyExact(elementCount(shape), (long) dtype.bytes);
        } catch (ArithmeticException overflow) {
            needed = -1;
        }
        JsonNode b = offsetsNode.get(0);
        JsonNode e = offsetsNode.get(1);
        if (!b.canConvertToLong() || !e.canConvertToLong()) {
            throw InputException.at(file, where + "data_offsets " + offsetsNode + " are not integers");
        }
        long begin = b.asLong();
        long end = e.asLong();
        if (begin < 0 || end < begin || end > dataLength) {
            throw InputException.at(file, where + "data_offsets " + offsetsNode + " lie outside the data section ("
                    + dataLength + " bytes): the file is truncated or its header is corrupt");
        }
        if (end - begin != needed) {
            throw InputException.at(file, where + "data_offsets " + offsetsNode + " span " + (end - begin)
                    + " bytes but shape " + Arrays.toString(shape) + " of " + dtype + " needs "
                    + (needed < 0 ? "more than 2^63" : String.valueOf(needed)));
        }
        return new TensorInfo(name, dtype, shape, begin, end);
    }

    public Path file() {
        return file;
    }

    /** Every tensor of the file by name. */
    public SortedMap<String, TensorInfo> tensors() {
        return tensors;
    }

    /** The header's __metadata__ (string to string), empty when absent. */
    public SortedMap<String, String> metadata() {
        return metadata;
    }

    /**
     * Copies one tensor into a new array of {@code manager}, converted to {@code target}
     * (FLOAT32 or FLOAT16). The array owns its memory: nothing refers to the mapped file after.
     */
    public NDArray load(String name, NDManager manager, DataType target) throws IOException {
        TensorInfo info = tensors.get(name);
        if (info == null) {
            throw InputException.at(file, "no tensor named " + name);
        }
        Shape shape = new Shape(info.shape());
        if (info.elementCount() == 0) {
            return manager.zeros(shape, target);
        }
        long bytes = info.end() - info.begin();
        if (bytes > Integer.MAX_VALUE || info.elementCount() * 4 > Integer.MAX_VALUE) {
            throw InputException.at(file, "tensor " + name + " has " + info.elementCount()
                    + " elements: tensors over 2 GB (as float32) are not supported");
        }
        ByteBuffer mapped = channel.map(FileChannel.MapMode.READ_ONLY, dataStart + info.begin(), bytes)
                .order(ByteOrder.LITTLE_ENDIAN);
        ByteBuffer source;
        DataType sourceType;
        switch (info.dtype()) {
            case F32 -> {
                source = mapped;
                sourceType = DataType.FLOAT32;
            }
            case F16 -> {
                source = mapped;
                sourceType = DataType.FLOAT16;
            }
            case BF16 -> {
                source = bf16ToF32(mapped, (int) info.elementCount());
                sourceType = DataType.FLOAT32;
            }
            default -> throw InputException.at(file, "tensor " + name + " is " + info.dtype()
                    + ", not a floating-point weight: a quantized checkpoint needs -Dlyrics.quantization=nf4");
        }
        if (target == DataType.FLOAT16 && sourceType == DataType.FLOAT32) {
            requireHalfRange(name, source.duplicate().order(source.order()), (int) info.elementCount());
        }
        // on a CPU device the array shares the buffer's memory; on a GPU it is already a copy
        NDArray shared = manager.create(source, shape, sourceType);
        if (shared.getDevice().isGpu() && sourceType == target) {
            return shared;
        }
        try (shared) {
            if (sourceType == target) {
                return shared.duplicate();
            }
            if (target == DataType.FLOAT16) {
                requireFloat16Range(name, shared);
            }
            return shared.toType(target, false);
        }
    }

    /** A float32 value beyond 65504 would become infinite in float16: fail, naming the tensor, rather than train on it. */
    private void requireFloat16Range(String name, NDArray values) {
        try (NDArray abs = values.abs(); NDArray largest = abs.max()) {
            float max = largest.getFloat();
            if (max > FLOAT16_MAX) {
                throw InputException.at(file, "tensor " + name + " holds a value of magnitude " + max
                        + ", beyond float16's largest (" + (int) FLOAT16_MAX + "): run with -Dlyrics.dtype=float32");
            }
        }
    }

    /** A tensor's raw little-endian bytes, copied into the heap (issue 16: bitsandbytes' uint8 and float32 statistics). */
    public byte[] bytes(String name) throws IOException {
        TensorInfo info = tensors.get(name);
        if (info == null) {
            throw InputException.at(file, "no tensor named " + name);
        }
        long length = info.end() - info.begin();
        if (length > Integer.MAX_VALUE - 8) {
            throw InputException.at(file, "tensor " + name + " has " + length + " bytes: over 2 GB is not supported");
        }
        byte[] out = new byte[(int) length];
        channel.map(FileChannel.MapMode.READ_ONLY, dataStart + info.begin(), length).get(out);
        return out;
    }

    /** A finite value beyond float16's largest (65504) would become infinity: fail naming the tensor instead. */
    private void requireHalfRange(String name, ByteBuffer floats, int count) {
        for (int i = 0; i < count; i++) {
            float v = floats.getFloat(4 * i);
            if (Float.isFinite(v) && Math.abs(v) > 65504f) {
                throw InputException.at(file, "tensor " + name + " holds " + v + " at element " + i
                        + ", outside float16's range (+-65504): load this model in float32 (lyrics.dtype=float32)");
            }
        }
    }

    /** bfloat16 is the top half of a float32: widen it in Java into a reused direct buffer. */
    private ByteBuffer bf16ToF32(ByteBuffer bf16, int count) {
        int bytes = count * 4;
        if (scratch == null || scratch.capacity() < bytes) {
            scratch = ByteBuffer.allocateDirect(bytes).order(ByteOrder.nativeOrder());
        }
        ByteBuffer out = scratch.duplicate().order(ByteOrder.nativeOrder());
        out.clear().limit(bytes);
        for (int i = 0; i < count; i++) {
            out.putInt((bf16.getShort(2 * i) & 0xFFFF) << 16);
        }
        out.flip();
        return out;
    }

    @Override
    public void close() throws IOException {
        channel.close();
    }

    /** The product of the dimensions; ArithmeticException when it does not fit a long. */
    static long elementCount(long[] shape) {
        long n = 1;
        for (long d : shape) {
            n = Math.multiplyExact(n, d);
        }
        return n;
    }

    private static String offsets(TensorInfo info) {
        return "[" + info.begin() + ", " + info.end() + "]";
    }

    private static void readFully(FileChannel channel, ByteBuffer buffer, long position) throws IOException {
        while (buffer.hasRemaining()) {
            int n = channel.read(buffer, position + buffer.position());
            if (n < 0) {
                throw new IOException("unexpected end of file");
            }
        }
    }
}
