package dev.lyrics.scrape.genius;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The pacer's promise as a lower bound: the k-th turn (in time order, across threads) starts no
 * earlier than k intervals after the pacer was made. A busy machine can only delay turns, so the
 * bound never fails for a correct pacer, and a pacer that does not wait fails it at once.
 */
class PacerTest {
    private static final long INTERVAL_NANOS = Duration.ofMillis(150).toNanos();

    @Test
    void turnsOfOneThreadAreSpacedByTheInterval() throws Exception {
        long made = System.nanoTime();
        PoliteHttp.Pacer pacer = new PoliteHttp.Pacer(Duration.ofNanos(INTERVAL_NANOS));
        List<Long> turns = new ArrayList<>();
        for (int k = 0; k < 5; k++) {
            pacer.awaitTurn();
            turns.add(System.nanoTime());
        }
        assertSpaced(made, turns);
    }

    @Test
    void turnsAcrossThreadsAreSpacedByTheInterval() throws Exception {
        long made = System.nanoTime();
        PoliteHttp.Pacer pacer = new PoliteHttp.Pacer(Duration.ofNanos(INTERVAL_NANOS));
        List<Long> turns = Collections.synchronizedList(new ArrayList<>());
        List<Thread> threads = new ArrayList<>();
        for (int t = 0; t < 3; t++) {
            threads.add(new Thread(() -> {
                try {
                    for (int k = 0; k < 2; k++) {
                        pacer.awaitTurn();
                        turns.add(System.nanoTime());
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }));
        }
        threads.forEach(Thread::start);
        for (Thread thread : threads) {
            thread.join();
        }
        assertSpaced(made, turns);
    }

    @Test
    void aHoldPushesTheNextTurnBack() throws Exception {
        PoliteHttp.Pacer pacer = new PoliteHttp.Pacer(Duration.ofMillis(1));
        long held = System.nanoTime();
        pacer.holdFor(Duration.ofNanos(INTERVAL_NANOS));
        pacer.awaitTurn();
        long waited = System.nanoTime() - held;
        assertTrue(waited >= INTERVAL_NANOS, "turn came " + waited / 1_000_000 + " ms after a hold of 150 ms");
    }

    private static void assertSpaced(long made, List<Long> turns) {
        List<Long> sorted = turns.stream().sorted().toList();
        for (int k = 0; k < sorted.size(); k++) {
            long since = sorted.get(k) - made;
            assertTrue(since >= k * INTERVAL_NANOS,
                    "turn " + k + " came " + since / 1_000_000 + " ms after the pacer was made, before " + k * 150 + " ms");
        }
    }
}
