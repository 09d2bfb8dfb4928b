package dev.lyrics.mojo;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.lyrics.dataset.PromptTemplate;
import dev.lyrics.model.LlamaConfig;
import dev.lyrics.model.Torch;
import dev.lyrics.train.TinyBase;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.function.Consumer;
import org.apache.maven.plugin.MojoFailureException;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Every bad LoRA setting fails the build before any work, naming the parameter to change. */
class FinetuneMojoLoraTest {
    @TempDir
    static Path shared;
    static Path base;

    @TempDir
    Path dir;

    @BeforeAll
    static void writeBase() throws IOException {
        base = TinyBase.write(shared.resolve("base"));
    }

    FinetuneMojo mojo() throws IOException {
        Path preprocess = Files.createDirectories(dir.resolve("preprocess"));
        Files.writeString(preprocess.resolve("train.json"), "[{\"instruction\":\"i\",\"input\":\"\",\"output\":\"o\"}]");
        FinetuneMojo mojo = new FinetuneMojo();
        mojo.cacheDir = dir.resolve("cache").toFile();
        mojo.outputDirectory = dir.resolve("lyrics").toFile();
        mojo.preprocessDirectory = preprocess.toFile();
        mojo.baseModel = base.toFile();
        mojo.promptTemplate = PromptTemplate.STUDY;
        mojo.r = 32;
        mojo.alpha = 64;
        mojo.dropout = 0;
        mojo.targetModules = List.of("q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj");
        mojo.learningRate = 2e-4;
        mojo.weightDecay = 0.01;
        mojo.adamBeta1 = 0.9;
        mojo.adamBeta2 = 0.999;
        mojo.adamEpsilon = 1e-8;
        mojo.warmupSteps = 5;
        mojo.epochs = 3;
        mojo.batchSize = 2;
        mojo.gradientAccumulation = 8;
        mojo.seeds = List.of(3407L);
        mojo.maxSeqLength = 2048;
        mojo.maxGradNorm = 1.0;
        mojo.checkpointSteps = 5;
        mojo.device = "cpu";
        mojo.dtype = "float32";
        mojo.skipRecurrent = true;
        return mojo;
    }

    void assertFailsNaming(Consumer<FinetuneMojo> change, String... expected) throws IOException {
        FinetuneMojo mojo = mojo();
        change.accept(mojo);
        String message = assertThrows(MojoFailureException.class, mojo::execute).getMessage();
        for (String part : expected) {
            assertTrue(message.contains(part), message);
        }
        assertTrue(Files.notExists(dir.resolve("lyrics/finetune")), "nothing ran");
    }

    @Test
    void loraSettings() throws IOException {
        assertFailsNaming(m -> m.r = 0, "-Dlyrics.finetune.lora.r=", "<r>", "at least 1");
        assertFailsNaming(m -> m.alpha = 0, "-Dlyrics.finetune.lora.alpha=", "<alpha>");
        assertFailsNaming(m -> m.alpha = -16, "lyrics.finetune.lora.alpha");
        assertFailsNaming(m -> m.dropout = 1, "lyrics.finetune.lora.dropout", "[0, 1)");
        assertFailsNaming(m -> m.dropout = -0.1, "lyrics.finetune.lora.dropout");
        assertFailsNaming(m -> m.targetModules = List.of("q_proj", "c_attn"), "lyrics.finetune.lora.targetModules",
                "\"c_attn\" is not a projection of this architecture");
    }

    @Test
    void optimisationSettings() throws IOException {
        assertFailsNaming(m -> m.learningRate = 0, "lyrics.finetune.learningRate");
        assertFailsNaming(m -> m.learningRate = -1e-4, "lyrics.finetune.learningRate");
        assertFailsNaming(m -> m.batchSize = 0, "lyrics.finetune.batchSize");
        assertFailsNaming(m -> m.gradientAccumulation = 0, "lyrics.finetune.gradientAccumulation");
        assertFailsNaming(m -> m.epochs = 0, "lyrics.finetune.epochs");
        assertFailsNaming(m -> m.maxSeqLength = 1, "lyrics.finetune.maxSeqLength", "at least 2");
        assertFailsNaming(m -> m.weightDecay = -0.01, "lyrics.finetune.weightDecay");
        assertFailsNaming(m -> m.maxGradNorm = -1, "lyrics.finetune.maxGradNorm");
        assertFailsNaming(m -> m.promptTemplate = "### Response:", "lyrics.promptTemplate", "{output}");
        assertFailsNaming(m -> m.device = "tpu", "lyrics.device");
        assertFailsNaming(m -> m.dtype = "bfloat16", "lyrics.dtype");
        assertFailsNaming(m -> m.gradientCheckpointing = "yes", "lyrics.finetune.gradientCheckpointing", "auto, true or false");
        assertFailsNaming(m -> m.seeds = List.of(3407L, 3407L), "lyrics.finetune.seeds", "lists a seed twice");
        assertFailsNaming(m -> m.seeds = List.of(), "lyrics.finetune.seeds", "at least one seed");
    }

    @Test
    void aGpuThatIsNotThereFailsTheStageThatMustRunNamingTheDevice() throws IOException {
        assumeTrue(Torch.engine().getGpuCount() == 0, "checks a machine without a CUDA device");
        assertFailsNaming(m -> m.device = "gpu", "lyrics.device", "no CUDA device", "not in the cache");
    }

    @Test
    void baseModelDirectory() throws IOException {
        Path empty = Files.createDirectories(dir.resolve("empty"));
        assertFailsNaming(m -> m.baseModel = empty.toFile(), "-Dlyrics.baseModel=", "config.json");
        Path configOnly = Files.createDirectories(dir.resolve("config-only"));
        Files.copy(base.resolve("config.json"), configOnly.resolve("config.json"));
        assertFailsNaming(m -> m.baseModel = configOnly.toFile(), "lyrics.baseModel", "model.safetensors");
    }

    @Test
    void aTokenizerThatDoesNotFitTheModelsVocabulary() throws IOException {
        Path small = TinyBase.write(dir.resolve("small-vocab"), LlamaConfig.of(300, 32, 64, 2, 4, 2, 512, false));
        assertFailsNaming(m -> m.baseModel = small.toFile(), "lyrics.baseModel", "vocab_size is 300",
                "tokenizer and model do not belong together");
    }

    @Test
    void missingTrainingData() throws IOException {
        assertFailsNaming(m -> m.preprocessDirectory = dir.resolve("nowhere").toFile(),
                "lyrics.finetune.preprocessDirectory", "train.json: not found; run lyrics:preprocess");
    }
}
