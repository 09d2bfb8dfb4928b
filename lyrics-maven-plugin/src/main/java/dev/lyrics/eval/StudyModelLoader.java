package dev.lyrics.eval;

import ai.djl.engine.Engine;
import java.nio.file.Path;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * Opens the project's own models for lyrics:perplexity.
 *
 * <p>NOT WIRED YET: the transformer (dev.lyrics.model.TransformerLanguageModel) and the recurrent
 * models (dev.lyrics.rnn.RecurrentLanguageModel) are being written beside this class. Wiring is
 * the two methods below: open the model with this loader's context, stride and vocabularies,
 * make {@link LanguageModel#window()} return the window it scores with (resolving context 0 to
 * the model's max_position_embeddings and stride 0 to half the context), and implement
 * {@link LanguageModel#score(java.util.List)} batched, without gradients, in an NDManager scope per batch.
 */
public final class StudyModelLoader implements ModelLoader {
    private final int contextLength;
    private final int stride;
    private final Path vocabularyDir;

    /**
     * @param contextLength most tokens a transformer window reads; 0 for the model's max_position_embeddings
     * @param stride        how far windows advance; 0 for half the context
     * @param vocabularyDir where vocab_char.json and vocab_word.json are (the preprocess stage)
     */
    public StudyModelLoader(int contextLength, int stride, Path vocabularyDir) {
        this.contextLength = contextLength;
        this.stride = stride;
        this.vocabularyDir = vocabularyDir;
    }

    @Override
    public LanguageModel transformer(String name, Path modelDir, Path adapterDir) {
        throw new IllegalStateException("lyrics:perplexity cannot open " + name + " yet: StudyModelLoader.transformer is"
                + " not wired to dev.lyrics.model.TransformerLanguageModel (context " + contextLength + ", stride " + stride + ")");
    }

    @Override
    public LanguageModel recurrent(String name, Path stageDir) {
        throw new IllegalStateException("lyrics:perplexity cannot open " + name + " yet: StudyModelLoader.recurrent is"
                + " not wired to dev.lyrics.rnn.RecurrentLanguageModel (vocabularies in " + vocabularyDir + ")");
    }

    @Override
    public SortedMap<String, String> environment() {
        Engine engine = Engine.getInstance();
        SortedMap<String, String> environment = new TreeMap<>();
        environment.put("engine", engine.getEngineName() + " " + engine.getVersion());
        environment.put("device", engine.defaultDevice().toString());
        environment.put("dtype", "float32");
        return environment;
    }
}
