package dev.lyrics.cache;

import dev.lyrics.core.Json;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.TreeSet;
import org.apache.commons.codec.digest.DigestUtils;

/**
 * The hashed description of a stage: key = SHA-256 of the canonical (key-sorted, compact) JSON of
 * goal, name, plugin code fingerprint, per-file input hashes, parameters and environment.
 */
public record StageKey(
        String goal,
        String name,
        String code,
        SortedMap<String, SortedMap<String, String>> inputs,
        SortedMap<String, String> params,
        SortedMap<String, String> environment) {

    public static StageKey of(StageSpec spec, String codeFingerprint, HashIndex hashes) throws IOException {
        SortedMap<String, SortedMap<String, String>> inputs = new TreeMap<>();
        for (Map.Entry<String, Path> input : spec.inputs().entrySet()) {
            inputs.put(input.getKey(), new TreeMap<>(hashes.hashTree(input.getValue())));
        }
        return new StageKey(spec.goal(), spec.name(), codeFingerprint, inputs, spec.params(), spec.environment());
    }

    public String canonicalJson() {
        return Json.compact(this);
    }

    public String hash() {
        return DigestUtils.sha256Hex(canonicalJson());
    }

    /** Human reasons why this key differs from an earlier one, e.g. "parameter lora.r 16 -> 32". */
    public List<String> changesSince(StageKey earlier) {
        List<String> reasons = new ArrayList<>();
        if (!Objects.equals(code, earlier.code)) {
            reasons.add("code changed (the classes this stage reaches)");
        }
        diffValues("parameter ", earlier.params, params, reasons);
        diffValues("", earlier.environment, environment, reasons);
        TreeSet<String> names = new TreeSet<>(inputs.keySet());
        names.addAll(earlier.inputs.keySet());
        for (String input : names) {
            SortedMap<String, String> now = inputs.getOrDefault(input, new TreeMap<>());
            SortedMap<String, String> before = earlier.inputs.getOrDefault(input, new TreeMap<>());
            TreeSet<String> files = new TreeSet<>(now.keySet());
            files.addAll(before.keySet());
            List<String> fileReasons = new ArrayList<>();
            for (String file : files) {
                String label = file.isEmpty() ? input : input + "/" + file;
                if (!before.containsKey(file)) {
                    fileReasons.add("input " + label + " added");
                } else if (!now.containsKey(file)) {
                    fileReasons.add("input " + label + " removed");
                } else if (!before.get(file).equals(now.get(file))) {
                    fileReasons.add("input " + label + " changed");
                }
            }
            if (fileReasons.size() > 5) {
                int more = fileReasons.size() - 4;
                fileReasons = new ArrayList<>(fileReasons.subList(0, 4));
                fileReasons.add("and " + more + " more files of input " + input);
            }
            reasons.addAll(fileReasons);
        }
        return reasons;
    }

    /** A value as a log line shows it: another stage's 64-hex key shortened to 12, as everywhere else. */
    private static String shown(String value) {
        if (value == null) {
            return "(unset)";
        }
        return value.matches("[0-9a-f]{64}") ? value.substring(0, 12) : value;
    }

    private static void diffValues(String prefix, Map<String, String> before, Map<String, String> now, List<String> out) {
        TreeSet<String> keys = new TreeSet<>(before.keySet());
        keys.addAll(now.keySet());
        for (String key : keys) {
            String a = before.get(key);
            String b = now.get(key);
            if (!Objects.equals(a, b)) {
                out.add(prefix + key + " " + shown(a) + " -> " + shown(b));
            }
        }
    }
}
