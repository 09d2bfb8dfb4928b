package dev.lyrics.rnn;

import com.fasterxml.jackson.databind.JsonNode;
import dev.lyrics.core.Files2;
import dev.lyrics.core.InputException;
import dev.lyrics.core.Json;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * The small, all-F32 safetensors files of the recurrent models: 8-byte little-endian header
 * length, a JSON header {name: {dtype, shape, data_offsets}} in sorted order, then the raw
 * little-endian data. Whole files go through memory, which suits models of a few megabytes.
 */
final class F32Safetensors {
    /** A named tensor's shape and row-major values. */
    record Tensor(long[] shape, float[] values) {}

    private F32Safetensors() {}

    static void write(Path file, SortedMap<String, Tensor> tensors) throws IOException {
        Map<String, Object> header = new TreeMap<>();
        header.put("__metadata__", Map.of("format", "pt"));
        long offset = 0;
        for (Map.Entry<String, Tensor> e : tensors.entrySet()) {
            long bytes = 4L * e.getValue().values().length;
            Map<String, Object> entry = new LinkedHashMap<>();
            entry.put("dtype", "F32");
            entry.put("shape", e.getValue().shape());
            entry.put("data_offsets", List.of(offset, offset + bytes));
            header.put(e.getKey(), entry);
            offset += bytes;
        }
        byte[] json = Json.compact(header).getBytes(StandardCharsets.UTF_8);
        // the format pads the header with spaces so that the data starts 8-byte aligned
        int headerLength = (json.length + 7) / 8 * 8;
        ByteBuffer buffer = ByteBuffer.allocate(Math.toIntExact(8 + headerLength + offset)).order(ByteOrder.LITTLE_ENDIAN);
        buffer.putLong(headerLength).put(json);
        for (int i = json.length; i < headerLength; i++) {
            buffer.put((byte) ' ');
        }
        for (Tensor tensor : tensors.values()) {
            buffer.asFloatBuffer().put(tensor.values());
            buffer.position(buffer.position() + 4 * tensor.values().length);
        }
        Files2.writeAtomically(file, buffer.array());
    }

    static SortedMap<String, Tensor> read(Path file) throws IOException {
        ByteBuffer buffer = ByteBuffer.wrap(Files.readAllBytes(file)).order(ByteOrder.LITTLE_ENDIAN);
        long headerLength = buffer.getLong();
        if (headerLength < 2 || headerLength > buffer.remaining()) {
            throw InputException.at(file, "not a safetensors file (header length " + headerLength + ")");
        }
        JsonNode header = Json.MAPPER.readTree(new String(buffer.array(), 8, (int) headerLength, StandardCharsets.UTF_8));
        int dataStart = 8 + (int) headerLength;
        SortedMap<String, Tensor> tensors = new TreeMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = header.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            if (e.getKey().equals("__metadata__")) {
                continue;
            }
            JsonNode entry = e.getValue();
            if (!"F32".equals(entry.path("dtype").asText())) {
                throw InputException.at(file, e.getKey() + " has dtype " + entry.path("dtype").asText() + ", expected F32");
            }
            long[] shape = new long[entry.path("shape").size()];
            long count = 1;
            for (int i = 0; i < shape.length; i++) {
                shape[i] = entry.path("shape").get(i).asLong();
                count *= shape[i];
            }
            long begin = entry.path("data_offsets").get(0).asLong();
            long end = entry.path("data_offsets").get(1).asLong();
            if (end - begin != 4 * count || dataStart + end > buffer.capacity()) {
                throw InputException.at(file, e.getKey() + " has data_offsets that do not fit its shape or the file");
            }
            float[] values = new float[(int) count];
            buffer.position(dataStart + (int) begin);
            buffer.asFloatBuffer().get(values);
            tensors.put(e.getKey(), new Tensor(shape, values));
        }
        return tensors;
    }
}
