package dev.lyrics.train;

import ai.djl.Device;
import ai.djl.ndarray.types.DataType;
import dev.lyrics.model.HfCheckpoint;
import dev.lyrics.model.LlamaConfig;
import dev.lyrics.model.LlamaModel;
import dev.lyrics.model.SafetensorsFile;
import dev.lyrics.tokenizer.BpeTrainer;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/** A randomly initialised Hugging Face base directory small enough for tests: 320 tokens, 2 layers of 32. */
public final class TinyBase {
    public static final LlamaConfig CONFIG = LlamaConfig.of(320, 32, 64, 2, 4, 2, 512, false);
    public static final List<String> CORPUS = List.of(
            "Below are some instructions that describe some tasks. Write responses that appropriately complete each request.",
            "### Instruction:\nWrite a psalm.\n\n### Input:\nHelp me write a song in the style of David.\n\n### Response:\n",
            "The LORD is my shepherd; I shall not want. He maketh me to lie down in green pastures.",
            "Praise ye the LORD. O give thanks unto the LORD; for he is good: for his mercy endureth for ever.");

    private TinyBase() {}

    public static Path write(Path dir) throws IOException {
        return write(dir, CONFIG);
    }

    public static Path write(Path dir, LlamaConfig config) throws IOException {
        BpeTrainer.write(new BpeTrainer(320, 2).train(CORPUS), dir, 512);
        try (LlamaModel model = LlamaModel.initialize(config, 1, Device.cpu(), DataType.FLOAT32)) {
            HfCheckpoint.save(dir, config, model.parameters(), SafetensorsFile.DType.F32);
        }
        return dir;
    }
}
