package dev.thaw.gateway.route;

import dev.thaw.invoker.Result;
import dev.thaw.invoker.service.BuildFailure;
import dev.thaw.invoker.service.FunctionHost;
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
    CompletableFuture<Result> invoke(FunctionVersion version, byte[] input, long deadlineNanos);

    /** Builds a bundle on the host that will serve the function (a deploy). */
    Built build(String name, byte[] bundle) throws BuildFailure;

    /** The function was deleted: its shells can go. */
    void forget(String name);

    /** The function's warm-shell pool, where the gateway can see it. */
    Optional<FunctionHost.PoolStats> pool(String name);

    /** Whether invocations can run now (KVM usable, or some invoker alive). */
    boolean ready();

    @Override
    void close();

    /** The manifest as deployed (raw JSON) and the build's timings. */
    record Built(String manifestJson, dev.thaw.invoker.service.BuildOutcome build) {}

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
