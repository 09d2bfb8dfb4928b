package dev.lyrics.lora;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lyrics.core.ConfigException;
import java.util.List;
import org.junit.jupiter.api.Test;

class LoraConfigTest {
    static final List<String> ALL = List.of("q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj");

    @Test
    void scaleIsAlphaOverRankOrOverItsRootWithRsLora() {
        assertEquals(2.0, new LoraConfig(32, 64, 0, ALL, false).scale(), 1e-12);
        assertEquals(64 / Math.sqrt(32), new LoraConfig(32, 64, 0, ALL, true).scale(), 1e-12);
    }

    @Test
    void badValuesNameTheirParameter() {
        assertRejected(new LoraConfig(0, 64, 0, ALL, false), "lyrics.finetune.lora.r");
        assertRejected(new LoraConfig(8, 0, 0, ALL, false), "lyrics.finetune.lora.alpha");
        assertRejected(new LoraConfig(8, -1, 0, ALL, false), "lyrics.finetune.lora.alpha");
        assertRejected(new LoraConfig(8, 16, 1, ALL, false), "lyrics.finetune.lora.dropout");
        assertRejected(new LoraConfig(8, 16, -0.1, ALL, false), "lyrics.finetune.lora.dropout");
        assertRejected(new LoraConfig(8, 16, 0, List.of("q_proj", "c_attn"), false), "lyrics.finetune.lora.targetModules");
        assertRejected(new LoraConfig(8, 16, 0, List.of(), false), "lyrics.finetune.lora.targetModules");
    }

    private static void assertRejected(LoraConfig config, String property) {
        ConfigException e = assertThrows(ConfigException.class, () -> config.validate("lyrics.finetune.lora."));
        assertTrue(e.getMessage().contains(property), e.getMessage());
    }
}
