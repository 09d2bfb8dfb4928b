package dev.lyrics.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.ndarray.types.DataType;
import dev.lyrics.core.Log;
import dev.lyrics.model.HfCheckpoint;
import dev.lyrics.model.LlamaModel;
import dev.lyrics.model.SafetensorsFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PretrainerTest {
    static final Pretrainer.Settings TINY = new Pretrainer.Settings(300, 32, 64, 2, 4, 2, 32, false,
            4, 6, 3e-3, 0.1, 2, LrSchedule.Kind.COSINE, 0.1, 0.9, 0.95, 1.0, 11, 0.25, 3, SafetensorsFile.DType.F16);

    /** Two books of the KJV's opening lines, as the corpus format has them. */
    static Path corpus(Path dir) throws Exception {
        List<String> lines = Files.readAllLines(Path.of("../data/kjv-pretrain.txt")).subList(0, 400);
        List<String> books = new ArrayList<>(lines.subList(0, 200));
        books.add("");
        books.addAll(lines.subList(200, 400));
        return Files.write(dir.resolve("corpus.txt"), books);
    }

    @Test
    void aSeededRunIsDeterministicToTheLastDigit(@TempDir Path dir) throws Exception {
        Path corpus = corpus(dir);
        Pretrainer.Result first = new Pretrainer(TINY, Device.cpu(), DataType.FLOAT32, Log.SILENT)
                .run(corpus, dir.resolve("a"), "mvn -Ppretrain");
        Pretrainer.Result second = new Pretrainer(TINY, Device.cpu(), DataType.FLOAT32, Log.SILENT)
                .run(corpus, dir.resolve("b"), "mvn -Ppretrain");
        assertEquals(6, first.trainLosses().size());
        assertEquals(first.trainLosses(), second.trainLosses());
        assertEquals(first.validationLosses(), second.validationLosses());
        assertEquals(List.of(3, 6), List.copyOf(first.validationLosses().keySet()));
        assertArrayEquals(Files.readAllBytes(dir.resolve("a/model.safetensors")),
                Files.readAllBytes(dir.resolve("b/model.safetensors")));
        assertTrue(first.trainLosses().get(5) < first.trainLosses().get(0), "training did not lower the loss");
    }

    @Test
    void aDivergingRunStopsByTheSharedRuleAndWritesNoModel(@TempDir Path dir) throws Exception {
        Path corpus = corpus(dir);
        Pretrainer.Settings absurd = new Pretrainer.Settings(300, 32, 64, 2, 4, 2, 32, false,
                4, 6, 1e30, 0.1, 0, LrSchedule.Kind.COSINE, 0.1, 0.9, 0.95, 1.0, 11, 0.25, 3, SafetensorsFile.DType.F16);
        TrainingDivergedException e = assertThrows(TrainingDivergedException.class,
                () -> new Pretrainer(absurd, Device.cpu(), DataType.FLOAT32, Log.SILENT)
                        .run(corpus, dir.resolve("model"), "mvn -Ppretrain"));
        assertTrue(e.getMessage().matches("lyrics:pretrain diverged at step [2-6] of 6: .*nothing is published\\. "
                + "Lower -Dlyrics\\.pretrain\\.learningRate.*"), e.getMessage());
        assertFalse(Files.exists(dir.resolve("model/model.safetensors")));
    }

    @Test
    void writesALoadableHuggingFaceDirectoryWithLossLogAndCard(@TempDir Path dir) throws Exception {
        Path out = dir.resolve("model");
        new Pretrainer(TINY, Device.cpu(), DataType.FLOAT32, Log.SILENT).run(corpus(dir), out, "mvn -Ppretrain verify");
        assertTrue(HfCheckpoint.isCheckpoint(out));
        for (String file : List.of("tokenizer.json", "tokenizer_config.json", "generation_config.json", "loss.jsonl", "README.md")) {
            assertTrue(Files.isRegularFile(out.resolve(file)), file);
        }
        List<String> log = Files.readAllLines(out.resolve("loss.jsonl"));
        assertEquals(6 + 2, log.size());
        assertTrue(log.get(0).contains("\"split\":\"train\"") && log.get(0).contains("\"lr\""), log.get(0));
        assertTrue(log.get(3).contains("\"split\":\"validation\""), log.get(3));
        String card = Files.readString(out.resolve("README.md"));
        assertTrue(card.contains("mvn -Ppretrain verify") && card.contains("Held-out loss"), card);
        try (LlamaModel model = LlamaModel.load(out, Device.cpu(), DataType.FLOAT32)) {
            assertEquals(300, model.config().vocabSize());
        }
    }

    @Test
    void schedulesFollowTransformers() {
        LrSchedule linear = new LrSchedule(LrSchedule.Kind.LINEAR, 2e-4, 5, 45, 0);
        assertEquals(0, linear.at(0));
        assertEquals(2e-4 * 4 / 5, linear.at(4), 1e-12);
        assertEquals(2e-4, linear.at(5), 1e-12);
        assertEquals(2e-4 / 40, linear.at(44), 1e-12);
        LrSchedule cosine = new LrSchedule(LrSchedule.Kind.COSINE, 1e-3, 10, 110, 0.1);
        assertEquals(1e-3, cosine.at(10), 1e-12);
        assertEquals(1e-3 * (0.1 + 0.9 * 0.5), cosine.at(60), 1e-12);
        assertEquals(1e-4, cosine.at(110), 1e-12);
    }
}
