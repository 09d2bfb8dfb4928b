package dev.lyrics.generate;

import java.util.List;
import java.util.Locale;
import java.util.Map;

/** The samples' metrics as table rows, one form for samples.md and the report page. */
public final class SampleTable {
    public static final List<String> HEADERS = List.of("model", "artist", "T", "units", "ended", "distinct-1",
            "distinct-2", "repeated lines", "section tags", "longest copied span");

    /** What each metric means, for every page that shows them. */
    public static final String DEFINITIONS = """
            distinct-n: unique word n-grams / word n-grams (words lower-cased, punctuation and section tags left out). \
            Repeated lines: share of lyric lines whose words equal an earlier line's in the same text. \
            Section tags: share of non-blank lines that are only a bracketed tag such as [Chorus]. \
            Longest copied span: the most consecutive words the text shares verbatim with one training song \
            (a memorisation check).""";

    private SampleTable() {}

    public static List<String> row(Sample sample) {
        SampleMetrics m = sample.metrics();
        return List.of(sample.model(), artist(sample), number(sample.temperature()), Integer.toString(sample.units()),
                sample.endReached() ? "yes" : "no", fixed(m.distinct1(), 3), fixed(m.distinct2(), 3),
                fixed(m.repeatedLineRate(), 3), fixed(m.sectionTagShare(), 3), Integer.toString(m.longestCopiedSpan()));
    }

    /** The reference songs' means under the same columns. */
    public static List<String> referenceRow(Samples.Reference reference) {
        Map<String, Double> mean = reference.mean();
        return List.of(reference.source() + " (mean of " + reference.songs() + " songs)", "", "", "", "",
                fixed(mean.getOrDefault("distinct_1", 0.0), 3), fixed(mean.getOrDefault("distinct_2", 0.0), 3),
                fixed(mean.getOrDefault("repeated_line_rate", 0.0), 3), fixed(mean.getOrDefault("section_tag_share", 0.0), 3),
                fixed(mean.getOrDefault("longest_copied_span", 0.0), 1));
    }

    /** "max_new_tokens 256, temperature 0.8, top_k 50, ...". */
    public static String settings(Samples samples) {
        SamplingSettings s = samples.settings();
        return String.format(Locale.ROOT, "max_new_tokens %d, temperature %s (per-artist overrides in the table), top_k %d,"
                        + " top_p %s, repetition_penalty %s, seed %d", s.maxNewTokens(), number(s.temperature()), s.topK(),
                number(s.topP()), number(s.repetitionPenalty()), samples.seed());
    }

    /** A sample's heading: "finetuned — David". */
    public static String heading(Sample sample) {
        return sample.model() + " — " + artist(sample);
    }

    /** "temperature 0.8, seed 123, 256 units, cut at max_new_tokens". */
    public static String details(Sample sample) {
        return String.format(Locale.ROOT, "temperature %s, seed %d, %d units, %s", number(sample.temperature()),
                sample.seed(), sample.units(), sample.endReached() ? "ended by the model" : "cut at max_new_tokens");
    }

    /** The sentence about the longest copied span, or null when the sample shares no word run. */
    public static String copiedSpan(Sample sample) {
        SampleMetrics m = sample.metrics();
        return m.longestCopiedSpan() == 0 ? null
                : "Longest span shared with a training song (" + m.longestCopiedSpan() + " words): \u201c" + m.copiedSpan() + "\u201d";
    }

    private static String artist(Sample sample) {
        return sample.artist() == null ? "(none: plain-text prompt)" : sample.artist();
    }

    /** 0.8 as "0.8", 1.0 as "1". */
    private static String number(double value) {
        return value == Math.rint(value) ? Long.toString((long) value) : Double.toString(value);
    }

    private static String fixed(double value, int places) {
        return String.format(Locale.ROOT, "%." + places + "f", value);
    }
}
