package dev.lyrics.mojo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lyrics.core.ConfigException;
import dev.lyrics.model.SafetensorsFile;
import dev.lyrics.train.LrSchedule;
import dev.lyrics.train.Pretrainer;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;

class PretrainMojoTest {
    /** A mojo with the defaults its annotations declare. */
    static PretrainMojo mojo() {
        PretrainMojo mojo = new PretrainMojo();
        mojo.vocabSize = 4096;
        mojo.hiddenSize = 256;
        mojo.intermediateSize = 688;
        mojo.layers = 4;
        mojo.heads = 4;
        mojo.kvHeads = 2;
        mojo.contextLength = 256;
        mojo.batchSize = 8;
        mojo.steps = 1800;
        mojo.learningRate = 0.0015;
        mojo.minLrRatio = 0.1;
        mojo.warmupSteps = 100;
        mojo.schedule = "cosine";
        mojo.weightDecay = 0.1;
        mojo.beta1 = 0.9;
        mojo.beta2 = 0.95;
        mojo.gradClip = 1.0;
        mojo.seed = 3407;
        mojo.validationFraction = 0.05;
        mojo.evalInterval = 250;
        mojo.storage = "float16";
        return mojo;
    }

    @Test
    void defaultsMakeTheEmbeddedBaseModel() {
        Pretrainer.Settings settings = mojo().settings();
        assertEquals(LrSchedule.Kind.COSINE, settings.schedule());
        assertEquals(SafetensorsFile.DType.F16, settings.storage());
        assertEquals(4_999_424, settings.modelConfig().parameterCount());
        assertTrue(settings.modelConfig().numKeyValueHeads() < settings.modelConfig().numAttentionHeads());
    }

    static void rejects(String property, Consumer<PretrainMojo> change) {
        PretrainMojo mojo = mojo();
        change.accept(mojo);
        ConfigException e = assertThrows(ConfigException.class, mojo::settings);
        assertTrue(e.getMessage().startsWith("parameter " + property + " "), e.getMessage());
    }

    @Test
    void badSettingsNameTheirParameter() {
        rejects("lyrics.pretrain.kvHeads", m -> m.kvHeads = 3);
        rejects("lyrics.pretrain.heads", m -> m.heads = 3);
        rejects("lyrics.pretrain.heads", m -> m.heads = 256);
        rejects("lyrics.pretrain.vocabSize", m -> m.vocabSize = 200);
        rejects("lyrics.pretrain.learningRate", m -> m.learningRate = 0);
        rejects("lyrics.pretrain.schedule", m -> m.schedule = "step");
        rejects("lyrics.pretrain.storage", m -> m.storage = "int8");
        rejects("lyrics.pretrain.validationFraction", m -> m.validationFraction = 0.9);
        rejects("lyrics.pretrain.beta2", m -> m.beta2 = 1);
        rejects("lyrics.pretrain.steps", m -> m.steps = 0);
    }
}
