package dev.lyrics.eval;

import java.nio.file.Path;

/**
 * A model to evaluate, as the build found it.
 *
 * @param name       its name in tables and the baseline file ("base", "finetuned", "rnn-lstm-char")
 * @param family     which form of the test split it reads
 * @param modelDir   the checkpoint: a Hugging Face directory, or a recurrent model's stage directory
 * @param adapterDir the LoRA adapter applied on top of a transformer, or null
 * @param stage      the build stage that produced it, or null for a checkpoint given as is
 * @param stageKey   that stage's cache key (from target/lyrics/stages/&lt;stage&gt;.json), or null
 */
public record ModelUnderTest(String name, ModelFamily family, Path modelDir, Path adapterDir, String stage, String stageKey) {}
