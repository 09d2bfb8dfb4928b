package dev.lyrics.mojo;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.apache.maven.plugin.MojoFailureException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FinetuneMojoTest {
    @TempDir
    Path tmp;

    private FinetuneMojo mojo(RecurrentModel... models) throws IOException {
        Path preprocess = Files.createDirectories(tmp.resolve("preprocess"));
        Files.writeString(preprocess.resolve("train_lyrics.txt"), "<|song_start|>\na\n<|song_end|>\n");
        Files.writeString(preprocess.resolve("vocab_char.json"), "{\"<pad>\":0,\"<unk>\":1,\"<|song_start|>\":2,\"<|song_end|>\":3}");
        FinetuneMojo mojo = new FinetuneMojo();
        mojo.cacheDir = tmp.resolve("cache").toFile();
        mojo.outputDirectory = tmp.resolve("lyrics").toFile();
        mojo.preprocessDirectory = preprocess.toFile();
        mojo.threads = 1;
        mojo.recurrentModels = List.of(models);
        // the LoRA fine-tune has its own tests (FinetuneMojoLoraTest)
        mojo.skipLora = true;
        return mojo;
    }

    private static RecurrentModel model(String cell, String level) {
        RecurrentModel model = new RecurrentModel();
        model.cell = cell;
        model.level = level;
        return model;
    }

    @Test
    void aBadModelFailsTheBuildBeforeAnyModelTrains() throws IOException {
        RecurrentModel tooShort = model("gru", "char");
        tooShort.sequenceLength = 1;
        FinetuneMojo mojo = mojo(model("lstm", "char"), tooShort);

        String message = assertThrows(MojoFailureException.class, mojo::execute).getMessage();

        assertTrue(message.contains("<recurrentModel> 2 (rnn-gru-char): <sequenceLength> is 1: must be at least 2"), message);
        assertTrue(Files.notExists(tmp.resolve("lyrics/rnn-lstm-char")), "the valid model did not train");
    }

    @Test
    void aMissingVocabularyNamesTheDirectoryParameter() throws IOException {
        FinetuneMojo mojo = mojo(model("lstm", "char"), model("lstm", "word"));

        String message = assertThrows(MojoFailureException.class, mojo::execute).getMessage();

        assertTrue(message.contains("lyrics.finetune.preprocessDirectory") && message.contains("vocab_word.json: not found; run lyrics:preprocess"), message);
        assertTrue(Files.notExists(tmp.resolve("lyrics/rnn-lstm-char")));
    }

    @Test
    void twoModelsWithOneNameAreRefused() throws IOException {
        FinetuneMojo mojo = mojo(model("lstm", "char"), model("lstm", "char"));
        String message = assertThrows(MojoFailureException.class, mojo::execute).getMessage();
        assertTrue(message.contains("rnn-lstm-char is used twice"), message);
    }
}
