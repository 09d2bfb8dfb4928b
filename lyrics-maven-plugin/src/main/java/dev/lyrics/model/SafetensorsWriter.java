package dev.lyrics.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import dev.lyrics.core.Files2;
import dev.lyrics.core.Json;
import dev.lyrics.model.SafetensorsFile.DType;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * Writes tensors as one safetensors file, the layout Python's safetensors reads: tensors in name
 * order, contiguous, the header padded with spaces to a multiple of 8 bytes. The file appears
 * atomically (written beside the target, then renamed).
 */
public final class SafetensorsWriter {
    private SafetensorsWriter() {}

    public static void write(Path file, SortedMap<String, NDArray> tensors, DType storage,
                             Map<String, String> metadata) throws IOException {
        SortedMap<String, Entry> entries = new TreeMap<>();
        tensors.forEach((name, tensor) -> entries.put(name,
                new Entry(storage, tensor.getShape().getShape(), tensor.size() * storage.bytes)));
        ByteBuffer head = header(entries, metadata);
        Files2.writeAtomically(file, tmp -> {
            try (FileChannel out = FileChannel.open(tmp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
                writeFully(out, head);
                for (NDArray tensor : tensors.values()) {
                    writeFully(out, encode(tensor, storage));
                }
            }
        });
    }

    /** A tensor given as its dtype, shape and raw little-endian bytes (issue 16: uint8 codes beside float32 statistics). */
    public record RawTensor(DType dtype, long[] shape, byte[] data) {}

    /** Writes tensors given as raw bytes, same layout and atomicity as {@link #write}. */
    public static void writeRaw(Path file, SortedMap<String, RawTensor> tensors, Map<String, String> metadata)
            throws IOException {
        SortedMap<String, Entry> entries = new TreeMap<>();
        tensors.forEach((name, tensor) -> entries.put(name, new Entry(tensor.dtype(), tensor.shape(), tensor.data().length)));
        ByteBuffer head = header(entries, metadata);
        Files2.writeAtomically(file, tmp -> {
            try (FileChannel out = FileChannel.open(tmp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
                writeFully(out, head);
                for (RawTensor tensor : tensors.values()) {
                    writeFully(out, ByteBuffer.wrap(tensor.data()));
                }
            }
        });
    }

    private record Entry(DType dtype, long[] shape, long bytes) {}

    /** The length prefix and JSON header, padded with spaces to a multiple of 8 bytes; tensors in name order. */
    private static ByteBuffer header(SortedMap<String, Entry> entries, Map<String, String> metadata) {
        Map<String, Object> header = new TreeMap<>();
        if (!metadata.isEmpty()) {
            header.put("__metadata__", new TreeMap<>(metadata));
        }
        long offset = 0;
        for (Map.Entry<String, Entry> entry : entries.entrySet()) {
            Map<String, Object> info = new LinkedHashMap<>();
            info.put("dtype", entry.getValue().dtype().name());
            info.put("shape", entry.getValue().shape());
            info.put("data_offsets", List.of(offset, offset + entry.getValue().bytes()));
            header.put(entry.getKey(), info);
            offset += entry.getValue().bytes();
        }
        byte[] json = Json.compact(header).getBytes(StandardCharsets.UTF_8);
        int padded = (json.length + 7) / 8 * 8;
        ByteBuffer head = ByteBuffer.allocate(8 + padded).order(ByteOrder.LITTLE_ENDIAN);
        head.putLong(padded).put(json);
        while (head.hasRemaining()) {
            head.put((byte) ' ');
        }
        head.flip();
        return head;
    }

    /** The tensor's elements as little-endian bytes of the storage type. */
    static ByteBuffer encode(NDArray tensor, DType storage) {
        DataType type = storage == DType.F16 ? DataType.FLOAT16 : DataType.FLOAT32;
        NDArray converted = tensor.getDataType() == type ? tensor : tensor.toType(type, false);
        try {
            ByteBuffer bytes = converted.toByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
            return storage == DType.BF16 ? f32ToBf16(bytes) : bytes;
        } finally {
            if (converted != tensor) {
                converted.close();
            }
        }
    }

    /** Rounds each float32 to the nearest bfloat16 (ties to even; NaN stays NaN), as torch does. */
    private static ByteBuffer f32ToBf16(ByteBuffer f32) {
        int count = f32.remaining() / 4;
        ByteBuffer out = ByteBuffer.allocate(count * 2).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < count; i++) {
            int bits = f32.getInt(4 * i);
            int bf16;
            if ((bits & 0x7FFFFFFF) > 0x7F800000) {
                bf16 = (bits >>> 16) | 0x40;
            } else {
                bf16 = (bits + 0x7FFF + ((bits >>> 16) & 1)) >>> 16;
            }
            out.putShort((short) bf16);
        }
        out.flip();
        return out;
    }

    private static void writeFully(FileChannel out, ByteBuffer buffer) throws IOException {
        while (buffer.hasRemaining()) {
            out.write(buffer);
        }
    }
}
