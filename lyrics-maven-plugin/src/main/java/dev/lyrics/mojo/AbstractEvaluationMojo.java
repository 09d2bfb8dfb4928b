package dev.lyrics.mojo;

import dev.lyrics.dataset.PromptTemplate;
import dev.lyrics.eval.ModelCatalog;
import dev.lyrics.eval.ModelUnderTest;
import dev.lyrics.stage.Preprocess;
import java.io.File;
import java.io.IOException;
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

    /** What lyrics:preprocess published. */
    protected Preprocess.Outputs preprocess() {
        return new Preprocess.Outputs(stageDir(Preprocess.GOAL), OUTPUT_DIRECTORY);
    }

    /** The models these parameters name, base first, one fine-tuned model per seed, with the key of the stage that built each. */
    protected List<ModelUnderTest> models(List<Long> seeds) throws IOException {
        return new ModelCatalog(outputDirectory.toPath(), goal())
                .discover(baseModel.toPath(), finetuneStage, seeds, nonBlank(recurrentStages));
    }

    /** A list parameter's entries; an empty property gives null or a blank entry. */
    protected static List<String> nonBlank(List<String> values) {
        return values == null ? List.of() : values.stream().filter(v -> v != null && !v.isBlank()).map(String::strip).toList();
    }
}
