package dev.thaw.invoker.snapshot;

/** A snapshot cannot be read or used here; the message says why and what to do. */
public final class SnapshotException extends Exception {
    private static final long serialVersionUID = 1L;

    public SnapshotException(String message) {
        super(message);
    }

    public SnapshotException(String message, Throwable cause) {
        super(message, cause);
    }
}
