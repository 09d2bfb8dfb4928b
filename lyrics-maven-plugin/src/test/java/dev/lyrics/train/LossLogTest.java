package dev.lyrics.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lyrics.core.InputException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** loss.jsonl as every trainer writes it and the report reads it back. */
class LossLogTest {
    @TempDir
    Path dir;

    @Test
    void writesSortedKeysOneLineEachAndReadsThemBackBySplit() throws Exception {
        Path file = dir.resolve("stage").resolve(LossLog.FILE);
        try (LossLog log = new LossLog(file)) {
            log.write("validation", 0, 0, 3.5, Map.of());
            log.write("train", 1.5, 12, 2.25, Map.of("lr", 0.003, "tokens_per_s", 1200L));
            log.write("validation", 2, 24, 2.0, Map.of());
        }
        assertEquals(List.of("{\"epoch\":0.0,\"loss\":3.5,\"split\":\"validation\",\"step\":0}",
                "{\"epoch\":1.5,\"loss\":2.25,\"lr\":0.003,\"split\":\"train\",\"step\":12,\"tokens_per_s\":1200}",
                "{\"epoch\":2.0,\"loss\":2.0,\"split\":\"validation\",\"step\":24}"), Files.readAllLines(file));

        LossLog.Curve curve = LossLog.read("stage", file);
        assertEquals("stage", curve.stage());
        assertEquals(List.of(new LossLog.Point("validation", 0, 0, 3.5), new LossLog.Point("train", 1, 12, 2.25),
                new LossLog.Point("validation", 2, 24, 2.0)), curve.points());
        assertEquals(List.of("train", "validation"), List.copyOf(curve.bySplit().keySet()));
        assertEquals(2, curve.bySplit().get("validation").size());
    }

    @Test
    void aLineThatIsNotALossRecordIsNamedByFileAndLine() throws Exception {
        Path file = dir.resolve(LossLog.FILE);
        Files.writeString(file, "{\"split\":\"train\",\"step\":1,\"loss\":2.0}\n{\"split\":\"train\",\"loss\":1.0}\n");
        InputException e = assertThrows(InputException.class, () -> LossLog.read("s", file));
        assertTrue(e.getMessage().contains(LossLog.FILE) && e.getMessage().contains("2"), e.getMessage());
        assertTrue(e.getMessage().contains("split, step and loss"), e.getMessage());
    }
}
