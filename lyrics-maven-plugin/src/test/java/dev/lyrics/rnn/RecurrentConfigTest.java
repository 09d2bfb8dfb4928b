package dev.lyrics.rnn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lyrics.core.ConfigException;
import org.junit.jupiter.api.Test;

class RecurrentConfigTest {
    private static RecurrentConfig with(String cell, String level, int hiddenSize, int sequenceLength) {
        return new RecurrentConfig(null, cell, level, 8, hiddenSize, 1, 0.0, sequenceLength, 4, 1, 0.01, 0.0, 1.0, 1, 0.1);
    }

    private static String failure(RecurrentConfig config) {
        return assertThrows(ConfigException.class, () -> config.validate("<recurrentModel> 2")).getMessage();
    }

    @Test
    void nameDefaultsToCellAndLevel() {
        assertEquals("rnn-gru-word", with("gru", "word", 8, 8).name());
        assertEquals("vocab_word.json", with("gru", "word", 8, 8).vocabFileName());
    }

    @Test
    void badSettingsAreNamedWithWhatToChange() {
        String unknownCell = failure(with("transformer", "char", 8, 8));
        assertTrue(unknownCell.contains("<recurrentModel> 2") && unknownCell.contains("<cell> is transformer")
                && unknownCell.contains("[rnn, lstm, gru]") && unknownCell.contains("experiment/pom.xml"), unknownCell);
        assertTrue(failure(with("lstm", "byte", 8, 8)).contains("<level> is byte: must be one of [char, word]"));
        assertTrue(failure(with("lstm", "char", 0, 8)).contains("<hiddenSize> is 0: must be at least 1"));
        assertTrue(failure(with("lstm", "char", 8, 1)).contains("<sequenceLength> is 1: must be at least 2"));
        RecurrentConfig noEmbedding = new RecurrentConfig(null, "rnn", "char", 0, 8, 1, 0.0, 8, 4, 1, 0.01, 0.0, 1.0, 1, 0.1);
        assertTrue(failure(noEmbedding).contains("<embeddingSize> is 0"));
        RecurrentConfig noLayers = new RecurrentConfig(null, "rnn", "char", 8, 8, 0, 0.0, 8, 4, 1, 0.01, 0.0, 1.0, 1, 0.1);
        assertTrue(failure(noLayers).contains("<layers> is 0"));
        RecurrentConfig noBatch = new RecurrentConfig(null, "rnn", "char", 8, 8, 1, 0.0, 8, 0, 1, 0.01, 0.0, 1.0, 1, 0.1);
        assertTrue(failure(noBatch).contains("<batchSize> is 0"));
    }

    @Test
    void settingsUseThePomElementNames() {
        assertEquals("[cell, level, embeddingSize, hiddenSize, layers, dropout, sequenceLength, batchSize, epochs, "
                + "learningRate, weightDecay, clipNorm, seed, validationFraction]", with("rnn", "char", 8, 8).settings().keySet().toString());
    }
}
