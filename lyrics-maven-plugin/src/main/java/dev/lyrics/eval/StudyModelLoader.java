package dev.lyrics.eval;

import ai.djl.ndarray.types.DataType;
import dev.lyrics.model.Torch;
import dev.lyrics.rnn.RecurrentLanguageModel;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.SortedMap;

/**
 * Opens the project's own models for lyrics:perplexity.
 *
 * <p>The recurrent models are {@code RecurrentLanguageModel.load(stageDir)}. NOT WIRED YET: the
 * transformer (dev.lyrics.model). Wiring it: open the base checkpoint, apply the adapter when there is one, score
 * with this loader's context and stride, make {@link LanguageModel#window()} return the window it
 * scores with (context 0 resolved to the model's max_position_embeddings, stride 0 to half the
 * context), and implement {@link LanguageModel#score(java.util.List)} batched, without gradients,
 * in an NDManager scope per batch.
 */
public final class StudyModelLoader implements ModelLoader {
    private final int contextLength;
    private final int stride;

    /**
     * @param contextLength most tokens a transformer window reads; 0 for the model's max_position_embeddings
     * @param stride        how far windows advance; 0 for half the context
     */
    public StudyModelLoader(int contextLength, int stride) {
        this.contextLength = contextLength;
        this.stride = stride;
    }

    @Override
    public LanguageModel transformer(String name, Path modelDir, Path adapterDir) {
        throw new IllegalStateException("lyrics:perplexity cannot open " + name + " yet: StudyModelLoader.transformer is"
                + " not wired to the dev.lyrics.model decoder (context " + contextLength + ", stride " + stride + ")");
    }

    @Override
    public LanguageModel recurrent(String name, Path stageDir) {
        try {
            return RecurrentLanguageModel.load(stageDir);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read recurrent model " + name + " from " + stageDir, e);
        }
    }

    @Override
    public SortedMap<String, String> environment() {
        return Torch.environment(Torch.engine().defaultDevice(), DataType.FLOAT32);
    }
}
