package dev.thaw.invoker;

/**
 * Thrown by {@link ShellPool#submit} when every runner of the engine already has as many
 * invocations queued as it accepts: the invocation was not queued. A caller should answer
 * "try again later" (HTTP 503 with Retry-After), not wait.
 */
public final class EngineBusyException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    EngineBusyException(String message) {
        super(message);
    }
}
