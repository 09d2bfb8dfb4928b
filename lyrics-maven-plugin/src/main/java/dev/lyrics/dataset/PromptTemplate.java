package dev.lyrics.dataset;

import dev.lyrics.core.ConfigException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The text a transformer reads for an Alpaca record: the template with {instruction}, {input} and
 * {output} filled in, and where the response (the output) lies in it, so training can mask the
 * prompt and evaluation can score the response alone.
 */
public final class PromptTemplate {
    /** The study's template: its system line, then Instruction, Input and Response blocks. */
    public static final String STUDY = "Below are some instructions that describe some tasks."
            + " Write responses that appropriately complete each request.\n\n"
            + "### Instruction:\n{instruction}\n\n"
            + "### Input:\n{input}\n\n"
            + "### Response:\n{output}";

    private static final Pattern PLACEHOLDER = Pattern.compile("\\{(instruction|input|output)}");
    private static final String OUTPUT = "{output}";

    private final String template;

    /** @throws IllegalArgumentException when {output} is not in the template exactly once */
    /** The lyrics.promptTemplate parameter, checked: an error names the property. */
    public static PromptTemplate parameter(String template) {
        try {
            return new PromptTemplate(template);
        } catch (IllegalArgumentException e) {
            throw ConfigException.of("lyrics.promptTemplate", "\"" + template + "\"", e.getMessage());
        }
    }

    public PromptTemplate(String template) {
        int first = template.indexOf(OUTPUT);
        if (first < 0 || template.indexOf(OUTPUT, first + 1) >= 0) {
            throw new IllegalArgumentException("must contain {output} exactly once");
        }
        this.template = template;
    }

    public String template() {
        return template;
    }

    /**
     * A rendered record.
     *
     * @param text          the whole text
     * @param responseStart char index where the output begins
     * @param responseEnd   char index just after the output
     */
    public record Rendered(String text, int responseStart, int responseEnd) {
        public String response() {
            return text.substring(responseStart, responseEnd);
        }
    }

    /** Fills the placeholders in one pass, so braces inside the values are left alone. */
    public Rendered render(AlpacaRecord record) {
        StringBuilder text = new StringBuilder();
        int responseStart = -1;
        int responseEnd = -1;
        Matcher m = PLACEHOLDER.matcher(template);
        int at = 0;
        while (m.find()) {
            text.append(template, at, m.start());
            switch (m.group(1)) {
                case "instruction" -> text.append(record.instruction());
                case "input" -> text.append(record.input());
                default -> {
                    responseStart = text.length();
                    text.append(record.output());
                    responseEnd = text.length();
                }
            }
            at = m.end();
        }
        text.append(template, at, template.length());
        return new Rendered(text.toString(), responseStart, responseEnd);
    }
}
