package dev.lyrics.dataset;

import com.fasterxml.jackson.core.type.TypeReference;
import dev.lyrics.core.InputException;
import dev.lyrics.core.Json;
import dev.lyrics.core.Utf8Files;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A unit -> id vocabulary of the recurrent models, built from training text only: the special
 * units first ({@code <pad>} 0, {@code <unk>} 1, song start 2, song end 3), then every unit seen
 * at least {@code minCount} times, by descending count, ties in code-point order.
 */
public final class Vocabulary {
    public static final List<String> SPECIALS =
            List.of(TextUnits.PAD, TextUnits.UNKNOWN, TextUnits.SONG_START, TextUnits.SONG_END);

    private static final Comparator<String> CODE_POINT_ORDER = Comparator.comparing(s -> s.codePoints().toArray(), Arrays::compare);

    private final Map<String, Integer> ids;
    private final String[] units;

    private Vocabulary(Map<String, Integer> ids) {
        this.ids = Collections.unmodifiableMap(ids);
        this.units = new String[ids.size()];
        ids.forEach((unit, id) -> {
            if (id < 0 || id >= units.length || units[id] != null) {
                throw new IllegalArgumentException("ids are not dense from 0: " + unit + " -> " + id);
            }
            units[id] = unit;
        });
        for (String special : SPECIALS) {
            if (!ids.containsKey(special)) {
                throw new IllegalArgumentException("no " + special);
            }
        }
    }

    /**
     * Reads vocab_char.json or vocab_word.json (unit -> id).
     *
     * @param parameter the property that chose the file, named in errors (null when none did)
     */
    public static Vocabulary read(Path file, String parameter) throws IOException {
        String text = Utf8Files.read(file, parameter);
        Map<String, Integer> ids;
        try {
            ids = Json.MAPPER.readValue(text, new TypeReference<LinkedHashMap<String, Integer>>() {});
        } catch (com.fasterxml.jackson.core.JacksonException e) {
            throw InputException.at(file, "not a JSON vocabulary {unit: id}: " + e.getOriginalMessage());
        }
        try {
            return new Vocabulary(ids);
        } catch (IllegalArgumentException e) {
            throw InputException.at(file, "not a vocabulary: " + e.getMessage());
        }
    }

    public static Vocabulary build(List<String> units, int minCount) {
        Map<String, Integer> counts = new HashMap<>();
        for (String unit : units) {
            counts.merge(unit, 1, Integer::sum);
        }
        List<String> kept = new ArrayList<>();
        counts.forEach((unit, count) -> {
            if (count >= minCount && !SPECIALS.contains(unit)) {
                kept.add(unit);
            }
        });
        kept.sort(Comparator.comparing((String u) -> counts.get(u), Comparator.reverseOrder()).thenComparing(CODE_POINT_ORDER));
        Map<String, Integer> ids = new LinkedHashMap<>();
        for (String unit : SPECIALS) {
            ids.put(unit, ids.size());
        }
        for (String unit : kept) {
            ids.put(unit, ids.size());
        }
        return new Vocabulary(ids);
    }

    /** Unit -> id, in id order. */
    public Map<String, Integer> ids() {
        return ids;
    }

    public int size() {
        return ids.size();
    }

    /** The unit's id; {@code <unk>}'s for a unit the vocabulary lacks. */
    public int id(String unit) {
        Integer id = ids.get(unit);
        return id != null ? id : ids.get(TextUnits.UNKNOWN);
    }

    public String unit(int id) {
        return units[id];
    }

    /** The share of these units (song delimiters excluded) that the vocabulary lacks; 0 for none. */
    public double outOfVocabularyRate(List<String> units) {
        long counted = 0;
        long missing = 0;
        for (String unit : units) {
            if (unit.equals(TextUnits.SONG_START) || unit.equals(TextUnits.SONG_END)) {
                continue;
            }
            counted++;
            if (!ids.containsKey(unit)) {
                missing++;
            }
        }
        return counted == 0 ? 0 : (double) missing / counted;
    }
}
