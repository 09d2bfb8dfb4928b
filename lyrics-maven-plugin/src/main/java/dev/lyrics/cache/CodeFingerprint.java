package dev.lyrics.cache;

import dev.lyrics.core.Files2;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.Map;
import java.util.TreeMap;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import org.apache.commons.codec.digest.DigestUtils;

/**
 * SHA-256 of the plugin's own classes and resources (the contents of every entry under dev/lyrics,
 * in sorted order), so any code change invalidates every cache entry while a rebuilt jar with the
 * same code, or a different timestamp, does not.
 */
public final class CodeFingerprint {
    private static volatile String cached;

    private CodeFingerprint() {}

    public static String ofPlugin() {
        String value = cached;
        if (value == null) {
            try {
                value = of(Path.of(CodeFingerprint.class.getProtectionDomain().getCodeSource().getLocation().toURI()));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            } catch (URISyntaxException e) {
                throw new IllegalStateException(e);
            }
            cached = value;
        }
        return value;
    }

    /** Placeholder until the per-stage fingerprint lands: the whole plugin. */
    public static String ofStage(Class<?> root) {
        return ofPlugin();
    }

    /** Fingerprint of a jar or a classes directory. */
    public static String of(Path codeSource) throws IOException {
        Map<String, String> hashes = new TreeMap<>();
        if (Files.isDirectory(codeSource)) {
            for (String rel : Files2.listFiles(codeSource)) {
                if (rel.startsWith("dev/lyrics/")) {
                    hashes.put(rel, DigestUtils.sha256Hex(Files.readAllBytes(codeSource.resolve(rel))));
                }
            }
        } else {
            try (JarFile jar = new JarFile(codeSource.toFile())) {
                for (JarEntry entry : java.util.Collections.list(jar.entries())) {
                    if (!entry.isDirectory() && entry.getName().startsWith("dev/lyrics/")) {
                        try (InputStream in = jar.getInputStream(entry)) {
                            hashes.put(entry.getName(), DigestUtils.sha256Hex(in));
                        }
                    }
                }
            }
        }
        MessageDigest digest = DigestUtils.getSha256Digest();
        hashes.forEach((name, hash) -> {
            digest.update(name.getBytes(java.nio.charset.StandardCharsets.UTF_8));
            digest.update((byte) 0);
            digest.update(hash.getBytes(java.nio.charset.StandardCharsets.UTF_8));
            digest.update((byte) '\n');
        });
        return org.apache.commons.codec.binary.Hex.encodeHexString(digest.digest());
    }
}
