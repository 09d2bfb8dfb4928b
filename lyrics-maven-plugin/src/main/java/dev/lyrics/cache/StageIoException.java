package dev.lyrics.cache;

import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.nio.file.Path;

/**
 * An I/O failure of a stage (disk full, a cache or output directory that cannot be written), with
 * what the bare exception lacks: the stage, the path and what to do about it.
 */
public final class StageIoException extends IOException {
    private StageIoException(String message, IOException cause) {
        super(message, cause);
    }

    /**
     * @param label the stage as the log names it ("lyrics:finetune [rnn-rnn-char]")
     * @param where the directory the stage was writing under, named when the failure names no file
     */
    static StageIoException of(String label, IOException e, Path where) {
        if (e instanceof StageIoException already) {
            return already;
        }
        String what = describe(e);
        if (!(e instanceof FileSystemException fs && fs.getFile() != null)) {
            what += " (under " + where + ")";
        }
        return new StageIoException(label + ": " + what + ". Free space or fix permissions there; or point the cache"
                + " at another directory with -Dlyrics.cacheDir=..., or run without it with -Dlyrics.cache.disable=true",
                e);
    }

    /** The failure in words: the file and the reason where the exception has them. */
    static String describe(IOException e) {
        if (e instanceof FileSystemException fs && fs.getFile() != null) {
            String reason = fs.getReason() != null ? fs.getReason()
                    : e instanceof AccessDeniedException ? "permission denied"
                    : e instanceof NoSuchFileException ? "no such file or directory"
                    : e instanceof FileAlreadyExistsException ? "exists, and is not a directory"
                    : e instanceof NotDirectoryException ? "not a directory"
                    : e.getClass().getSimpleName();
            return fs.getFile() + (fs.getOtherFile() != null ? " -> " + fs.getOtherFile() : "") + ": " + reason;
        }
        return e.getMessage() != null ? e.getMessage() : e.getClass().getSimpleName();
    }
}
