package dev.lyrics.rnn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import com.fasterxml.jackson.databind.JsonNode;
import dev.lyrics.core.Json;
import dev.lyrics.core.Log;
import dev.lyrics.model.SafetensorsFile;
import dev.lyrics.model.Torch;
import dev.lyrics.train.TrainingDivergedException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SortedMap;
import java.util.TreeMap;
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

    @Test
    void aDivergingRunStopsNamingTheLearningRateAndPublishesNoModel() {
        List<String> songs = Fixtures.songs("the rain falls\non the plain", "a rose is a rose\nis a rose",
                "row row row\nyour boat", "gently down\nthe stream");
        // AdamW moves every weight by about the learning rate: 1e30 overflows the logits within a few steps
        RecurrentConfig config = new RecurrentConfig(null, "gru", "char", 8, 16, 1, 0.0, 8, 2, 2, 1e30, 0.0, 1.0, 11, 0.25);

        TrainingDivergedException e = assertThrows(TrainingDivergedException.class,
                () -> new RecurrentTrainer(config, Fixtures.vocab("char", songs), 1, Log.SILENT).train(songs, tmp));

        assertTrue(e.getMessage().matches("lyrics:finetune \\[rnn-gru-char\\] diverged at step [2-9] of 16: loss .*"),
                e.getMessage());
        assertTrue(e.getMessage().contains("lyrics.finetune.recurrent.learningRate"), e.getMessage());
        assertFalse(Files.exists(tmp.resolve("model.safetensors")));
    }

    /**
     * train/AdamW's decoupled weight decay on every parameter, one step from the same start: with
     * decay, each weight, bias or matrix, ends lr * wd * w0 below the run without (an L2 penalty
     * through the gradient, or decay on matrices only, would not).
     */
    @Test
    void weightDecayShrinksEveryParameterByLrTimesDecay() throws IOException {
        List<String> songs = Fixtures.songs("abc abc", "bca bca", "cab cab", "acb acb");
        double lr = 0.01;
        double decay = 0.5;
        UnitCodec codec = Fixtures.vocab("char", songs);
        // one chunk holds every training song: one optimiser step
        RecurrentConfig without = new RecurrentConfig(null, "lstm", "char", 4, 8, 1, 0.0, 32, 4, 1, lr, 0.0, 1.0, 3, 0.25);
        RecurrentConfig with = new RecurrentConfig(null, "lstm", "char", 4, 8, 1, 0.0, 32, 4, 1, lr, decay, 1.0, 3, 0.25);
        assertEquals(1, new RecurrentTrainer(without, codec, 1, Log.SILENT)
                .train(songs, Files.createDirectories(tmp.resolve("without"))).steps());
        new RecurrentTrainer(with, codec, 1, Log.SILENT).train(songs, Files.createDirectories(tmp.resolve("with")));

        SortedMap<String, float[]> plain = weights(tmp.resolve("without/model.safetensors"));
        SortedMap<String, float[]> decayed = weights(tmp.resolve("with/model.safetensors"));
        assertEquals(List.of("embedding.weight", "head.bias", "head.weight", "rnn.bias_hh_l0", "rnn.bias_ih_l0",
                "rnn.weight_hh_l0", "rnn.weight_ih_l0"), List.copyOf(plain.keySet()));
        for (String name : plain.keySet()) {
            float[] a = plain.get(name);
            float[] b = decayed.get(name);
            for (int i = 0; i < a.length; i++) {
                // w0 is within lr of the undecayed weight (Adam's first step moves it by at most lr)
                assertEquals(lr * decay * a[i], a[i] - b[i], lr * decay * lr * 1.01 + 1e-6, name + "[" + i + "]");
            }
        }
    }

    private static SortedMap<String, float[]> weights(Path file) throws IOException {
        SortedMap<String, float[]> out = new TreeMap<>();
        try (NDManager manager = Torch.engine().newBaseManager(); SafetensorsFile weights = SafetensorsFile.open(file)) {
            for (String name : weights.tensors().keySet()) {
                out.put(name, weights.load(name, manager, DataType.FLOAT32).toFloatArray());
            }
        }
        return out;
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
