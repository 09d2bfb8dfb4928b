package dev.lyrics.mojo;

import dev.lyrics.cache.StageRunner;
import dev.lyrics.cache.StageSpec;
import dev.lyrics.core.ConfigException;
import dev.lyrics.core.Log;
import dev.lyrics.dataset.SongText;
import dev.lyrics.rnn.RecurrentConfig;
import dev.lyrics.rnn.RecurrentTrainer;
import dev.lyrics.rnn.UnitCodec;
import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SortedMap;
import org.apache.maven.plugins.annotations.LifecyclePhase;
import org.apache.maven.plugins.annotations.Mojo;
import org.apache.maven.plugins.annotations.Parameter;

/**
 * Trains the experiment's models: the LoRA fine-tune of the base model and the recurrent
 * language models (RNN, LSTM, GRU on chars or words). Every model is its own stage with its own
 * cache key, so changing one model's settings retrains that model only.
 */
@Mojo(name = "finetune", defaultPhase = LifecyclePhase.COMPILE, threadSafe = true)
public class FinetuneMojo extends AbstractStageMojo {
    /** Skips this goal. */
    @Parameter(property = "lyrics.finetune.skip", defaultValue = "false")
    boolean skipFinetune;

    /** Skips the recurrent models (the LoRA fine-tune still runs). */
    @Parameter(property = "lyrics.finetune.recurrent.skip", defaultValue = "false")
    boolean skipRecurrent;

    /** The output directory of lyrics:preprocess: train_lyrics.txt, vocab_char.json, vocab_word.json. */
    @Parameter(property = "lyrics.finetune.preprocessDirectory", defaultValue = "${project.build.directory}/lyrics/preprocess")
    File preprocessDirectory;

    /** PyTorch threads for the recurrent models: one is fastest for small models on shared cores. */
    @Parameter(property = "lyrics.finetune.recurrent.threads", defaultValue = "1")
    int recurrentThreads;

    /**
     * The recurrent language models, one &lt;recurrentModel&gt; each (cell, level, embeddingSize,
     * hiddenSize, layers, dropout, sequenceLength, batchSize, epochs, learningRate, weightDecay,
     * clipNorm, seed, validationFraction, optional name); each trains into target/lyrics/&lt;name&gt;/.
     */
    @Parameter
    List<RecurrentModel> recurrentModels;

    @Override
    protected String goal() {
        return "finetune";
    }

    @Override
    protected boolean goalSkipped() {
        return skipFinetune;
    }

    @Override
    protected void run(StageRunner runner, Log log) throws Exception {
        // the LoRA fine-tune stage (train.json + base model -> finetune/) goes here, before the recurrent models
        if (skipRecurrent) {
            log.info("lyrics:finetune recurrent models skipped");
        } else {
            runRecurrentModels(runner, log);
        }
    }

    private void runRecurrentModels(StageRunner runner, Log log) throws Exception {
        ConfigException.require(recurrentThreads >= 1, "lyrics.finetune.recurrent.threads", recurrentThreads, "must be at least 1");
        List<RecurrentConfig> configs = recurrentConfigs();
        if (configs.isEmpty()) {
            log.info("lyrics:finetune no <recurrentModels> configured");
            return;
        }
        Path trainText = preprocessDirectory.toPath().resolve("train_lyrics.txt");
        requireInput(trainText);
        for (RecurrentConfig config : configs) {
            requireInput(preprocessDirectory.toPath().resolve(config.vocabFileName()));
        }
        SortedMap<String, String> environment = RecurrentTrainer.environment();
        int trained = 0;
        for (RecurrentConfig config : configs) {
            Path vocabFile = preprocessDirectory.toPath().resolve(config.vocabFileName());
            StageSpec.Builder spec = StageSpec.builder("finetune", config.name(), stageDir(config.name()))
                    .input("train_lyrics.txt", trainText)
                    .input(config.vocabFileName(), vocabFile);
            for (Map.Entry<String, Object> setting : config.settings().entrySet()) {
                spec.param("recurrent." + setting.getKey(), setting.getValue());
            }
            environment.forEach(spec::environment);
            boolean hit = runner.run(spec.build(), context -> {
                UnitCodec codec = UnitCodec.read(config.level(), vocabFile);
                List<String> songs = SongText.readLyrics(trainText).stream().map(SongText::block).toList();
                new RecurrentTrainer(config, codec, recurrentThreads, context.log()).train(songs, context.outputDir());
            }).hit();
            trained += hit ? 0 : 1;
        }
        log.info("lyrics:finetune recurrent models: " + trained + " trained, " + (configs.size() - trained) + " up to date");
    }

    /** Every model's settings, checked before any model trains. */
    private List<RecurrentConfig> recurrentConfigs() {
        List<RecurrentConfig> configs = new ArrayList<>();
        Set<String> names = new HashSet<>();
        List<RecurrentModel> models = recurrentModels == null ? List.of() : recurrentModels;
        for (int i = 0; i < models.size(); i++) {
            RecurrentConfig config = models.get(i).toConfig();
            config.validate("<recurrentModel> " + (i + 1) + " (" + config.name() + ")");
            if (!names.add(config.name())) {
                throw new ConfigException("recurrent model <recurrentModel> " + (i + 1) + ": the name " + config.name()
                        + " is used twice; give one of them a distinct <name> in the <recurrentModels> of experiment/pom.xml");
            }
            configs.add(config);
        }
        return configs;
    }

    private void requireInput(Path file) {
        ConfigException.require(Files.isRegularFile(file), "lyrics.finetune.preprocessDirectory", preprocessDirectory,
                "has no " + file.getFileName() + "; run lyrics:preprocess first or point it at a directory that has");
    }
}
