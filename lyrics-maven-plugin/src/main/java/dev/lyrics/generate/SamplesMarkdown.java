package dev.lyrics.generate;

import java.util.List;

/** samples.md: the metrics table, then every sample's text. */
public final class SamplesMarkdown {
    private SamplesMarkdown() {}

    public static String render(Samples samples) {
        StringBuilder md = new StringBuilder("# Samples\n\n").append(SampleTable.settings(samples)).append(".\n\n");
        row(md, SampleTable.HEADERS);
        md.append("|---".repeat(SampleTable.HEADERS.size())).append("|\n");
        for (Sample sample : samples.samples()) {
            row(md, SampleTable.row(sample));
        }
        row(md, SampleTable.referenceRow(samples.reference()));
        md.append('\n').append(SampleTable.DEFINITIONS).append('\n');
        for (Sample sample : samples.samples()) {
            md.append("\n## ").append(SampleTable.heading(sample)).append("\n\n").append(SampleTable.details(sample)).append("\n\n");
            String fence = fenceFor(sample.text());
            md.append(fence).append("text\n").append(sample.text()).append('\n').append(fence).append('\n');
            String copied = SampleTable.copiedSpan(sample);
            if (copied != null) {
                md.append('\n').append(copied).append('\n');
            }
        }
        return md.toString();
    }

    private static void row(StringBuilder md, List<String> cells) {
        md.append("| ").append(String.join(" | ", cells)).append(" |\n");
    }

    /** A code fence longer than any run of backticks in the text, so the text shows unaltered. */
    static String fenceFor(String text) {
        int longest = 0;
        int run = 0;
        for (int i = 0; i < text.length(); i++) {
            run = text.charAt(i) == '`' ? run + 1 : 0;
            longest = Math.max(longest, run);
        }
        return "`".repeat(Math.max(3, longest + 1));
    }
}
