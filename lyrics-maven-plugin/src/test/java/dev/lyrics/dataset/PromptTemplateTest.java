package dev.lyrics.dataset;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class PromptTemplateTest {
    @Test
    void rendersTheStudysTemplateAndMarksTheResponse() {
        PromptTemplate.Rendered rendered = new PromptTemplate(PromptTemplate.STUDY)
                .render(new AlpacaRecord("Write a psalm.", "David", "Sing unto the LORD."));
        assertEquals("Below are some instructions that describe some tasks. Write responses that appropriately complete each request.\n\n"
                + "### Instruction:\nWrite a psalm.\n\n### Input:\nDavid\n\n### Response:\nSing unto the LORD.", rendered.text());
        assertEquals("Sing unto the LORD.", rendered.response());
        assertEquals(rendered.text().length(), rendered.responseEnd());
    }

    @Test
    void leavesBracesInsideValuesAlone() {
        PromptTemplate.Rendered rendered = new PromptTemplate("I: {instruction} O: {output} end")
                .render(new AlpacaRecord("say {output}", "", "{input} x"));
        assertEquals("I: say {output} O: {input} x end", rendered.text());
        assertEquals("{input} x", rendered.response());
    }

    @Test
    void requiresTheOutputPlaceholderExactlyOnce() {
        assertThrows(IllegalArgumentException.class, () -> new PromptTemplate("{instruction}"));
        assertThrows(IllegalArgumentException.class, () -> new PromptTemplate("{output}{output}"));
    }
}
