package dev.lyrics.cache;

import java.util.Locale;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/** How the stages of one build were answered, and the bytes moved to and from the remote cache. */
public final class CacheTally {
    private final AtomicInteger local = new AtomicInteger();
    private final AtomicInteger remote = new AtomicInteger();
    private final AtomicInteger computed = new AtomicInteger();
    private final AtomicInteger pushed = new AtomicInteger();
    private final AtomicLong downloaded = new AtomicLong();
    private final AtomicLong uploaded = new AtomicLong();

    void add(StageResult result) {
        switch (result.source()) {
            case LOCAL -> local.incrementAndGet();
            case REMOTE -> remote.incrementAndGet();
            case COMPUTED -> computed.incrementAndGet();
        }
        if (result.bytesUploaded() > 0) {
            pushed.incrementAndGet();
        }
        downloaded.addAndGet(result.bytesDownloaded());
        uploaded.addAndGet(result.bytesUploaded());
    }

    public int stages() {
        return local.get() + remote.get() + computed.get();
    }

    /** "lyrics cache: 2 local, 3 remote, 1 computed (1 pushed); 4.2 MB downloaded, 0 B uploaded". */
    public String summary() {
        return String.format(Locale.ROOT, "lyrics cache: %d local, %d remote, %d computed (%d pushed); %s downloaded, %s uploaded",
                local.get(), remote.get(), computed.get(), pushed.get(), size(downloaded.get()), size(uploaded.get()));
    }

    /** 0 B, 12.3 kB, 4.2 MB, 14.5 GB. */
    static String size(long bytes) {
        if (bytes == 0) {
            return "0 B";
        }
        String[] units = {"kB", "MB", "GB", "TB"};
        double value = bytes / 1e3;
        int unit = 0;
        while (value >= 1000 && unit < units.length - 1) {
            value /= 1000;
            unit++;
        }
        return String.format(Locale.ROOT, "%.1f %s", value, units[unit]);
    }
}
