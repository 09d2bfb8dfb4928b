package dev.lyrics.rnn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.lyrics.core.Json;
import dev.lyrics.core.Log;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RecurrentTrainerTest {
    @TempDir
    Path tmp;

    @Test
    void tinyLstmLearnsARepeatingStringToNearZeroLoss() throws IOException {
        // long songs, so that the one unpredictable place (where the repetition ends) weighs little
        List<String> songs = Fixtures.songs("abc".repeat(80), "abc".repeat(80), "abc".repeat(80), "abc".repeat(80));
        RecurrentConfig config = new RecurrentConfig(null, "lstm", "char", 8, 32, 1, 0.0, 32, 4, 25, 0.02, 0.0, 1.0, 1, 0.25);

        RecurrentTrainer.Result result = new RecurrentTrainer(config, Fixtures.vocab("char", songs), 1, Log.SILENT)
                .train(songs, tmp);

        assertTrue(result.trainLoss() < 0.05, "train loss " + result.trainLoss());
        assertTrue(result.validationLoss() < 0.05, "validation loss " + result.validationLoss());
        for (String file : List.of("model.safetensors", "config.json", "vocab.json", "loss.jsonl")) {
            assertTrue(Files.isRegularFile(tmp.resolve(file)), file);
        }
    }

    @Test
    void aFixedSeedGivesIdenticalLossesAndWeights() throws IOException {
        List<String> songs = Fixtures.songs("the rain falls\non the plain", "a rose is a rose\nis a rose",
                "row row row\nyour boat", "gently down\nthe stream");
        RecurrentConfig config = new RecurrentConfig(null, "gru", "char", 8, 16, 2, 0.2, 8, 2, 2, 0.01, 0.01, 0.5, 11, 0.25);
        UnitCodec codec = Fixtures.vocab("char", songs);

        new RecurrentTrainer(config, codec, 1, Log.SILENT).train(songs, Files.createDirectories(tmp.resolve("a")));
        new RecurrentTrainer(config, codec, 1, Log.SILENT).train(songs, Files.createDirectories(tmp.resolve("b")));

        assertEquals(losses(tmp.resolve("a")), losses(tmp.resolve("b")));
        assertArrayEquals(Files.readAllBytes(tmp.resolve("a/model.safetensors")), Files.readAllBytes(tmp.resolve("b/model.safetensors")));
    }

    @Test
    void lossLogHasTrainAndValidationLinesPerEpoch() throws IOException {
        List<String> songs = Fixtures.songs("one two three", "four five six", "seven eight", "nine ten");
        new RecurrentTrainer(Fixtures.config("rnn", "word"), Fixtures.vocab("word", songs), 1, Log.SILENT).train(songs, tmp);

        List<String> lines = Files.readAllLines(tmp.resolve("loss.jsonl"));
        List<String> splits = new ArrayList<>();
        for (String line : lines) {
            JsonNode node = Json.MAPPER.readTree(line);
            splits.add(node.get("split").asText() + "@" + node.get("epoch").asInt());
            assertTrue(node.get("loss").asDouble() > 0);
        }
        assertEquals(List.of("validation@0", "train@1", "validation@1", "train@2", "validation@2"), splits);
    }

    /** Loss lines without the timing field, which differs run to run. */
    private static List<String> losses(Path dir) throws IOException {
        List<String> out = new ArrayList<>();
        for (String line : Files.readAllLines(dir.resolve("loss.jsonl"))) {
            out.add(line.replaceAll(",?\"tokens_per_s\":[0-9]+", ""));
        }
        return out;
    }
}
