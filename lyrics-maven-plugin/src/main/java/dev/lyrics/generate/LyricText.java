package dev.lyrics.generate;

import dev.lyrics.dataset.TextUnits;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * How the sample metrics read lyrics: non-blank lines, of which a line that is only a bracketed
 * tag ("[Verse 1]", "[Chorus: Kendrick Lamar]") is a section tag and every other line a lyric
 * line; words are the word units of {@link TextUnits#words} that are letters, digits or
 * apostrophes (punctuation dropped), lower-cased, taken from lyric lines only.
 */
public final class LyricText {
    private static final Pattern SECTION_TAG = Pattern.compile("\\[[^\\[\\]]+\\]");

    private final List<String> lines = new ArrayList<>();
    private final List<String> lyricLines = new ArrayList<>();

    public LyricText(String text) {
        for (String line : text.split("\n", -1)) {
            String trimmed = line.strip();
            if (trimmed.isEmpty()) {
                continue;
            }
            lines.add(trimmed);
            if (!SECTION_TAG.matcher(trimmed).matches()) {
                lyricLines.add(trimmed);
            }
        }
    }

    /** Every non-blank line, stripped. */
    public List<String> lines() {
        return lines;
    }

    /** The non-blank lines that are not section tags. */
    public List<String> lyricLines() {
        return lyricLines;
    }

    public int sectionTagLines() {
        return lines.size() - lyricLines.size();
    }

    /** The words of the lyric lines, in order. */
    public List<String> words() {
        List<String> out = new ArrayList<>();
        for (String line : lyricLines) {
            out.addAll(words(line));
        }
        return out;
    }

    /** The words of one line: a line's identity for the repeated-line rate. */
    public static List<String> words(String line) {
        List<String> out = new ArrayList<>();
        for (String unit : TextUnits.words(line)) {
            int first = unit.codePointAt(0);
            if (Character.isLetterOrDigit(first) || Character.getType(first) == Character.NON_SPACING_MARK || first == '\'') {
                out.add(unit.toLowerCase(Locale.ROOT));
            }
        }
        return out;
    }
}
