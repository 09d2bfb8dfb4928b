package dev.lyrics.stage;

import dev.lyrics.cache.Stage;
import dev.lyrics.cache.StageContext;
import dev.lyrics.core.ConfigException;
import dev.lyrics.dataset.SongText;
import dev.lyrics.rnn.RecurrentConfig;
import dev.lyrics.rnn.RecurrentTrainer;
import dev.lyrics.rnn.UnitCodec;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * lyrics:finetune, a recurrent baseline (RNN, LSTM or GRU on chars or words): trained on the train
 * split's lyrics into target/lyrics/&lt;name&gt;/. One stage per model.
 */
public final class RecurrentFinetune implements Stage<RecurrentFinetune.Settings> {
    /** Named in errors about the files read from the preprocess stage. */
    private static final String PREPROCESS_DIRECTORY = "lyrics.finetune.preprocessDirectory";

    /**
     * @param trainLyrics the preprocess stage's train_lyrics.txt
     * @param vocabulary  its vocabulary of the model's level
     * @param model       the architecture, schedule and optimiser
     * @param execution   where and how the model trains
     */
    public record Settings(Path trainLyrics, Path vocabulary, RecurrentConfig model, Execution execution) {}

    /**
     * Every model's settings, checked before any model trains: each valid, no stage name twice.
     *
     * @param preprocess the preprocess stage's outputs
     */
    public static List<Settings> of(List<RecurrentConfig> models, Preprocess.Outputs preprocess, Execution execution) {
        List<Settings> settings = new ArrayList<>();
        Set<String> names = new HashSet<>();
        for (int i = 0; i < models.size(); i++) {
            RecurrentConfig config = models.get(i);
            config.validate("<recurrentModel> " + (i + 1) + " (" + config.name() + ")");
            if (!names.add(config.name())) {
                throw new ConfigException("recurrent model <recurrentModel> " + (i + 1) + ": the name " + config.name()
                        + " is used twice; give one of them a distinct <name> in the <recurrentModels> of experiment/pom.xml");
            }
            settings.add(new Settings(preprocess.trainLyrics(), preprocess.vocabulary(config.vocabFileName()), config, execution));
        }
        return settings;
    }

    @Override
    public String goal() {
        return Finetune.GOAL;
    }

    @Override
    public void run(Settings settings, StageContext context) throws Exception {
        RecurrentConfig config = settings.model();
        UnitCodec codec = UnitCodec.read(config.level(), settings.vocabulary(), PREPROCESS_DIRECTORY);
        List<String> songs = SongText.readLyrics(settings.trainLyrics(), PREPROCESS_DIRECTORY).stream().map(SongText::block).toList();
        new RecurrentTrainer(config, codec, settings.execution().threads(), context.log()).train(songs, context.outputDir());
    }
}
