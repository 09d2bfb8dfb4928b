package dev.lyrics.scrape.genius;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * The Genius API token. It only ever leaves this class as the Authorization header of an API
 * request: {@link #toString()} hides it, so it cannot reach a log line, an exception message or a
 * cache key by accident.
 */
public final class GeniusToken {
    /** The environment variable, and the key in a .env file, that hold the token. */
    public static final String VARIABLE = "GENIUS_API_TOKEN";
    /** The settings.xml server id whose password is the token. */
    public static final String SERVER_ID = "genius";

    private final char[] value;

    private GeniusToken(char[] value) {
        this.value = value;
    }

    /**
     * The first token found, in this order: the environment variable, the .env file, the
     * settings.xml server password; blank values count as absent. Null when none is set.
     *
     * @param environmentValue the value of GENIUS_API_TOKEN in the environment, or null
     * @param dotEnv           the .env file beside the experiment POM (need not exist)
     * @param settingsPassword the decrypted password of server "genius" in settings.xml, or null
     */
    public static GeniusToken find(String environmentValue, Path dotEnv, String settingsPassword) throws IOException {
        for (String candidate : new String[] {environmentValue, readDotEnv(dotEnv), settingsPassword}) {
            if (candidate != null && !candidate.isBlank()) {
                return new GeniusToken(candidate.strip().toCharArray());
            }
        }
        return null;
    }

    /** The failure for a genius scrape without a token: says the three ways to set one. */
    public static String missingMessage(Path dotEnv) {
        return "lyrics:scrape with source genius needs a Genius API token (create one at https://genius.com/api-clients)."
                + " Set it in one of three ways: the environment variable " + VARIABLE
                + "; a line " + VARIABLE + "=\"...\" in " + dotEnv
                + "; or a <server> with <id>" + SERVER_ID + "</id> and the token as <password> in ~/.m2/settings.xml";
    }

    /** The value of GENIUS_API_TOKEN in a dotenv file ("export" prefix, quotes and comments allowed), or null. */
    static String readDotEnv(Path dotEnv) throws IOException {
        if (dotEnv == null || !Files.isRegularFile(dotEnv)) {
            return null;
        }
        List<String> lines = Files.readAllLines(dotEnv, StandardCharsets.UTF_8);
        String found = null;
        for (String raw : lines) {
            String line = raw.strip();
            if (line.startsWith("export ")) {
                line = line.substring("export ".length()).strip();
            }
            int eq = line.indexOf('=');
            if (line.startsWith("#") || eq < 0 || !line.substring(0, eq).strip().equals(VARIABLE)) {
                continue;
            }
            found = unquote(line.substring(eq + 1).strip());
        }
        return found;
    }

    private static String unquote(String value) {
        if (value.length() >= 2) {
            char first = value.charAt(0);
            int close = value.indexOf(first, 1);
            if ((first == '"' || first == '\'') && close > 0) {
                return value.substring(1, close);
            }
        }
        int comment = value.indexOf(" #");
        return (comment >= 0 ? value.substring(0, comment) : value).strip();
    }

    /** The Authorization header value. */
    String bearer() {
        return "Bearer " + new String(value);
    }

    @Override
    public String toString() {
        return "GeniusToken[hidden]";
    }
}
