package dev.lyrics.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

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

    @Test
    void gpuIsTakenAsAskedAndRefusedOnlyWhenAStageMustRunWithoutOne() {
        assumeTrue(Torch.engine().getGpuCount() == 0, "checks a machine without a CUDA device");
        Device gpu = Torch.device("gpu", "lyrics.device");
        assertTrue(gpu.isGpu(), "the key of a CPU machine must be the GPU machine's, to restore what it trained");
        ConfigException e = assertThrows(ConfigException.class, () -> Torch.requireVisible(gpu, "lyrics.device"));
        assertTrue(e.getMessage().contains("-Dlyrics.device") && e.getMessage().contains("no CUDA device"), e.getMessage());
        Torch.requireVisible(Device.cpu(), "lyrics.device");
    }
}
