package dev.lyrics.model;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The process settings that make libtorch fast on a CPU, which the JVM cannot make by itself: they
 * live in the C environment and in glibc, and libtorch reads them once, when it loads. {@link Torch}
 * applies them before it starts the engine, through liblyrics_native (src/main/c, Linux x86-64):
 * <ul>
 *   <li>oneMKL's AVX-512 matrix kernels on AMD processors. libtorch links oneMKL, which runs its AVX2
 *       kernels on any CPU that is not an Intel one; the library answers oneMKL's vendor check for AMD
 *       as for Intel, and oneMKL then picks its kernels by the CPU's feature bits (2x the float32
 *       matrix-product speed on the development machine's AVX-512 EPYC). Last-bit differences
 *       against the AVX2 kernels, as between two machines.</li>
 *   <li>{@code THP_MEM_ALLOC_ENABLE=1}: libtorch puts arrays of 2 MiB and more on transparent huge
 *       pages, one page fault per 2 MiB instead of 512.</li>
 *   <li>glibc keeps freed memory (mmap threshold 32 MiB, trim threshold 1 GiB) instead of handing
 *       each freed array back to the kernel and taking a page fault per 4 KiB when the next step
 *       allocates it again. A training step allocates and frees gigabytes; on a virtual machine those
 *       faults cost more than the arithmetic.</li>
 *   <li>{@code OMP_WAIT_POLICY=PASSIVE}: libtorch's OpenMP threads (GNU libgomp) sleep when idle
 *       instead of spinning, so two threads on a loaded 2-core machine do not starve each other.</li>
 * </ul>
 * Variables the user set are left as they are. Setting the system property {@value #PROPERTY} to
 * false leaves libtorch as it comes. Numbers stay deterministic: none of these changes the order of
 * any sum, except which matrix kernels oneMKL runs on an AMD CPU.
 */
public final class NativeTuning {
    /** false: apply nothing. */
    public static final String PROPERTY = "lyrics.nativeTuning";
    /** In this class's package, so that the code fingerprint of every stage that reaches it covers the library. */
    static final String LIBRARY = "liblyrics_native-linux-x86_64.so";
    static final int MMAP_THRESHOLD = 32 << 20;
    static final int TRIM_THRESHOLD = 1 << 30;

    /** What was applied ({@link #applied}, in order), or why nothing was ({@link #skipped}). */
    public record Outcome(List<String> applied, String skipped) {
        public boolean loaded() {
            return skipped == null;
        }

        @Override
        public String toString() {
            return loaded() ? "native tuning: " + (applied.isEmpty() ? "nothing to change" : String.join("; ", applied))
                    : "native tuning skipped: " + skipped;
        }
    }

    private static Outcome outcome;
    private static Path library;

    private NativeTuning() {}

    /** Applies the settings once per process, before libtorch loads; later calls return the first outcome. */
    public static synchronized Outcome apply() {
        if (outcome == null) {
            outcome = applyOnce();
        }
        return outcome;
    }

    private static Outcome applyOnce() {
        if ("false".equalsIgnoreCase(System.getProperty(PROPERTY))) {
            return new Outcome(List.of(), "-D" + PROPERTY + "=false");
        }
        String os = System.getProperty("os.name", "").toLowerCase(Locale.ROOT);
        String arch = System.getProperty("os.arch", "");
        if (!os.startsWith("linux") || !(arch.equals("amd64") || arch.equals("x86_64"))) {
            return new Outcome(List.of(), "liblyrics_native is built for Linux x86-64, not " + os + "/" + arch);
        }
        try {
            library = extract();
            System.load(library.toString());
        } catch (IOException | UncheckedIOException | UnsatisfiedLinkError e) {
            return new Outcome(List.of(), "liblyrics_native did not load (" + e.getMessage() + ")");
        }
        List<String> applied = new ArrayList<>();
        String vendor = cpuVendor();
        if (!makeGlobal(library.toString())) {
            applied.add("oneMKL's own kernel choice (liblyrics_native could not join the global symbol scope)");
        } else if (vendor.equals("AuthenticAMD")) {
            applied.add("oneMKL picks kernels by CPU features on " + vendor);
        }
        setIfAbsent("THP_MEM_ALLOC_ENABLE", "1", applied);
        if (keepFreedMemory(MMAP_THRESHOLD, TRIM_THRESHOLD)) {
            applied.add("malloc keeps freed memory (mmap threshold 32 MiB, trim threshold 1 GiB)");
        }
        setIfAbsent("OMP_WAIT_POLICY", "PASSIVE", applied);
        return new Outcome(List.copyOf(applied), null);
    }

    private static void setIfAbsent(String name, String value, List<String> applied) {
        if (setenvIfAbsent(name, value)) {
            applied.add(name + "=" + value);
        } else {
            applied.add(name + "=" + getenv(name) + " (as set)");
        }
    }

    /** The library in a file of its own: System.load needs a path, and a jar entry has none. */
    private static Path extract() throws IOException {
        try (InputStream in = NativeTuning.class.getResourceAsStream(LIBRARY)) {
            if (in == null) {
                throw new IOException("resource " + LIBRARY + " missing from the plugin");
            }
            Path file = Files.createTempFile("liblyrics_native", ".so");
            file.toFile().deleteOnExit();
            Files.copy(in, file, StandardCopyOption.REPLACE_EXISTING);
            return file;
        }
    }

    /** The C environment's value (System.getenv is the JVM's copy from its start), or null; needs {@link #apply}. */
    static String environment(String name) {
        requireLoaded();
        return getenv(name);
    }

    /** The file that defines {@code symbol} in the process's global scope, or null; needs {@link #apply}. */
    static String globalDefinitionOf(String symbol) {
        requireLoaded();
        return globalDefinition(symbol);
    }

    /** What the library answers to oneMKL's vendor check; needs {@link #apply}. */
    static boolean mklTreatsAsIntel() {
        requireLoaded();
        return mklSeesIntel();
    }

    /** How many times libtorch's oneMKL asked the library whether the CPU is an Intel one; needs {@link #apply}. */
    static long mklVendorCheckCount() {
        requireLoaded();
        return mklVendorChecks();
    }

    static Path library() {
        return library;
    }

    private static void requireLoaded() {
        if (!apply().loaded()) {
            throw new IllegalStateException(apply().toString());
        }
    }

    private static native String cpuVendor();

    private static native boolean mklSeesIntel();

    private static native long mklVendorChecks();

    private static native boolean makeGlobal(String path);

    private static native String getenv(String name);

    private static native String globalDefinition(String symbol);

    private static native boolean setenvIfAbsent(String name, String value);

    private static native boolean keepFreedMemory(int mmapThreshold, int trimThreshold);
}
