package dev.lyrics.cache;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lyrics.stage.Finetune;
import dev.lyrics.stage.Perplexity;
import dev.lyrics.stage.Report;
import java.io.IOException;
import java.io.OutputStream;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.SortedSet;
import java.util.TreeSet;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The per-stage fingerprint on a copy of the plugin's compiled classes (target/classes), edited the
 * way a code change edits them: a string constant of a class file changed in place.
 */
class StageFingerprintTest {
    private static final String FINETUNE = Finetune.class.getName();
    private static final String PERPLEXITY = Perplexity.class.getName();
    private static final String REPORT = Report.class.getName();

    @TempDir
    Path dir;
    private Path classes;

    static Path compiledClasses() {
        try {
            return Path.of(CodeFingerprint.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    @BeforeEach
    void copyTheCompiledClasses() throws IOException {
        classes = dir.resolve("classes");
        for (Map.Entry<String, byte[]> entry : CompiledCode.read(compiledClasses()).entries().entrySet()) {
            Path file = classes.resolve(entry.getKey());
            Files.createDirectories(file.getParent());
            Files.write(file, entry.getValue());
        }
    }

    private String fingerprint(String root) throws IOException {
        return CodeFingerprint.of(classes, List.of(root));
    }

    /** Changes the string constant {@code from} of a class file to {@code to} (same length), as an edit of the source would. */
    private void edit(String entry, String from, String to) throws IOException {
        assertEquals(from.length(), to.length());
        Path file = classes.resolve(entry);
        byte[] bytes = Files.readAllBytes(file);
        byte[] utf8 = ("\0" + (char) from.length() + from).getBytes(StandardCharsets.ISO_8859_1);
        int at = indexOf(bytes, utf8);
        assertTrue(at >= 0, entry + " has no constant \"" + from + "\"");
        byte[] replacement = to.getBytes(StandardCharsets.ISO_8859_1);
        System.arraycopy(replacement, 0, bytes, at + 2, replacement.length);
        Files.write(file, bytes);
    }

    private static int indexOf(byte[] bytes, byte[] part) {
        outer:
        for (int i = 0; i + part.length <= bytes.length; i++) {
            for (int j = 0; j < part.length; j++) {
                if (bytes[i + j] != part[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }

    @Test
    void aChangeToTheReportLeavesTheModelStagesAlone() throws IOException {
        String finetune = fingerprint(FINETUNE);
        String perplexity = fingerprint(PERPLEXITY);
        String report = fingerprint(REPORT);

        edit("dev/lyrics/report/ReportPage.class", "Stages and cache", "Stages and cachE");
        assertNotEquals(report, fingerprint(REPORT), "the report's own fingerprint sees its class");
        String editedReport = fingerprint(REPORT);
        Files.writeString(classes.resolve("dev/lyrics/report/report.css"), "body { margin: 0 }");
        assertNotEquals(editedReport, fingerprint(REPORT), "the report's own fingerprint sees a resource of its package");

        assertEquals(finetune, fingerprint(FINETUNE), "LoRA fine-tuning does not reach the report");
        assertEquals(perplexity, fingerprint(PERPLEXITY), "the perplexity evaluator does not reach the report");
    }

    @Test
    void aChangeInModelLoraOrTrainReachesTheStagesThatUseIt() throws IOException {
        String finetune = fingerprint(FINETUNE);
        edit("dev/lyrics/model/Torch.class", "ai.djl.pytorch.num_threads", "ai.djl.pytorch.num_Threads");
        String afterModel = fingerprint(FINETUNE);
        assertNotEquals(finetune, afterModel, "model/Torch");
        edit("dev/lyrics/lora/LoraLinear.class", "scale", "scalE");
        String afterLora = fingerprint(FINETUNE);
        assertNotEquals(afterModel, afterLora, "lora/LoraLinear");
        edit("dev/lyrics/train/AdamW.class", "beta2", "beta3");
        String afterTrain = fingerprint(FINETUNE);
        assertNotEquals(afterLora, afterTrain, "train/AdamW");
        Files.writeString(classes.resolve("dev/lyrics/model/vocab.txt"), "a resource of a package it reaches");
        assertNotEquals(afterTrain, fingerprint(FINETUNE), "a resource in model/");

        String perplexity = fingerprint(PERPLEXITY);
        edit("dev/lyrics/lm/ScoredText.class", "logProbs and unitEnds differ in length",
                "logProbs and unitEnds differ in LENGTH");
        assertNotEquals(perplexity, fingerprint(PERPLEXITY), "lm/ScoredText, reached through a signature");
    }

    @Test
    void aDirectoryAndAJarOfTheSameClassesHaveTheSameFingerprint() throws IOException {
        Path jar = dir.resolve("plugin.jar");
        List<String> entries = new ArrayList<>(CompiledCode.read(classes).entries().keySet());
        Collections.reverse(entries); // another order than the directory's sorted walk
        try (OutputStream out = Files.newOutputStream(jar); JarOutputStream writer = new JarOutputStream(out)) {
            for (String name : List.of("META-INF/build.txt", "org/other/C.class")) {
                writer.putNextEntry(new JarEntry(name));
                writer.write(name.getBytes(StandardCharsets.UTF_8));
                writer.closeEntry();
            }
            for (String name : entries) {
                JarEntry entry = new JarEntry(name);
                entry.setLastModifiedTime(FileTime.fromMillis(1_700_000_000_000L));
                writer.putNextEntry(entry);
                writer.write(Files.readAllBytes(classes.resolve(name)));
                writer.closeEntry();
            }
        }
        for (String root : List.of(FINETUNE, PERPLEXITY, REPORT)) {
            assertEquals(fingerprint(root), CodeFingerprint.of(jar, List.of(root)), root);
        }
    }

    @Test
    void ofStageIsTheFingerprintOfTheRootsOwnCode() throws IOException {
        assertEquals(CodeFingerprint.of(compiledClasses(), List.of(FINETUNE)), CodeFingerprint.ofStage(Finetune.class));
        assertNotEquals(CodeFingerprint.ofStage(Finetune.class), CodeFingerprint.ofStage(Report.class));
    }

    @Test
    void aRootOutsideThePluginIsRefusedByName() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> CodeFingerprint.of(classes, List.of("dev.lyrics.train.NoSuchStage")));
        assertTrue(e.getMessage().contains("dev.lyrics.train.NoSuchStage"), e.getMessage());
    }

    /**
     * The fingerprint sees what the constant pools name, and the resources of the packages reached.
     * Code loaded by a computed name (Class.forName, ClassLoader.loadClass, ServiceLoader, a lookup's
     * findClass) or a resource looked up by name in another package would escape it: none may exist
     * in dev/lyrics beyond the ones listed here, each checked.
     */
    @Test
    void noPluginClassLoadsCodeOrResourcesByNameBehindTheFingerprintsBack() throws IOException {
        CompiledCode code = CompiledCode.read(compiledClasses());
        SortedSet<String> byName = new TreeSet<>();
        for (String type : code.classes()) {
            for (String call : code.calls(type)) {
                if (call.matches("java/lang/Class\\.(forName|getResource.*)|java/lang/ClassLoader\\.(loadClass|"
                        + "getResource.*|getSystemResource.*)|java/util/ServiceLoader\\..*|java/lang/invoke/"
                        + "MethodHandles\\$Lookup\\.findClass|java/lang/reflect/Proxy\\..*")) {
                    byName.add(type + " " + call);
                }
            }
        }
        // the help goal generated by maven-plugin-plugin reads META-INF/maven/.../plugin-help.xml;
        // no stage reaches the mojo package. NativeTuning reads liblyrics_native from its own package,
        // whose resources every fingerprint that reaches it covers.
        assertEquals(List.of("dev/lyrics/lyrics_maven_plugin/HelpMojo java/lang/Class.getResourceAsStream",
                "dev/lyrics/model/NativeTuning java/lang/Class.getResourceAsStream"), List.copyOf(byName));
    }
}
