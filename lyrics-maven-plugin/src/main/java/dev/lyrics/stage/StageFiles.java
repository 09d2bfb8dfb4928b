package dev.lyrics.stage;

import dev.lyrics.core.InputException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Checks on the files one stage reads from another, with the error a user can act on. */
final class StageFiles {
    private StageFiles() {}

    /** The file, which must exist: the error names it and the goal that writes it. */
    static Path require(Path file, String writtenBy, String remedy) {
        if (!Files.isRegularFile(file)) {
            throw InputException.at(file, "not found; run lyrics:" + writtenBy + " first" + (remedy.isEmpty() ? "" : ", " + remedy));
        }
        return file;
    }
}
