package dev.lyrics.mojo;

import dev.lyrics.cache.StageSpec;
import dev.lyrics.core.InputException;
import dev.lyrics.dataset.PromptTemplate;
import dev.lyrics.eval.ModelCatalog;
import dev.lyrics.eval.ModelLoader;
import dev.lyrics.eval.ModelUnderTest;
import dev.lyrics.eval.StudyModelLoader;
import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.maven.plugins.annotations.Parameter;

/**
 * A goal that reads the experiment's models, as lyrics:perplexity and lyrics:generate do: the base
 * checkpoint, the base with the fine-tune stage's adapter, and the recurrent models' stages.
 */
public abstract class AbstractEvaluationMojo extends AbstractModelMojo {
    /** The base checkpoint: a Hugging Face directory (config.json, safetensors, tokenizer.json). */
    @Parameter(property = "lyrics.baseModel", defaultValue = "${project.basedir}/../data/models/kjv-base")
    File baseModel;

    /** The stage whose LoRA adapter makes the "finetuned" model; none for no fine-tuned model. */
    @Parameter(property = "lyrics.finetuneStage", defaultValue = "finetune")
    String finetuneStage;

    /** Recurrent model stages: names, or globs over the stage directories that hold a model; none for none. */
    @Parameter(property = "lyrics.recurrentStages", defaultValue = "rnn-*")
    List<String> recurrentStages;

    /** The Alpaca template the transformers read, with {instruction}, {input} and {output}; the same as fine-tuning's. */
    @Parameter(property = "lyrics.promptTemplate", defaultValue = PromptTemplate.STUDY)
    String promptTemplate;

    /** Outputs of lyrics:preprocess that this goal reads, each checked to exist. */
    protected List<Path> preprocessed(String... files) {
        List<Path> paths = new ArrayList<>();
        for (String file : files) {
            Path path = stageDir("preprocess").resolve(file);
            if (!Files.isRegularFile(path)) {
                throw InputException.at(path, "not found; run lyrics:preprocess before lyrics:" + goal());
            }
            paths.add(path);
        }
        return paths;
    }

    /** The models these parameters name, base first, with the key of the stage that built each. */
    protected List<ModelUnderTest> models() throws IOException {
        return new ModelCatalog(outputDirectory.toPath(), goal()).discover(baseModel.toPath(), finetuneStage, nonBlank(recurrentStages));
    }

    /**
     * Makes the stage's key follow the models: their files, the key of the stage that built each
     * (the outputs name it) and where and how they run.
     */
    protected static void addModels(StageSpec.Builder spec, List<ModelUnderTest> models, ModelLoader loader) {
        for (ModelUnderTest model : models) {
            ModelCatalog.inputs(model).forEach(spec::input);
            spec.param("model." + model.name() + ".stageKey", model.stageKey());
        }
        loader.environment().forEach(spec::environment);
    }

    /** Where models are opened: a seam for tests, which use fake models. */
    ModelLoader modelLoader() {
        return studyModelLoader(0, 0);
    }

    /** The project's models on this goal's device, dtype and threads, scored with the given window. */
    protected StudyModelLoader studyModelLoader(int contextLength, int stride) {
        return new StudyModelLoader(device(), dtype(), threads, contextLength, stride, quantization());
    }

    /** A list parameter's entries; an empty property gives null or a blank entry. */
    protected static List<String> nonBlank(List<String> values) {
        return values == null ? List.of() : values.stream().filter(v -> v != null && !v.isBlank()).map(String::strip).toList();
    }
}
