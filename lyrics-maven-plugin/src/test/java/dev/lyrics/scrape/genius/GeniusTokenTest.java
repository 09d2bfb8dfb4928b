package dev.lyrics.scrape.genius;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class GeniusTokenTest {
    @TempDir
    Path dir;

    private static String bearerOf(GeniusToken token) {
        return token == null ? null : token.bearer();
    }

    @Test
    void theEnvironmentWinsThenTheDotEnvFileThenSettings() throws Exception {
        Path dotEnv = Files.writeString(dir.resolve(".env"), "GENIUS_API_TOKEN=\"from-dotenv\"\n");
        assertEquals("Bearer from-env", bearerOf(GeniusToken.find("from-env", dotEnv, "from-settings")));
        assertEquals("Bearer from-dotenv", bearerOf(GeniusToken.find("  ", dotEnv, "from-settings")));
        assertEquals("Bearer from-settings", bearerOf(GeniusToken.find(null, dir.resolve("missing.env"), "from-settings")));
        assertNull(GeniusToken.find("", dir.resolve("missing.env"), null));
    }

    @Test
    void readsTheDotEnvFormsPeopleWrite() throws Exception {
        String[][] cases = {
            {"GENIUS_API_TOKEN=\"abc def\"", "abc def"},
            {"GENIUS_API_TOKEN='abc'  # mine", "abc"},
            {"export GENIUS_API_TOKEN=abc", "abc"},
            {"GENIUS_API_TOKEN = abc # comment", "abc"},
            {"# GENIUS_API_TOKEN=commented\nOTHER=x\nGENIUS_API_TOKEN=real", "real"},
            {"GENIUS_API_TOKEN_OLD=no", null},
        };
        for (String[] c : cases) {
            Path dotEnv = Files.writeString(dir.resolve(".env"), c[0] + "\n");
            assertEquals(c[1], GeniusToken.readDotEnv(dotEnv), c[0]);
        }
    }

    @Test
    void itNeverPrintsItself() throws Exception {
        GeniusToken token = GeniusToken.find("s3cr3t-value", null, null);
        assertFalse(String.valueOf(token).contains("s3cr3t"));
    }

    @Test
    void theMissingMessageSaysTheThreeWays() {
        String message = GeniusToken.missingMessage(dir.resolve(".env"));
        assertTrue(message.contains("environment variable GENIUS_API_TOKEN"), message);
        assertTrue(message.contains(dir.resolve(".env").toString()), message);
        assertTrue(message.contains("<id>genius</id>") && message.contains("settings.xml"), message);
    }
}
