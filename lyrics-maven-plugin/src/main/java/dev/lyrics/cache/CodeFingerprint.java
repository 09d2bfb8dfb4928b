package dev.lyrics.cache;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayDeque;
import java.util.Collection;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.SortedSet;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.commons.codec.binary.Hex;
import org.apache.commons.codec.digest.DigestUtils;

/**
 * SHA-256 of the plugin's code, as a cache key records it: a hash of entries under dev/lyrics, each
 * "name NUL sha256hex(content) LF" in sorted order, so a rebuilt jar with the same code, or another
 * timestamp or entry order, gives the same value.
 *
 * <p>{@link #ofStage} covers only what a stage's root class can reach: the classes named in the
 * constant pools of the classes reached from it (see {@link CompiledCode}), and the resources
 * (non-class entries) of every package reached, where a relative {@code getResource} finds them. A
 * change to the report or the benchmark then leaves a model stage's key alone, while a change in
 * model/, lora/ or train/ reaches every stage that uses it. {@link #ofPlugin} covers every entry.
 */
public final class CodeFingerprint {
    private static volatile String plugin;
    private static final Map<String, String> STAGES = new ConcurrentHashMap<>();

    private CodeFingerprint() {}

    /** Fingerprint of all the plugin's code (every dev/lyrics entry of its jar or classes directory). */
    public static String ofPlugin() {
        String value = plugin;
        if (value == null) {
            try {
                value = of(codeSource(CodeFingerprint.class));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            plugin = value;
        }
        return value;
    }

    /** Fingerprint of the code {@code root} can reach, read from its own jar or classes directory once per root. */
    public static String ofStage(Class<?> root) {
        return STAGES.computeIfAbsent(root.getName(), name -> {
            try {
                return of(codeSource(root), List.of(name));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        });
    }

    /** Fingerprint of every dev/lyrics entry of a jar or a classes directory. */
    public static String of(Path codeSource) throws IOException {
        return hash(CompiledCode.read(codeSource).entries());
    }

    /**
     * Fingerprint of the entries of a jar or classes directory that the named classes can reach.
     *
     * @param rootClassNames binary names as {@link Class#getName()} gives them (dev.lyrics.train.LoraFinetune)
     */
    public static String of(Path classesDirOrJar, Collection<String> rootClassNames) throws IOException {
        CompiledCode code = CompiledCode.read(classesDirOrJar);
        SortedMap<String, byte[]> reached = new TreeMap<>();
        for (String entry : reachable(code, rootClassNames)) {
            reached.put(entry, code.entries().get(entry));
        }
        return hash(reached);
    }

    /**
     * The entries (paths such as dev/lyrics/model/LlamaModel.class) the named classes reach: the
     * classes through their constant pools, and the resources of each package reached or named.
     */
    public static SortedSet<String> reachable(CompiledCode code, Collection<String> rootClassNames) {
        SortedSet<String> classes = new TreeSet<>();
        SortedSet<String> packages = new TreeSet<>();
        SortedSet<String> entries = new TreeSet<>();
        Deque<String> queue = new ArrayDeque<>();
        for (String root : rootClassNames) {
            String internal = root.replace('.', '/');
            if (!code.isClass(internal)) {
                throw new IllegalArgumentException("no class " + root + " under " + CompiledCode.PREFIX
                        + " in this code: a stage's root must be a class of the plugin");
            }
            queue.add(internal);
        }
        while (!queue.isEmpty()) {
            String name = queue.remove();
            if (!classes.add(name)) {
                continue;
            }
            packages.add(CompiledCode.packageOf(name));
            for (String reference : code.references(name)) {
                if (code.isClass(reference)) {
                    queue.add(reference);
                } else if (code.isResource(reference)) {
                    entries.add(reference);
                } else {
                    packages.add(reference);
                }
            }
        }
        for (String name : classes) {
            entries.add(name + ".class");
        }
        for (String entry : code.entries().keySet()) {
            if (!entry.endsWith(".class") && packages.contains(CompiledCode.packageOf(entry))) {
                entries.add(entry);
            }
        }
        return entries;
    }

    private static Path codeSource(Class<?> type) {
        try {
            return Path.of(type.getProtectionDomain().getCodeSource().getLocation().toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String hash(SortedMap<String, byte[]> entries) {
        MessageDigest digest = DigestUtils.getSha256Digest();
        entries.forEach((name, content) -> {
            digest.update(name.getBytes(StandardCharsets.UTF_8));
            digest.update((byte) 0);
            digest.update(DigestUtils.sha256Hex(content).getBytes(StandardCharsets.UTF_8));
            digest.update((byte) '\n');
        });
        return Hex.encodeHexString(digest.digest());
    }
}
