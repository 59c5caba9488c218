package dev.thaw.cli;

import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;

/**
 * A failure the user sees as one line, {@code fn: <message>}, followed by {@code detail}
 * verbatim when there is one (a compiler's message, the tail of a function's stderr).
 */
final class Failure extends RuntimeException {
    private final String detail;

    Failure(String message) {
        this(message, null);
    }

    Failure(String message, String detail) {
        super(message, null, false, false);
        this.detail = detail;
    }

    /** Text to print after the message line, or null. */
    String detail() {
        return detail;
    }

    /** {@code what} failed because of {@code e}, said the way a shell would say it. */
    static Failure io(String what, IOException e) {
        String why = switch (e) {
            case NoSuchFileException x -> "no such file or directory";
            case AccessDeniedException x -> "permission denied";
            case FileAlreadyExistsException x -> "already exists";
            case NotDirectoryException x -> "not a directory";
            default -> e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
        };
        return new Failure(what + ": " + why);
    }
}
