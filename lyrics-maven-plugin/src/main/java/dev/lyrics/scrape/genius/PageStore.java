package dev.lyrics.scrape.genius;

import dev.lyrics.core.Files2;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.apache.commons.codec.digest.DigestUtils;

/**
 * Every API response and song page fetched, kept by URL so that an interrupted scrape resumes
 * where it stopped and a larger song limit fetches only the new songs. It lives outside any one
 * cache key's work area for that reason. Files are written atomically (a killed run leaves whole
 * files or none); only good responses are kept. Keys are URLs alone: the token is a header, never
 * part of a URL.
 *
 * <pre>
 * store/&lt;first two hex digits&gt;/&lt;SHA-256 of the URL&gt;    the body, as received
 * </pre>
 */
final class PageStore {
    private final Path root;
    private final boolean refresh;

    /** @param refresh ignore what is stored (the user asked for a fresh scrape) and replace it */
    PageStore(Path root, boolean refresh) {
        this.root = root;
        this.refresh = refresh;
    }

    /** The stored body for a URL, or null when there is none (or a refresh ignores it). */
    String get(String url) throws IOException {
        Path file = file(url);
        if (refresh || !Files.isRegularFile(file)) {
            return null;
        }
        return Files.readString(file, StandardCharsets.UTF_8);
    }

    void put(String url, String body) throws IOException {
        Files2.writeAtomically(file(url), body);
    }

    private Path file(String url) {
        String hash = DigestUtils.sha256Hex(url);
        return root.resolve(hash.substring(0, 2)).resolve(hash);
    }
}
