package dev.lyrics.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import dev.lyrics.core.ConfigException;
import org.junit.jupiter.api.Test;

class TorchTest {
    @Test
    void loadsThePyTorchEngineOfflineFromTheClassPath() {
        assertEquals("PyTorch", Torch.engine().getEngineName());
        try (NDManager manager = NDManager.newBaseManager(Device.cpu(), Torch.ENGINE)) {
            NDArray a = manager.create(new float[] {1, 2, 3, 4}, new ai.djl.ndarray.types.Shape(2, 2));
            assertArrayEquals(new float[] {7, 10, 15, 22}, a.matMul(a).toFloatArray());
        }
    }

    @Test
    void translatesDeviceAndDtypeParameters() {
        assertEquals(Device.cpu(), Torch.device("cpu", "lyrics.device"));
        assertEquals(DataType.FLOAT16, Torch.dtype("float16", "lyrics.dtype"));
        ConfigException e = assertThrows(ConfigException.class, () -> Torch.dtype("bf16", "lyrics.dtype"));
        assertEquals(true, e.getMessage().contains("-Dlyrics.dtype"));
    }
}
