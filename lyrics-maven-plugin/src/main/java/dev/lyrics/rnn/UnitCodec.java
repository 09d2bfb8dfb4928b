package dev.lyrics.rnn;

import dev.lyrics.dataset.TextUnits;
import dev.lyrics.dataset.Vocabulary;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;

/**
 * Text to unit ids and back for a recurrent model: cut by {@link TextUnits} at the model's level
 * (char or word), looked up in its vocabulary, a unit the vocabulary lacks becoming &lt;unk&gt;.
 */
public final class UnitCodec {
    private static final Set<String> CLOSING = Set.of(",", ".", ";", ":", "!", "?", ")", "]", "}");
    private static final Set<String> OPENING = Set.of("(", "[", "{");

    private final String level;
    private final Vocabulary vocabulary;

    public UnitCodec(String level, Vocabulary vocabulary) {
        this.level = level;
        this.vocabulary = vocabulary;
    }

    /** @param parameter the property that chose the vocabulary file, named in errors (null when none did) */
    public static UnitCodec read(String level, Path vocabFile, String parameter) throws IOException {
        return new UnitCodec(level, Vocabulary.read(vocabFile, parameter));
    }

    public Vocabulary vocabulary() {
        return vocabulary;
    }

    public int size() {
        return vocabulary.size();
    }

    public int songStartId() {
        return vocabulary.id(TextUnits.SONG_START);
    }

    public int songEndId() {
        return vocabulary.id(TextUnits.SONG_END);
    }

    /**
     * A text as unit ids, with the char index just after each unit.
     *
     * @param ids  unit ids in text order
     * @param ends for each unit, the index in the text just after it
     */
    public record Encoded(int[] ids, int[] ends) {}

    public Encoded encode(String text) {
        List<String> units = TextUnits.split(level, text);
        int[] ids = new int[units.size()];
        int[] ends = new int[units.size()];
        int at = 0;
        for (int i = 0; i < units.size(); i++) {
            String unit = units.get(i);
            // units appear in order and only whitespace lies between them, so the next match is this unit
            at = text.indexOf(unit, at) + unit.length();
            ends[i] = at;
            ids[i] = vocabulary.id(unit);
        }
        return new Encoded(ids, ends);
    }

    /**
     * Text of units that follow {@code previousId} (-1 for none). Chars are concatenated; words are
     * spaced as prose, with no space around newlines, before closing or after opening punctuation.
     */
    public String decode(int previousId, int[] ids) {
        StringBuilder sb = new StringBuilder();
        String previous = previousId < 0 ? null : vocabulary.unit(previousId);
        for (int id : ids) {
            String unit = vocabulary.unit(id);
            if (level.equals("word") && previous != null && !previous.equals("\n") && !unit.equals("\n")
                    && !CLOSING.contains(unit) && !OPENING.contains(previous)) {
                sb.append(' ');
            }
            sb.append(unit);
            previous = unit;
        }
        return sb.toString();
    }
}
