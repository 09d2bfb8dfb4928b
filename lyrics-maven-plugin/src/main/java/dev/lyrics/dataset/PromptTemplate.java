package dev.lyrics.dataset;

import dev.lyrics.core.ConfigException;

/**
 * How an Alpaca record becomes model text, shared by fine-tuning, perplexity and generation so
 * that all three see the same prompt. The template is the text before the response, with
 * {instruction} and {input} placeholders; the response follows it directly, and the tokenizer's
 * BOS comes before and EOS after (added as token ids, not text). A paragraph (text between blank
 * lines) that holds {input} is dropped when the input is empty, as Alpaca does for records
 * without context; a template without blank lines just gets an empty input. The two-character sequence backslash-n stands for a newline, so the template
 * fits on one line of a POM, where Maven would trim a trailing newline.
 */
public final class PromptTemplate {
    /** The study's template: Unsloth's Alpaca chat template with the Input block of the Alpaca data set. */
    public static final String ALPACA = "Below are some instructions that describe some tasks."
            + " Write responses that appropriately complete each request.\\n\\n### Instruction:\\n{instruction}"
            + "\\n\\n### Input:\\n{input}\\n\\n### Response:\\n";

    private static final String INSTRUCTION = "{instruction}";
    private static final String INPUT = "{input}";

    private final String template;

    private PromptTemplate(String template) {
        this.template = template;
    }

    /**
     * @param text     the template as written in the POM (backslash-n escapes allowed)
     * @param property the parameter it came from, named in the error when it lacks {instruction}
     */
    public static PromptTemplate parse(String text, String property) {
        String template = text.replace("\\n", "\n");
        ConfigException.require(template.contains(INSTRUCTION), property, "\"" + text + "\"",
                "must contain the placeholder " + INSTRUCTION);
        return new PromptTemplate(template);
    }

    public static PromptTemplate alpaca() {
        return parse(ALPACA, "lyrics.finetune.promptTemplate");
    }

    /** The text the model reads before it writes the response. */
    public String prompt(String instruction, String input) {
        String body = input == null || input.isEmpty() ? withoutInputParagraph() : template;
        return body.replace(INSTRUCTION, instruction).replace(INPUT, input == null ? "" : input);
    }

    public String prompt(AlpacaRecord record) {
        return prompt(record.instruction(), record.input());
    }

    /** Prompt and response as one text; the response starts at {@code prompt(record).length()}. */
    public String text(AlpacaRecord record) {
        return prompt(record) + record.output();
    }

    private String withoutInputParagraph() {
        int at = template.indexOf(INPUT);
        if (at < 0) {
            return template;
        }
        int blankBefore = template.lastIndexOf("\n\n", at);
        int blankAfter = template.indexOf("\n\n", at);
        int start = blankBefore < 0 ? 0 : blankBefore;
        int end = blankAfter < 0 ? template.length() : blankAfter;
        if (template.substring(start, end).contains(INSTRUCTION) || (blankBefore < 0 && blankAfter < 0)) {
            return template;
        }
        // keep one of the two blank lines around the dropped paragraph
        return blankBefore < 0 ? template.substring(end + 2) : template.substring(0, start) + template.substring(end);
    }
}
