package dev.lyrics.train;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/** The schedule at the study's settings, checked against values transformers prints. */
class StudyScheduleTest {
    /** The study: lr 2e-4, 5 warm-up steps, ceil(239 / 16) * 3 = 45 steps; values as transformers prints them. */
    @Test
    void matchesTransformersLinearScheduleWithWarmup() {
        LrSchedule schedule = new LrSchedule(LrSchedule.Kind.LINEAR, 2e-4, 5, 45, 0);
        assertEquals(0.0, schedule.at(0), 1e-15);
        assertEquals(4e-5, schedule.at(1), 1e-15);
        assertEquals(1.6e-4, schedule.at(4), 1e-15);
        assertEquals(2e-4, schedule.at(5), 1e-15);
        assertEquals(1e-4, schedule.at(25), 1e-15);
        assertEquals(5e-6, schedule.at(44), 1e-15);
        assertEquals(0.0, schedule.at(45), 1e-15);
    }

    @Test
    void withoutWarmupStartsAtThePeak() {
        LrSchedule schedule = new LrSchedule(LrSchedule.Kind.LINEAR, 1.0, 0, 4, 0);
        assertEquals(1.0, schedule.at(0), 1e-15);
        assertEquals(0.25, schedule.at(3), 1e-15);
    }
}
