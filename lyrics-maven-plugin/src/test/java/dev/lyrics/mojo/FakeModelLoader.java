package dev.lyrics.mojo;

import dev.lyrics.dataset.PromptTemplate;
import dev.lyrics.eval.ModelLoader;
import dev.lyrics.lm.LanguageModel;
import dev.lyrics.quant.Quantization;
import dev.lyrics.stage.Execution;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BiFunction;

/**
 * Opens fake models in place of the project's, and records the name of each model it opened; with
 * the stand-in model files that the evaluation goals look for before they open anything.
 */
final class FakeModelLoader implements ModelLoader {
    /** Where the fake models run, without starting an engine. */
    static final Execution EXECUTION = new Execution("fake", "cpu()", "float32", 0, Quantization.NONE);

    /** Which model to open for a name: the adapter directory for a transformer, null for a recurrent model. */
    private final BiFunction<String, Path, LanguageModel> models;
    private final List<String> opened = new ArrayList<>();

    FakeModelLoader(BiFunction<String, Path, LanguageModel> models) {
        this.models = models;
    }

    /**
     * Files where an evaluation mojo looks for models: dir/kjv-base (the base), lyricsDir/finetune
     * (the adapter) and lyricsDir/&lt;recurrentStage&gt;, with placeholder contents.
     */
    static void writeModelFiles(Path dir, Path lyricsDir, String recurrentStage) throws IOException {
        Files.writeString(Files.createDirectories(dir.resolve("kjv-base")).resolve("config.json"), "{}");
        Path finetune = Files.createDirectories(lyricsDir.resolve("finetune"));
        Files.writeString(finetune.resolve("adapter_config.json"), "{}");
        Files.writeString(finetune.resolve("adapter_model.safetensors"), "weights");
        Path rnn = Files.createDirectories(lyricsDir.resolve(recurrentStage));
        Files.writeString(rnn.resolve("config.json"), "{}");
        Files.writeString(rnn.resolve("vocab.json"), "{}");
        Files.writeString(rnn.resolve("model.safetensors"), "weights");
    }

    /** Points a mojo at those files and a cache in dir: every model, the study's template. */
    static <M extends AbstractEvaluationMojo> M configure(M mojo, Path dir, Path lyricsDir) {
        mojo.cacheDir = dir.resolve("cache").toFile();
        mojo.outputDirectory = lyricsDir.toFile();
        mojo.baseModel = dir.resolve("kjv-base").toFile();
        mojo.finetuneStage = "finetune";
        mojo.recurrentStages = List.of("rnn-*");
        mojo.promptTemplate = PromptTemplate.STUDY;
        return mojo;
    }

    /** The names of the models opened so far, in order. */
    List<String> opened() {
        return opened;
    }

    @Override
    public LanguageModel transformer(String name, Path modelDir, Path adapterDir) {
        opened.add(name);
        return models.apply(name, adapterDir);
    }

    @Override
    public LanguageModel recurrent(String name, Path stageDir) {
        opened.add(name);
        return models.apply(name, null);
    }
}
