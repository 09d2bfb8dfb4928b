package dev.lyrics.eval;

import dev.lyrics.lm.LanguageModel;
import java.nio.file.Path;

/**
 * Opens the models lyrics:perplexity evaluates: the one place that knows the model classes.
 * Scoring settings (context, stride) are the loader's, fixed when it is made.
 */
public interface ModelLoader {
    /**
     * A decoder from a Hugging Face directory (config.json, safetensors, tokenizer.json), with a
     * peft LoRA adapter applied when {@code adapterDir} is not null.
     */
    LanguageModel transformer(String name, Path modelDir, Path adapterDir);

    /** A recurrent model from its stage directory (model.safetensors, config.json). */
    LanguageModel recurrent(String name, Path stageDir);
}
