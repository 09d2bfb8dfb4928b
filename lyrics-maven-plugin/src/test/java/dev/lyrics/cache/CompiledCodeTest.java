package dev.lyrics.cache;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import javax.tools.JavaCompiler;
import javax.tools.ToolProvider;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What a class file names, on small classes compiled here, each naming another in one way only. */
class CompiledCodeTest {
    @TempDir
    Path dir;

    private Path compile(Map<String, String> sources) throws IOException {
        Path src = dir.resolve("src");
        Path classes = dir.resolve("classes");
        List<String> args = new ArrayList<>(List.of("-d", classes.toString(), "-g:none"));
        for (Map.Entry<String, String> source : sources.entrySet()) {
            Path file = src.resolve(source.getKey());
            Files.createDirectories(file.getParent());
            Files.writeString(file, source.getValue());
            args.add(file.toString());
        }
        JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
        assertEquals(0, javac.run(null, null, null, args.toArray(String[]::new)), "javac " + args);
        return classes;
    }

    @Test
    void signaturesByNameLookupsAndResourcePathsAreReferences() throws IOException {
        Path classes = compile(Map.of(
                "dev/lyrics/a/Root.java", """
                        package dev.lyrics.a;
                        public class Root {
                            java.util.List<dev.lyrics.b.OnlyInASignature> generic; // erased to List in the descriptor
                            Object byName() throws Exception {
                                return Class.forName("dev.lyrics.c.LoadedByName");
                            }
                            Object resource() {
                                return Root.class.getResource("/dev/lyrics/d/style.css");
                            }
                        }
                        """,
                "dev/lyrics/b/OnlyInASignature.java", "package dev.lyrics.b; public class OnlyInASignature {}",
                "dev/lyrics/c/LoadedByName.java", "package dev.lyrics.c; public class LoadedByName {}",
                "dev/lyrics/e/Unreached.java", "package dev.lyrics.e; public class Unreached {}"));
        Files.createDirectories(classes.resolve("dev/lyrics/d"));
        Files.writeString(classes.resolve("dev/lyrics/d/style.css"), "body {}");
        Files.writeString(classes.resolve("dev/lyrics/d/other.css"), "p {}");

        CompiledCode code = CompiledCode.read(classes);
        assertEquals(new TreeSet<>(List.of("dev/lyrics/b/OnlyInASignature", "dev/lyrics/c/LoadedByName",
                "dev/lyrics/d/style.css")), code.references("dev/lyrics/a/Root"));
        assertEquals(new TreeSet<>(List.of("dev/lyrics/a/Root.class", "dev/lyrics/b/OnlyInASignature.class",
                "dev/lyrics/c/LoadedByName.class", "dev/lyrics/d/style.css")),
                CodeFingerprint.reachable(code, List.of("dev.lyrics.a.Root")));

        String before = CodeFingerprint.of(classes, List.of("dev.lyrics.a.Root"));
        Files.writeString(classes.resolve("dev/lyrics/d/other.css"), "p { margin: 0 }");
        assertEquals(before, CodeFingerprint.of(classes, List.of("dev.lyrics.a.Root")), "a resource it does not name");
        Files.writeString(classes.resolve("dev/lyrics/d/style.css"), "body { margin: 0 }");
        assertNotEquals(before, CodeFingerprint.of(classes, List.of("dev.lyrics.a.Root")), "the resource it names");
    }
}
