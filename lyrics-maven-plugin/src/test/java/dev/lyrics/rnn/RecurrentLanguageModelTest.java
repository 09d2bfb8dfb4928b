package dev.lyrics.rnn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lyrics.core.InputException;
import dev.lyrics.core.Log;
import dev.lyrics.lm.Decoder;
import dev.lyrics.lm.ScoredText;
import dev.lyrics.model.SafetensorsFile;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RecurrentLanguageModelTest {
    static final List<String> SONGS = Fixtures.songs("the rain falls\non the plain, the rain", "a rose is a rose\nis a rose",
            "row, row, row\nyour boat", "gently down\nthe stream");

    @TempDir
    static Path tmp;

    @BeforeAll
    static void trainTinyModels() throws IOException {
        for (String cell : RecurrentConfig.CELLS) {
            RecurrentConfig config = new RecurrentConfig(null, cell, "char", 8, 16, 2, 0.0, 8, 2, 1, 0.01, 0.0, 1.0, 5, 0.25);
            new RecurrentTrainer(config, Fixtures.vocab("char", SONGS), 1, Log.SILENT)
                    .train(SONGS, Files.createDirectories(tmp.resolve(config.name())));
        }
        RecurrentConfig words = Fixtures.config("lstm", "word");
        new RecurrentTrainer(words, Fixtures.vocab("word", SONGS), 1, Log.SILENT)
                .train(SONGS, Files.createDirectories(tmp.resolve(words.name())));
    }

    @Test
    void scoringTwoSongsTogetherEqualsTheSumOfScoringEachAlone() throws IOException {
        for (String name : List.of("rnn-rnn-char", "rnn-lstm-char", "rnn-gru-char", "rnn-lstm-word")) {
            try (RecurrentLanguageModel model = RecurrentLanguageModel.load(tmp.resolve(name))) {
                String first = SONGS.get(0);
                String second = SONGS.get(2);
                ScoredText alone1 = model.score(first);
                ScoredText alone2 = model.score(second);
                ScoredText together = model.score(first + second);

                assertEquals(alone1.size() + alone2.size(), together.size(), name);
                for (int i = 0; i < together.size(); i++) {
                    boolean inFirst = i < alone1.size();
                    double expected = inFirst ? alone1.logProbs()[i] : alone2.logProbs()[i - alone1.size()];
                    int expectedEnd = inFirst ? alone1.unitEnds()[i] : first.length() + alone2.unitEnds()[i - alone1.size()];
                    assertEquals(expected, together.logProbs()[i], 1e-4, name + " unit " + i);
                    assertEquals(expectedEnd, together.unitEnds()[i], name + " unit " + i);
                }
                assertEquals(alone1.nllFrom(0) + alone2.nllFrom(0), together.nllFrom(0), 1e-3, name);
            }
        }
    }

    @Test
    void songStartIsReadNotScoredAndATextWithoutItIsReadAsIfItHadIt() throws IOException {
        try (RecurrentLanguageModel model = RecurrentLanguageModel.load(tmp.resolve("rnn-lstm-char"))) {
            String song = SONGS.get(1);
            ScoredText withStart = model.score(song);
            String body = song.substring("<|song_start|>".length());
            ScoredText without = model.score(body);

            assertEquals(body.length() - "<|song_end|>".length() + 1, withStart.size(),
                    "each char after <|song_start|> is a unit, and <|song_end|> is one");
            assertEquals(withStart.size(), without.size());
            for (int i = 0; i < without.size(); i++) {
                assertEquals(withStart.logProbs()[i], without.logProbs()[i], 1e-5);
            }
            assertEquals("<|song_start|>".length() + 1, withStart.unitEnds()[0]);
        }
    }

    @Test
    void decoderFollowsTheSameDistributionAsScoring() throws IOException {
        for (String name : List.of("rnn-gru-char", "rnn-lstm-word")) {
            try (RecurrentLanguageModel model = RecurrentLanguageModel.load(tmp.resolve(name))) {
                UnitCodec codec = UnitCodec.read(model.unit(), tmp.resolve(name).resolve("vocab.json"), null);
                String song = SONGS.get(0);
                int[] ids = codec.encode(song).ids();
                ScoredText scored = model.score(song);
                int prompt = 3;
                String promptText = song.substring(0, codec.encode(song).ends()[prompt - 1]);
                try (Decoder decoder = model.decoder(promptText)) {
                    for (int i = prompt; i < ids.length; i++) {
                        float[] logits = decoder.nextLogits();
                        assertEquals(scored.logProbs()[i - 1], logSoftmax(logits)[ids[i]], 1e-4, name + " unit " + i);
                        decoder.accept(ids[i]);
                    }
                    assertEquals(codec.songEndId(), decoder.endId());
                }
            }
        }
    }

    @Test
    void decodeJoinsUnitsAsTheyWouldFollowThePrompt() throws IOException {
        try (RecurrentLanguageModel wordModel = RecurrentLanguageModel.load(tmp.resolve("rnn-lstm-word"));
             RecurrentLanguageModel charModel = RecurrentLanguageModel.load(tmp.resolve("rnn-lstm-char"))) {
            UnitCodec words = UnitCodec.read("word", tmp.resolve("rnn-lstm-word/vocab.json"), null);
            UnitCodec chars = UnitCodec.read("char", tmp.resolve("rnn-lstm-char/vocab.json"), null);
            try (Decoder decoder = wordModel.decoder("<|song_start|>\nrow")) {
                assertEquals(", row, your boat\ngently",
                        decoder.decode(words.encode(", row, your boat\ngently").ids()));
            }
            try (Decoder decoder = charModel.decoder("")) {
                assertEquals("a rose,\nis", decoder.decode(chars.encode("a rose,\nis").ids()));
            }
        }
    }

    @Test
    void unknownWordsScoreAsTheUnknownUnit() throws IOException {
        try (RecurrentLanguageModel model = RecurrentLanguageModel.load(tmp.resolve("rnn-lstm-word"))) {
            ScoredText scored = model.score("<|song_start|>\nthe zebra  falls");
            ScoredText otherUnknown = model.score("<|song_start|>\nthe yak falls");

            assertArrayEquals(new int[] {15, 18, 24, 31}, scored.unitEnds());
            assertArrayEquals(otherUnknown.logProbs(), scored.logProbs(), 1e-6);
        }
    }

    @Test
    void aDirectoryWithoutAModelIsReportedByFile() {
        InputException e = assertThrows(InputException.class, () -> RecurrentLanguageModel.load(tmp.resolve("nothing")));
        assertEquals(true, e.getMessage().contains("model.safetensors"), e.getMessage());
    }

    @Test
    void savedWeightsCarryPyTorchNames() throws IOException {
        try (SafetensorsFile weights = SafetensorsFile.open(tmp.resolve("rnn-lstm-char/model.safetensors"))) {
            var tensors = weights.tensors();
            assertEquals(List.of("embedding.weight", "head.bias", "head.weight",
                    "rnn.bias_hh_l0", "rnn.bias_hh_l1", "rnn.bias_ih_l0", "rnn.bias_ih_l1",
                    "rnn.weight_hh_l0", "rnn.weight_hh_l1", "rnn.weight_ih_l0", "rnn.weight_ih_l1"), List.copyOf(tensors.keySet()));
            assertArrayEquals(new long[] {4 * 16, 8}, tensors.get("rnn.weight_ih_l0").shape());
            assertArrayEquals(new long[] {4 * 16, 16}, tensors.get("rnn.weight_ih_l1").shape());
            assertEquals(Map.of("format", "pt"), weights.metadata());
        }
    }

    @Test
    void weightsAreTheSafetensorsLayoutAllFloat32InNameOrder() throws IOException {
        ByteBuffer bytes = ByteBuffer.wrap(Files.readAllBytes(tmp.resolve("rnn-gru-char/model.safetensors")))
                .order(ByteOrder.LITTLE_ENDIAN);
        long headerLength = bytes.getLong();
        assertEquals(0, headerLength % 8, "data starts 8-byte aligned");
        String header = new String(bytes.array(), 8, (int) headerLength, StandardCharsets.UTF_8);
        // the vocabulary of SONGS has 26 units: embedding (26, 8) first, then head.bias (26)
        assertTrue(header.startsWith("{\"__metadata__\":{\"format\":\"pt\"},\"embedding.weight\":{\"data_offsets\":[0,832],"
                + "\"dtype\":\"F32\",\"shape\":[26,8]},\"head.bias\":{\"data_offsets\":[832,936],\"dtype\":\"F32\",\"shape\":[26]},"),
                header);
        assertFalse(header.contains("F16") || header.contains("BF16"), header);
    }

    /** A checkpoint written before the switch to AdamW and the shared writer (see its README.md) loads and scores as then. */
    @Test
    void aCheckpointOfCommit61d1d29LoadsAndScoresAsItDidThen() throws Exception {
        Path dir = Path.of(getClass().getResource("checkpoint-61d1d29/model.safetensors").toURI()).getParent();
        try (RecurrentLanguageModel model = RecurrentLanguageModel.load(dir)) {
            ScoredText scored = model.score(Fixtures.songs("the rain falls\non the plain").get(0));
            assertEquals(31, scored.size());
            assertEquals(97.95138788223267, scored.nllFrom(0), 1e-9);
        }
    }

    private static double[] logSoftmax(float[] logits) {
        double max = Double.NEGATIVE_INFINITY;
        for (float l : logits) {
            max = Math.max(max, l);
        }
        double sum = 0;
        for (float l : logits) {
            sum += Math.exp(l - max);
        }
        double log = max + Math.log(sum);
        double[] out = new double[logits.length];
        for (int i = 0; i < logits.length; i++) {
            out[i] = logits[i] - log;
        }
        return out;
    }
}
