package dev.lyrics.dataset;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * How plain text is cut into the units of the recurrent models' vocabularies. The song delimiters
 * are always one unit each; otherwise a char unit is one Unicode code point, and a word unit is a
 * newline, a run of letters, digits and apostrophes, or any other single non-space character.
 */
public final class TextUnits {
    public static final String SONG_START = "<|song_start|>";
    public static final String SONG_END = "<|song_end|>";
    public static final String PAD = "<pad>";
    public static final String UNKNOWN = "<unk>";

    private static final Pattern WORD = Pattern.compile(
            Pattern.quote(SONG_START) + "|" + Pattern.quote(SONG_END) + "|\n|[\\p{L}\\p{M}\\p{N}']+|[^\\s]");
    private static final Pattern DELIMITER = Pattern.compile(Pattern.quote(SONG_START) + "|" + Pattern.quote(SONG_END));

    private TextUnits() {}

    public static List<String> words(String text) {
        List<String> out = new ArrayList<>();
        Matcher m = WORD.matcher(text);
        while (m.find()) {
            out.add(m.group());
        }
        return out;
    }

    public static List<String> chars(String text) {
        List<String> out = new ArrayList<>();
        Matcher m = DELIMITER.matcher(text);
        int at = 0;
        while (true) {
            boolean found = m.find();
            int end = found ? m.start() : text.length();
            text.substring(at, end).codePoints().forEach(cp -> out.add(new String(Character.toChars(cp))));
            if (!found) {
                return out;
            }
            out.add(m.group());
            at = m.end();
        }
    }

    /** Units of a level: "char" or "word". */
    public static List<String> split(String level, String text) {
        return switch (level) {
            case "char" -> chars(text);
            case "word" -> words(text);
            default -> throw new IllegalArgumentException("unknown unit level " + level);
        };
    }
}
