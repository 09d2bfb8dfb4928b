package dev.lyrics.dataset;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lyrics.core.ConfigException;
import dev.lyrics.core.InputException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PromptTemplateTest {
    static final String SYSTEM = "Below are some instructions that describe some tasks."
            + " Write responses that appropriately complete each request.";

    @Test
    void alpacaWithInput() {
        AlpacaRecord record = new AlpacaRecord("Write a psalm in the style of David.", "Psalm 23", "The LORD is my shepherd;");
        assertEquals(SYSTEM + "\n\n### Instruction:\nWrite a psalm in the style of David.\n\n### Input:\nPsalm 23"
                + "\n\n### Response:\nThe LORD is my shepherd;", PromptTemplate.alpaca().text(record));
    }

    @Test
    void emptyInputDropsTheInputBlock() {
        assertEquals(SYSTEM + "\n\n### Instruction:\nSing.\n\n### Response:\n", PromptTemplate.alpaca().prompt("Sing.", ""));
    }

    @Test
    void responseStartsWhereThePromptEnds() {
        AlpacaRecord record = new AlpacaRecord("Sing.", "", "la la");
        PromptTemplate template = PromptTemplate.alpaca();
        assertEquals("la la", template.text(record).substring(template.prompt(record).length()));
    }

    @Test
    void customTemplateWithEscapedNewlines() {
        PromptTemplate template = PromptTemplate.parse("Q: {instruction}\\n\\nContext: {input}\\n\\nA: ", "p");
        assertEquals("Q: x\n\nContext: y\n\nA: ", template.prompt("x", "y"));
        assertEquals("Q: x\n\nA: ", template.prompt("x", ""));
        assertEquals("Q: x, ", PromptTemplate.parse("Q: {instruction}, {input}", "p").prompt("x", ""));
        assertEquals("Q: x\n\nA: ", PromptTemplate.parse("C: {input}\\n\\nQ: {instruction}\\n\\nA: ", "p").prompt("x", ""));
    }

    @Test
    void templateWithoutInstructionNamesTheParameter() {
        ConfigException e = assertThrows(ConfigException.class,
                () -> PromptTemplate.parse("### Response:", "lyrics.finetune.promptTemplate"));
        assertTrue(e.getMessage().contains("lyrics.finetune.promptTemplate"), e.getMessage());
    }

    @Test
    void readsAlpacaJson(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("train.json");
        Files.writeString(file, "[{\"instruction\":\"i\",\"input\":\"\",\"output\":\"o\"},{\"instruction\":\"j\",\"output\":\"p\"}]");
        assertEquals(List.of(new AlpacaRecord("i", "", "o"), new AlpacaRecord("j", "", "p")), AlpacaRecord.read(file));
        Files.writeString(file, "[{\"instruction\":\"i\"}]");
        InputException e = assertThrows(InputException.class, () -> AlpacaRecord.read(file));
        assertTrue(e.getMessage().contains("record 0"), e.getMessage());
    }
}
