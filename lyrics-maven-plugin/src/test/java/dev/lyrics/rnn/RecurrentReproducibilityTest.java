package dev.lyrics.rnn;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two clean builds must train the same recurrent weights: each model is trained in two fresh JVMs,
 * one quiet and one that churned through heap and native memory first (as a Maven build that ran
 * other stages before does), with small heaps so that garbage collections happen mid-training, and
 * the SHA-256 of the two model.safetensors must be equal.
 */
class RecurrentReproducibilityTest {
    @TempDir
    Path tmp;

    @Test
    void freshJvmsTrainBitIdenticalWeights() throws Exception {
        for (String cell : List.of("gru", "lstm")) {
            String quiet = train(tmp.resolve(cell + "-quiet"), cell, "0", "-Xmx96m");
            String churned = train(tmp.resolve(cell + "-churned"), cell, "1", "-Xmx48m");
            assertEquals(quiet, churned, cell + ": model.safetensors differs between two fresh JVMs");
            assertEquals(Files.readString(tmp.resolve(cell + "-quiet/loss.jsonl")).replaceAll(",\"tokens_per_s\":\\d+", ""),
                    Files.readString(tmp.resolve(cell + "-churned/loss.jsonl")).replaceAll(",\"tokens_per_s\":\\d+", ""), cell);
        }
    }

    private static String train(Path out, String cell, String churn, String heap)
            throws IOException, InterruptedException, NoSuchAlgorithmException {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        String classPath = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        Path log = Files.createDirectories(out.getParent()).resolve(out.getFileName() + ".log");
        Process process = new ProcessBuilder(java, heap, "-XX:+UseSerialGC", "-cp", classPath,
                TrainInFreshJvm.class.getName(), out.toString(), cell, churn)
                .redirectErrorStream(true).redirectOutput(log.toFile()).start();
        if (!process.waitFor(10, TimeUnit.MINUTES)) {
            process.destroyForcibly();
            throw new AssertionError("training in a fresh JVM did not finish in 10 minutes");
        }
        assertEquals(0, process.exitValue(), () -> readQuietly(log));
        byte[] digest = MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(out.resolve("model.safetensors")));
        return HexFormat.of().formatHex(digest);
    }

    private static String readQuietly(Path file) {
        try {
            return Files.readString(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            return e.toString();
        }
    }
}
