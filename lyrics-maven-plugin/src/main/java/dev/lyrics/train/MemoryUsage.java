package dev.lyrics.train;

import ai.djl.Device;
import ai.djl.util.cuda.CudaUtils;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;

/**
 * A snapshot of the process's memory, the CPU counterpart of the study's VRAM log: the JVM heap
 * (now and its peak) and the resident set (now and its peak), which also holds libtorch's native
 * tensors. Linux reports the resident figures in /proc/self/status; elsewhere they are -1.
 */
public record MemoryUsage(long heapUsedBytes, long heapPeakBytes, long residentBytes, long residentPeakBytes) {
    public static MemoryUsage now() {
        long used = 0;
        long peak = 0;
        for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
            if (pool.getType() == MemoryType.HEAP) {
                used += pool.getUsage().getUsed();
                peak += pool.getPeakUsage().getUsed();
            }
        }
        Map<String, Long> status = procStatus();
        return new MemoryUsage(used, peak, status.getOrDefault("VmRSS", -1L), status.getOrDefault("VmHWM", -1L));
    }

    /** memory.json: both snapshots in MiB, and how far the resident peak rose above the resident size before. */
    public static Map<String, Object> report(MemoryUsage before, MemoryUsage after) {
        Map<String, Object> json = new TreeMap<>();
        json.put("before_training", before.toMiB());
        json.put("after_training", after.toMiB());
        json.put("resident_peak_increase_mib", after.residentPeakBytes < 0 ? -1 : mib(after.residentPeakBytes - before.residentBytes));
        return json;
    }

    /**
     * The peak a plan is checked against, in GiB: on a GPU the device memory in use now (CUDA's
     * used memory, which holds libtorch's cached peak), on the CPU the resident peak (VmHWM).
     */
    public static double measuredPeakGib(Device device, MemoryUsage after) {
        long bytes = device.isGpu() ? CudaUtils.getGpuMemory(device).getCommitted() : after.residentPeakBytes;
        return bytes < 0 ? -1 : Math.round(bytes / (double) (1L << 30) * 1000) / 1000.0;
    }

    Map<String, Object> toMiB() {
        Map<String, Object> json = new TreeMap<>();
        json.put("heap_used_mib", mib(heapUsedBytes));
        json.put("heap_peak_mib", mib(heapPeakBytes));
        json.put("resident_mib", residentBytes < 0 ? -1 : mib(residentBytes));
        json.put("resident_peak_mib", residentPeakBytes < 0 ? -1 : mib(residentPeakBytes));
        return json;
    }

    private static double mib(long bytes) {
        return Math.round(bytes / 1048576.0 * 10) / 10.0;
    }

    /** VmRSS, VmHWM ... in bytes. */
    private static Map<String, Long> procStatus() {
        Map<String, Long> values = new TreeMap<>();
        Path status = Path.of("/proc/self/status");
        if (!Files.isReadable(status)) {
            return values;
        }
        try {
            for (String line : Files.readAllLines(status)) {
                String[] parts = line.split("\\s+");
                if (parts.length == 3 && parts[2].equals("kB") && parts[0].endsWith(":")) {
                    values.put(parts[0].substring(0, parts[0].length() - 1), Long.parseLong(parts[1]) * 1024);
                }
            }
        } catch (IOException | NumberFormatException e) {
            return Map.of();
        }
        return values;
    }
}
