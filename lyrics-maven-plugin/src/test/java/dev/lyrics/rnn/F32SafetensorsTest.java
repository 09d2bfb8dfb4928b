package dev.lyrics.rnn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.SortedMap;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class F32SafetensorsTest {
    @TempDir
    Path tmp;

    @Test
    void writesTheSafetensorsLayoutAndReadsItBack() throws IOException {
        SortedMap<String, F32Safetensors.Tensor> tensors = new TreeMap<>();
        tensors.put("b.weight", new F32Safetensors.Tensor(new long[] {2, 3}, new float[] {1, 2, 3, 4, 5, 6}));
        tensors.put("a.bias", new F32Safetensors.Tensor(new long[] {1}, new float[] {-0.5f}));
        Path file = tmp.resolve("model.safetensors");
        F32Safetensors.write(file, tensors);

        ByteBuffer bytes = ByteBuffer.wrap(Files.readAllBytes(file)).order(ByteOrder.LITTLE_ENDIAN);
        long headerLength = bytes.getLong();
        assertEquals(0, headerLength % 8, "data starts 8-byte aligned");
        String header = new String(bytes.array(), 8, (int) headerLength, StandardCharsets.UTF_8);
        assertTrue(header.startsWith("{\"__metadata__\":{\"format\":\"pt\"},\"a.bias\":{\"data_offsets\":[0,4],\"dtype\":\"F32\",\"shape\":[1]},"
                + "\"b.weight\":{\"data_offsets\":[4,28],\"dtype\":\"F32\",\"shape\":[2,3]}}"), header);
        assertEquals(8 + headerLength + 28, bytes.capacity());
        assertEquals(-0.5f, bytes.getFloat(8 + (int) headerLength));

        SortedMap<String, F32Safetensors.Tensor> read = F32Safetensors.read(file);
        assertEquals(tensors.keySet(), read.keySet());
        assertArrayEquals(new long[] {2, 3}, read.get("b.weight").shape());
        assertArrayEquals(new float[] {1, 2, 3, 4, 5, 6}, read.get("b.weight").values());
    }
}
