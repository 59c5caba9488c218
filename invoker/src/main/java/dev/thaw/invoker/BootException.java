package dev.thaw.invoker;

/** The guest did not reach its snapshot point; the message says what it did instead. */
public final class BootException extends Exception {
    private static final long serialVersionUID = 1L;

    public BootException(String message) {
        super(message);
    }

    public BootException(String message, Throwable cause) {
        super(message, cause);
    }
}
