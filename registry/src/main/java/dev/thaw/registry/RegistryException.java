package dev.thaw.registry;

/**
 * A registry or store operation could not be carried out (Redis unreachable or refusing,
 * a file-system error). The message names the operation and what it acted on.
 */
public final class RegistryException extends RuntimeException {
    public RegistryException(String message, Throwable cause) {
        super(message, cause);
    }
}
