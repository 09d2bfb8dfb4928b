package dev.lyrics.core;

import java.util.Locale;
import java.util.function.LongSupplier;

/**
 * Throttled progress lines for long work: "label 120/450 steps (26.7%), 3.2 steps/s, ETA 1m43s".
 * Plain lines only (no carriage-return redraws), at most one every {@code intervalMillis}.
 */
public final class Progress {
    private final Log log;
    private final String label;
    private final String unit;
    private long total;
    private final long intervalMillis;
    private final LongSupplier clock;
    private final long start;
    private long lastPrint;

    public Progress(Log log, String label, String unit, long total) {
        this(log, label, unit, total, 5_000, System::currentTimeMillis);
    }

    public Progress(Log log, String label, String unit, long total, long intervalMillis, LongSupplier clock) {
        this.log = log;
        this.label = label;
        this.unit = unit;
        this.total = total;
        this.intervalMillis = intervalMillis;
        this.clock = clock;
        this.start = clock.getAsLong();
        this.lastPrint = start;
    }

    /** Changes the units the work comes to, once it turns out to be fewer (or more) than first thought. */
    public void total(long total) {
        this.total = total;
    }

    /** Reports that {@code done} units are finished; prints when the interval has passed or at the end. */
    public void update(long done, String extra) {
        long now = clock.getAsLong();
        if (done < total && now - lastPrint < intervalMillis) {
            return;
        }
        lastPrint = now;
        log.info(line(done, now - start, extra));
    }

    String line(long done, long elapsedMillis, String extra) {
        double seconds = Math.max(elapsedMillis, 1) / 1000.0;
        double rate = done / seconds;
        StringBuilder sb = new StringBuilder();
        sb.append(label).append(' ').append(done).append('/').append(total).append(' ').append(unit);
        if (total > 0) {
            sb.append(String.format(Locale.ROOT, " (%.1f%%)", 100.0 * done / total));
        }
        sb.append(String.format(Locale.ROOT, ", %.2f %s/s", rate, unit));
        if (done < total && rate > 0) {
            sb.append(", ETA ").append(duration((long) ((total - done) / rate)));
        } else if (done >= total) {
            sb.append(", took ").append(duration((long) seconds));
        }
        if (extra != null && !extra.isEmpty()) {
            sb.append(", ").append(extra);
        }
        return sb.toString();
    }

    public static String duration(long seconds) {
        if (seconds < 60) {
            return seconds + "s";
        }
        if (seconds < 3600) {
            return (seconds / 60) + "m" + String.format(Locale.ROOT, "%02d", seconds % 60) + "s";
        }
        return (seconds / 3600) + "h" + String.format(Locale.ROOT, "%02d", (seconds % 3600) / 60) + "m";
    }
}
