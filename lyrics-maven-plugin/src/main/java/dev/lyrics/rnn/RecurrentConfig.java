package dev.lyrics.rnn;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonProperty;
import dev.lyrics.core.ConfigException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * One recurrent language model of the experiment: its architecture, its truncated
 * back-propagation-through-time schedule and its AdamW settings. Written as the model's
 * config.json (snake_case keys) and read back by {@link RecurrentLanguageModel#load}.
 *
 * @param name               stage name; "rnn-&lt;cell&gt;-&lt;level&gt;" when not given
 * @param cell               rnn (tanh), lstm or gru
 * @param level              char or word: which vocabulary and unit cutting ({@link dev.lyrics.dataset.TextUnits})
 * @param sequenceLength     units per truncated-BPTT chunk; the hidden state is carried across
 *                           consecutive chunks of a song and reset at &lt;|song_start|&gt;
 * @param clipNorm           gradients are rescaled so that their global L2 norm is at most this
 * @param validationFraction share of the training songs held out for validation loss
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record RecurrentConfig(
        @JsonProperty("name") String name,
        @JsonProperty("cell") String cell,
        @JsonProperty("level") String level,
        @JsonProperty("embedding_size") int embeddingSize,
        @JsonProperty("hidden_size") int hiddenSize,
        @JsonProperty("layers") int layers,
        @JsonProperty("dropout") double dropout,
        @JsonProperty("sequence_length") int sequenceLength,
        @JsonProperty("batch_size") int batchSize,
        @JsonProperty("epochs") int epochs,
        @JsonProperty("learning_rate") double learningRate,
        @JsonProperty("weight_decay") double weightDecay,
        @JsonProperty("clip_norm") double clipNorm,
        @JsonProperty("seed") int seed,
        @JsonProperty("validation_fraction") double validationFraction) {

    public static final List<String> CELLS = List.of("rnn", "lstm", "gru");
    public static final List<String> LEVELS = List.of("char", "word");

    public RecurrentConfig {
        if (name == null || name.isBlank()) {
            name = "rnn-" + cell + "-" + level;
        }
    }

    /** The vocabulary file preprocess writes for this model's level. */
    public String vocabFileName() {
        return "vocab_" + level + ".json";
    }

    /** Every setting by its POM element name, in declaration order: what a model's stage key records. */
    public Map<String, Object> settings() {
        Map<String, Object> settings = new LinkedHashMap<>();
        settings.put("cell", cell);
        settings.put("level", level);
        settings.put("embeddingSize", embeddingSize);
        settings.put("hiddenSize", hiddenSize);
        settings.put("layers", layers);
        settings.put("dropout", dropout);
        settings.put("sequenceLength", sequenceLength);
        settings.put("batchSize", batchSize);
        settings.put("epochs", epochs);
        settings.put("learningRate", learningRate);
        settings.put("weightDecay", weightDecay);
        settings.put("clipNorm", clipNorm);
        settings.put("seed", seed);
        settings.put("validationFraction", validationFraction);
        return settings;
    }

    /**
     * Fails with the offending setting named, before any model is built.
     *
     * @param where how the user finds this model's settings, e.g. "&lt;recurrentModels&gt; entry 2"
     */
    public void validate(String where) {
        require(CELLS.contains(cell), where, "cell", cell, "must be one of " + CELLS);
        require(LEVELS.contains(level), where, "level", level, "must be one of " + LEVELS);
        require(embeddingSize >= 1, where, "embeddingSize", embeddingSize, "must be at least 1");
        require(hiddenSize >= 1, where, "hiddenSize", hiddenSize, "must be at least 1");
        require(layers >= 1, where, "layers", layers, "must be at least 1");
        require(dropout >= 0 && dropout < 1, where, "dropout", dropout, "must be in [0, 1)");
        require(sequenceLength >= 2, where, "sequenceLength", sequenceLength, "must be at least 2");
        require(batchSize >= 1, where, "batchSize", batchSize, "must be at least 1");
        require(epochs >= 1, where, "epochs", epochs, "must be at least 1");
        require(learningRate > 0, where, "learningRate", learningRate, "must be positive");
        require(weightDecay >= 0, where, "weightDecay", weightDecay, "must not be negative");
        require(clipNorm > 0, where, "clipNorm", clipNorm, "must be positive");
        require(validationFraction > 0 && validationFraction < 1, where, "validationFraction", validationFraction,
                "must be in (0, 1)");
        require(name.matches("[A-Za-z0-9][A-Za-z0-9._-]*"), where, "name", name,
                "must be a simple stage name (letters, digits, '.', '_', '-')");
    }

    private static void require(boolean ok, String where, String element, Object value, String requirement) {
        if (!ok) {
            throw new ConfigException(String.format(Locale.ROOT,
                    "recurrent model %s: <%s> is %s: %s; change it in the <recurrentModels> of experiment/pom.xml",
                    where, element, value, requirement));
        }
    }
}
