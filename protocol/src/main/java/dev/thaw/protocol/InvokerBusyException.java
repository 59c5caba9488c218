package dev.thaw.protocol;

/**
 * An invoker refused an invocation because every one of its runners already has a full
 * queue: nothing ran. Invokers answer it with 503; a gateway tries another invoker or tells
 * its caller to try again later (503 with Retry-After).
 */
public final class InvokerBusyException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public InvokerBusyException(String message) {
        super(message);
    }
}
