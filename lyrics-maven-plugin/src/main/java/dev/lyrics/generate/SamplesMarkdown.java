package dev.lyrics.generate;

import java.util.Locale;

/** samples.md: a metrics table like the study's, then every sample's text. */
public final class SamplesMarkdown {
    private SamplesMarkdown() {}

    public static String render(Samples samples) {
        SamplingSettings s = samples.settings();
        StringBuilder md = new StringBuilder("# Samples\n\n");
        md.append(String.format(Locale.ROOT,
                "max_new_tokens %d, temperature %s (per-artist overrides below), top_k %d, top_p %s, repetition_penalty %s, seed %d\n\n",
                s.maxNewTokens(), number(s.temperature()), s.topK(), number(s.topP()), number(s.repetitionPenalty()),
                samples.seed()));
        md.append("| model | artist | T | units | ended | distinct-1 | distinct-2 | repeated lines | section tags | longest copied span |\n");
        md.append("|---|---|---|---|---|---|---|---|---|---|\n");
        for (Sample sample : samples.samples()) {
            SampleMetrics m = sample.metrics();
            md.append(String.format(Locale.ROOT, "| %s | %s | %s | %d | %s | %.3f | %.3f | %.3f | %.3f | %d |\n",
                    sample.model(), artist(sample), number(sample.temperature()), sample.units(),
                    sample.endReached() ? "yes" : "no", m.distinct1(), m.distinct2(), m.repeatedLineRate(),
                    m.sectionTagShare(), m.longestCopiedSpan()));
        }
        Samples.Reference reference = samples.reference();
        md.append(String.format(Locale.ROOT, "| %s (mean of %d songs) | | | | | %.3f | %.3f | %.3f | %.3f | %.1f |\n\n",
                reference.source(), reference.songs(), reference.mean().getOrDefault("distinct_1", 0.0),
                reference.mean().getOrDefault("distinct_2", 0.0), reference.mean().getOrDefault("repeated_line_rate", 0.0),
                reference.mean().getOrDefault("section_tag_share", 0.0), reference.mean().getOrDefault("longest_copied_span", 0.0)));
        md.append(DEFINITIONS).append('\n');
        for (Sample sample : samples.samples()) {
            md.append("\n## ").append(sample.model()).append(" — ").append(artist(sample)).append("\n\n");
            md.append(String.format(Locale.ROOT, "temperature %s, seed %d, %d units%s\n\n", number(sample.temperature()),
                    sample.seed(), sample.units(), sample.endReached() ? "" : " (cut at max_new_tokens)"));
            String fence = fenceFor(sample.text());
            md.append(fence).append("text\n").append(sample.text()).append('\n').append(fence).append('\n');
            if (sample.metrics().longestCopiedSpan() > 0) {
                md.append("\nLongest span shared with a training song (").append(sample.metrics().longestCopiedSpan())
                        .append(" words): \"").append(sample.metrics().copiedSpan()).append("\"\n");
            }
        }
        return md.toString();
    }

    /** What each metric means, for every page that shows them. */
    public static final String DEFINITIONS = """
            distinct-n: unique word n-grams / word n-grams (words lower-cased, punctuation and section tags left out). \
            Repeated lines: share of lyric lines whose words equal an earlier line's in the same text. \
            Section tags: share of non-blank lines that are only a bracketed tag such as [Chorus]. \
            Longest copied span: the most consecutive words the text shares verbatim with one training song \
            (a memorisation check).""";

    static String artist(Sample sample) {
        return sample.artist() == null ? "(no artist: plain-text prompt)" : sample.artist();
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

    /** 0.8 as "0.8", 1.0 as "1". */
    static String number(double value) {
        return value == Math.rint(value) ? Long.toString((long) value) : Double.toString(value);
    }
}
