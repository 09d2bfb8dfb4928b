package dev.lyrics.core;

import java.nio.file.Path;

/** An input file is missing or malformed; the message names the file (and line where there is one). */
public class InputException extends LyricsException {
    public InputException(String message) {
        super(message);
    }

    public InputException(String message, Throwable cause) {
        super(message, cause);
    }

    public static InputException at(Path file, long line, String problem) {
        return new InputException(file + ":" + line + ": " + problem);
    }

    public static InputException at(Path file, String problem) {
        return new InputException(file + ": " + problem);
    }
}
