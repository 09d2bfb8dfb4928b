package dev.lyrics.rnn;

import com.fasterxml.jackson.core.type.TypeReference;
import dev.lyrics.core.InputException;
import dev.lyrics.core.Json;
import dev.lyrics.dataset.TextUnits;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * A recurrent model's units: vocab_char.json or vocab_word.json as preprocess writes them
 * (unit to dense id, the specials first), with text cut by {@link TextUnits} at the same level.
 * A unit the vocabulary lacks becomes &lt;unk&gt;.
 */
public final class Vocabulary {
    private static final Set<String> CLOSING = Set.of(",", ".", ";", ":", "!", "?", ")", "]", "}");
    private static final Set<String> OPENING = Set.of("(", "[", "{");

    private final String level;
    private final Map<String, Integer> ids;
    private final String[] units;
    private final int unknownId;
    private final int songStartId;
    private final int songEndId;

    public Vocabulary(String level, Map<String, Integer> ids) {
        this.level = level;
        this.ids = new TreeMap<>(ids);
        this.units = new String[ids.size()];
        for (Map.Entry<String, Integer> e : ids.entrySet()) {
            int id = e.getValue();
            if (id < 0 || id >= units.length || units[id] != null) {
                throw new IllegalArgumentException("vocabulary ids are not dense from 0: " + e.getKey() + " -> " + id);
            }
            units[id] = e.getKey();
        }
        this.unknownId = special(TextUnits.UNKNOWN);
        this.songStartId = special(TextUnits.SONG_START);
        this.songEndId = special(TextUnits.SONG_END);
    }

    public static Vocabulary read(String level, Path file) throws IOException {
        Map<String, Integer> ids = Json.MAPPER.readValue(file.toFile(), new TypeReference<Map<String, Integer>>() {});
        try {
            return new Vocabulary(level, ids);
        } catch (IllegalArgumentException e) {
            throw InputException.at(file, e.getMessage());
        }
    }

    private int special(String unit) {
        Integer id = ids.get(unit);
        if (id == null) {
            throw new IllegalArgumentException("vocabulary has no " + unit);
        }
        return id;
    }

    /** Unit to id, sorted by unit: what vocab.json in a model's stage directory holds. */
    public Map<String, Integer> ids() {
        return ids;
    }

    public String level() {
        return level;
    }

    public int size() {
        return units.length;
    }

    public int songStartId() {
        return songStartId;
    }

    public int songEndId() {
        return songEndId;
    }

    public String unit(int id) {
        return units[id];
    }

    /**
     * A text as unit ids, with the char index just after each unit.
     *
     * @param ids  unit ids in text order; unknown units are &lt;unk&gt;
     * @param ends for each unit, the index in the text just after it
     */
    public record Encoded(int[] ids, int[] ends) {}

    public Encoded encode(String text) {
        List<String> cut = TextUnits.split(level, text);
        int[] unitIds = new int[cut.size()];
        int[] ends = new int[cut.size()];
        int at = 0;
        for (int i = 0; i < cut.size(); i++) {
            String unit = cut.get(i);
            // units appear in order and only whitespace lies between them, so the next match is this unit
            at = text.indexOf(unit, at) + unit.length();
            ends[i] = at;
            unitIds[i] = ids.getOrDefault(unit, unknownId);
        }
        return new Encoded(unitIds, ends);
    }

    /**
     * Text of units that follow {@code previousId} (-1 for none). Chars are concatenated; words are
     * spaced as prose, with no space around newlines, before closing or after opening punctuation.
     */
    public String decode(int previousId, int[] unitIds) {
        StringBuilder sb = new StringBuilder();
        String previous = previousId < 0 ? null : units[previousId];
        for (int id : unitIds) {
            String unit = units[id];
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
