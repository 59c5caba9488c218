package dev.thaw.gateway.route;

import dev.thaw.protocol.BuildFailure;
import dev.thaw.protocol.BuildOutcome;
import dev.thaw.protocol.InvocationResult;
import dev.thaw.registry.FunctionVersion;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/** Where the gateway runs and builds functions: this JVM (embedded) or invoker processes (cluster). */
public interface Invokers extends AutoCloseable {
    /**
     * Runs one invocation of a deployed version, to end by {@code deadlineNanos}
     * ({@link System#nanoTime()}): the function's timeout counted from when the gateway
     * admitted the request. Past the deadline it completes as TIMEOUT. Fails with
     * {@link NoInvokerException} when nobody can run it.
     */
    CompletableFuture<InvocationResult> invoke(FunctionVersion version, byte[] input, long deadlineNanos);

    /** Builds a bundle on the host that will serve the function (a deploy). */
    BuildOutcome build(String name, byte[] bundle) throws BuildFailure;

    /** The function was deleted: its shells can go. */
    void forget(String name);

    /** The function's warm-shell pool, where the gateway can see it. */
    Optional<PoolStats> pool(String name);

    /** Whether invocations can run now (KVM usable, or some invoker alive). */
    boolean ready();

    /** Where functions run, for the health check: "this JVM" or "invoker processes". */
    String where();

    @Override
    void close();

    /**
     * A function's warm shells on the hosts this gateway can see.
     *
     * @param shells     open now, idle or serving
     * @param coldStarts invocations that waited for a VM to be created
     * @param evictions  idle shells closed for the memory budget
     */
    record PoolStats(int idle, long created, long discarded, int shells, long coldStarts, long evictions) {}

    /** The invoker no longer finds the version: it was deleted after this gateway looked it up. */
    final class VersionGoneException extends RuntimeException {
        private static final long serialVersionUID = 1L;

        public VersionGoneException(String message) {
            super(message);
        }
    }

    /** No invoker is alive, or none answered. */
    final class NoInvokerException extends RuntimeException {
        private static final long serialVersionUID = 1L;

        public NoInvokerException(String message) {
            super(message);
        }
    }
}
