package dev.lyrics.generate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lyrics.core.Json;
import dev.lyrics.core.Log;
import dev.lyrics.dataset.PromptTemplate;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class GenerationTest {
    private static final SamplingSettings SETTINGS = new SamplingSettings(0.8, 50, 0.9, 1.3, 30);

    @Test
    void alpacaPromptEndsWhereTheResponseBegins() {
        String prompt = Generation.alpacaPrompt(new PromptTemplate(PromptTemplate.STUDY), "Write a song.",
                "Help me write a song in the style of {artist}.", "Asaph");
        assertTrue(prompt.endsWith("### Input:\nHelp me write a song in the style of Asaph.\n\n### Response:\n"), prompt);
        assertTrue(prompt.contains("### Instruction:\nWrite a song.\n"), prompt);
    }

    /**
     * The first 8 bytes (big-endian) of SHA-256("seed\nartist"), taken from coreutils:
     * printf '3407\nDavid' | sha256sum gives 4dbbc63b595fd5ea..., printf '3407\nAsaph' 2cb93d263d621c41...,
     * printf '3407\n' (no artist) af9a0f52e189461a...
     */
    @Test
    void seedsArePerArtistAndStable() {
        assertEquals(0x4dbbc63b595fd5eaL, Generation.seedFor(3407, "David"));
        assertEquals(0x2cb93d263d621c41L, Generation.seedFor(3407, "Asaph"));
        assertEquals(0xaf9a0f52e189461aL, Generation.seedFor(3407, null));
        assertNotEquals(Generation.seedFor(3407, "David"), Generation.seedFor(3407, "Asaph"));
        assertNotEquals(Generation.seedFor(3407, "David"), Generation.seedFor(3408, "David"));
    }

    @Test
    void samplesEveryPlannedPromptAndWritesThemReproducibly(@TempDir Path dir) throws Exception {
        CopyIndex training = new CopyIndex(List.of(LyricText.words("la da love night city lights")));
        List<Generation.Plan> plans = List.of(
                new Generation.Plan("finetuned", FakeLanguageModel::new, List.of(
                        new Generation.Prompt("David", "Help me write la", 0.8, Generation.seedFor(1, "David")),
                        new Generation.Prompt("Asaph", "Help me write da", 0.7, Generation.seedFor(1, "Asaph")))),
                new Generation.Plan("rnn-gru-word", FakeLanguageModel::new, List.of(
                        new Generation.Prompt(null, "\n", 0.8, Generation.seedFor(1, null)))));
        List<Sample> samples = Generation.sample(plans, SETTINGS, training, Log.SILENT);
        assertEquals(List.of("finetuned", "finetuned", "rnn-gru-word"), samples.stream().map(Sample::model).toList());
        assertEquals(0.7, samples.get(1).temperature());
        assertEquals(Json.pretty(samples), Json.pretty(Generation.sample(plans, SETTINGS, training, Log.SILENT)),
                "seeded: the same plan samples the same texts");

        Samples.Reference reference = Generation.reference("test split",
                List.of("la la\nla la", "love night city lights"), training);
        assertEquals(2, reference.songs());
        assertEquals(0.25, reference.mean().get("repeated_line_rate")); // (1/2 + 0) / 2
        assertEquals(2.5, reference.mean().get("longest_copied_span")); // (1 + 4) / 2

        Samples written = new Samples(SETTINGS, 1, reference, samples);
        Path file = dir.resolve("samples.json");
        Json.write(file, written);
        Samples read = Samples.read(file);
        assertEquals(Json.pretty(written), Json.pretty(read));

        String markdown = SamplesMarkdown.render(read);
        assertTrue(markdown.contains("| finetuned | Asaph | 0.7 |"), markdown);
        assertTrue(markdown.contains("test split (mean of 2 songs)"), markdown);
    }
}
