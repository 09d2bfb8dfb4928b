package dev.lyrics.stage;

import dev.lyrics.cache.Stage;
import dev.lyrics.cache.StageContext;
import dev.lyrics.core.InputException;
import dev.lyrics.train.Pretrainer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/**
 * lyrics:pretrain: a small Llama-architecture base model and its byte-level BPE tokenizer, trained
 * from scratch on a text corpus and written in the Hugging Face layout.
 */
public final class Pretrain implements Stage<Pretrain.Settings> {
    public static final String GOAL = "pretrain";

    /** How the experiment POM's profile runs this goal (written into the model card). */
    public static final String REBUILD_COMMAND = "mvn -B -q install -pl .,lyrics-maven-plugin && mvn -B -Ppretrain validate -pl experiment";

    /**
     * @param corpus    one passage per line, documents separated by blank lines
     * @param model     the model, its tokenizer and how they are trained
     * @param execution where and how the model trains
     */
    public record Settings(Path corpus, Pretrainer.Settings model, Execution execution) {
        public Settings {
            if (!Files.isRegularFile(corpus)) {
                throw InputException.at(corpus, "corpus file not found; set <corpusFile> or -Dlyrics.pretrain.corpusFile");
            }
        }
    }

    @Override
    public String goal() {
        return GOAL;
    }

    @Override
    public void run(Settings settings, StageContext context) throws Exception {
        Execution execution = settings.execution();
        execution.startEngine();
        String command = REBUILD_COMMAND + "\n# trained on " + Pretrainer.describe(execution.toDevice()) + ", "
                + execution.dtype() + ", " + (execution.threads() == 0 ? "one thread per core"
                        : execution.threads() == 1 ? "1 thread" : execution.threads() + " threads");
        Pretrainer.Result trained = new Pretrainer(settings.model(), execution.toDevice(), execution.toDtype(), context.log())
                .run(settings.corpus(), context.outputDir(), command);
        double validation = trained.validationLosses().values().stream().reduce((a, b) -> b).orElse(Double.NaN);
        context.log().info(String.format(Locale.ROOT, "lyrics:pretrain finished: held-out loss %.4f after %d steps, %.1f min",
                validation, settings.model().steps(), trained.seconds() / 60));
    }
}
