package dev.lyrics.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class NativeTuningTest {
    private static final Path SOURCE = Path.of("src/main/c");
    private static final Path COMMITTED = Path.of("src/main/resources/dev/lyrics/model");

    private static boolean linuxX86() {
        return System.getProperty("os.name").toLowerCase(Locale.ROOT).startsWith("linux")
                && List.of("amd64", "x86_64").contains(System.getProperty("os.arch"));
    }

    @Test
    void theLibraryJoinsTheGlobalScopeBeforeLibtorchAndSetsItsEnvironment() throws IOException {
        assumeTrue(linuxX86(), "liblyrics_native is built for Linux x86-64");
        Torch.engine();
        NativeTuning.Outcome outcome = NativeTuning.apply();
        assertTrue(outcome.loaded(), outcome.toString());
        // a library loaded from now on (libtorch, whose oneMKL asks this function) finds ours first
        String definition = NativeTuning.globalDefinitionOf("mkl_serv_intel_cpu_true");
        assertNotNull(definition, "mkl_serv_intel_cpu_true is not in the global scope");
        assertEquals(NativeTuning.library().toRealPath().toString(), Path.of(definition).toRealPath().toString());
        assertEquals(cpuVendor().equals("GenuineIntel") || cpuVendor().equals("AuthenticAMD"),
                NativeTuning.mklTreatsAsIntel());
        // the C environment libtorch and libgomp read; a value the user set is kept
        assertEquals(expected("THP_MEM_ALLOC_ENABLE", "1"), NativeTuning.environment("THP_MEM_ALLOC_ENABLE"));
        assertEquals(expected("OMP_WAIT_POLICY", "PASSIVE"), NativeTuning.environment("OMP_WAIT_POLICY"));
        assertTrue(outcome.applied().contains("malloc keeps freed memory (mmap threshold 32 MiB, trim threshold 1 GiB)"),
                outcome.toString());
        assertTrue(NativeTuning.apply() == outcome, "applied once per process");
    }

    private static String expected(String name, String ours) {
        return System.getenv(name) != null ? System.getenv(name) : ours;
    }

    private static String cpuVendor() {
        try {
            return Files.readAllLines(Path.of("/proc/cpuinfo")).stream().filter(l -> l.startsWith("vendor_id"))
                    .map(l -> l.substring(l.indexOf(':') + 1).trim()).findFirst().orElse("");
        } catch (IOException e) {
            return "";
        }
    }

    /**
     * libtorch's oneMKL asks the library, not its own function, whether the CPU is an Intel one: in a
     * JVM of its own, because the first caller of the check in a process binds it for good (in this
     * one another test may have started libtorch first).
     */
    @Test
    void libtorchsOneMklAsksTheLibrary() throws Exception {
        assumeTrue(linuxX86(), "liblyrics_native is built for Linux x86-64");
        String output = oneMatrixProduct();
        String line = output.lines().filter(l -> l.startsWith("vendor checks ")).findFirst().orElse(output);
        assertTrue(line.matches("vendor checks [1-9][0-9]*"), line);
        assertTrue(output.contains("sum 1.6777216E7"), output);
    }

    /** -Dlyrics.nativeTuning=false: nothing is loaded or set, and libtorch computes as it comes. */
    @Test
    void thePropertyTurnsItOff() throws Exception {
        String output = oneMatrixProduct("-D" + NativeTuning.PROPERTY + "=false");
        assertTrue(output.contains("native tuning skipped: -D" + NativeTuning.PROPERTY + "=false"), output);
        assertTrue(output.contains("sum 1.6777216E7"), output);
        assertTrue(output.contains("vendor checks: not loaded"), output);
    }

    private static String oneMatrixProduct(String... jvmOptions) throws Exception {
        List<String> command = new java.util.ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString()));
        command.addAll(List.of(jvmOptions));
        command.addAll(List.of("-cp", System.getProperty("java.class.path"), OneMatrixProduct.class.getName()));
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(process.waitFor(120, TimeUnit.SECONDS), "the JVM did not finish");
        assertEquals(0, process.exitValue(), output);
        return output;
    }

    /** One float32 matrix product through libtorch's oneMKL, in a JVM of its own. */
    public static final class OneMatrixProduct {
        public static void main(String[] args) {
            try (ai.djl.ndarray.NDManager manager = Torch.manager(ai.djl.Device.cpu())) {
                ai.djl.ndarray.NDArray a = manager.ones(new ai.djl.ndarray.types.Shape(256, 256));
                System.out.println("sum " + a.matMul(a).sum().getFloat());
            }
            System.out.println(NativeTuning.apply());
            System.out.println(NativeTuning.apply().loaded() ? "vendor checks " + NativeTuning.mklVendorCheckCount()
                    : "vendor checks: not loaded");
        }
    }

    private static String firstLine(String... command) throws InterruptedException {
        try {
            Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
            String line = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8).lines()
                    .findFirst().orElse("");
            process.waitFor();
            return line;
        } catch (IOException e) {
            return "";
        }
    }

    /** The committed library is what build.sh makes from the committed source, with the recorded compiler. */
    @Test
    void theCommittedLibraryIsBuiltFromTheCommittedSource(@TempDir Path scratch) throws Exception {
        assumeTrue(linuxX86(), "liblyrics_native is built for Linux x86-64");
        String recorded = Files.readString(COMMITTED.resolve("liblyrics_native-linux-x86_64.compiler")).trim();
        String compiler = firstLine("gcc", "--version") + "\n" + firstLine("ld", "--version");
        assumeTrue(compiler.equals(recorded), "needs the compiler and linker the library was built with: " + recorded);
        Path jdk = Path.of(System.getProperty("java.home"));
        assumeTrue(Files.exists(jdk.resolve("include/jni.h")), "needs a JDK with include/jni.h: " + jdk);
        ProcessBuilder builder = new ProcessBuilder("bash", SOURCE.resolve("build.sh").toString(), scratch.toString())
                .redirectErrorStream(true);
        builder.environment().put("JAVA_HOME", jdk.toString());
        Process build = builder.start();
        String output = new String(build.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, build.waitFor(), output);
        assertArrayEquals(Files.readAllBytes(COMMITTED.resolve("liblyrics_native-linux-x86_64.so")),
                Files.readAllBytes(scratch.resolve("liblyrics_native-linux-x86_64.so")),
                "src/main/c/lyrics_native.c changed without src/main/c/build.sh being run (or the reverse)");
    }
}
