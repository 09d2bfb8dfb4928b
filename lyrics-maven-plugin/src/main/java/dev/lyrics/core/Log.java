package dev.lyrics.core;

/** The logging the core needs; the mojo layer adapts Maven's log to it. */
public interface Log {
    void info(String message);

    void warn(String message);

    void debug(String message);

    /** A log that drops everything, for tests and tools. */
    Log SILENT = new Log() {
        @Override
        public void info(String message) {}

        @Override
        public void warn(String message) {}

        @Override
        public void debug(String message) {}
    };
}
