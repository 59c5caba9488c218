package dev.thaw.gateway.invoke;

import dev.thaw.gateway.ApiException;
import dev.thaw.gateway.GatewayMetrics;
import dev.thaw.gateway.route.Invokers;
import dev.thaw.protocol.AsyncInvocation;
import dev.thaw.protocol.FunctionName;
import dev.thaw.protocol.InvocationResult;
import dev.thaw.protocol.InvokerBusyException;
import dev.thaw.registry.FunctionVersion;
import dev.thaw.registry.InvocationRecord;
import dev.thaw.registry.InvocationRecords;
import dev.thaw.registry.InvocationStore;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.Executor;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import org.jboss.logging.Logger;

/**
 * Invoking a function, sync or async: find the version, check the token and the function's
 * concurrency, run it on an invoker, and record it (off the response's path) for logs and
 * async callers. Plain Java: the REST layer only translates.
 */
public final class InvocationService {
    private static final Logger LOG = Logger.getLogger(InvocationService.class);
    public static final String HOST_ERROR = InvocationRecords.HOST_ERROR;

    private final FunctionCatalog catalog;
    private final Invokers invokers;
    private final InvocationStore store;
    private final AsyncQueue queue;
    private final GatewayMetrics metrics;
    private final Executor blocking;
    private final ConcurrencyLimits limits = new ConcurrencyLimits();
    /** One thread writes the records of sync invocations, off every invocation's path. */
    private final ThreadPoolExecutor records = new ThreadPoolExecutor(1, 1, 0, TimeUnit.SECONDS,
            new ArrayBlockingQueue<>(10_000), r -> Thread.ofPlatform().name("thaw-records").daemon().unstarted(r),
            new ThreadPoolExecutor.DiscardPolicy());

    /** A finished invocation. */
    public record Completed(String id, FunctionVersion version, InvocationResult result) {}

    public InvocationService(FunctionCatalog catalog, Invokers invokers, InvocationStore store, AsyncQueue queue,
                             GatewayMetrics metrics, Executor blocking) {
        this.catalog = catalog;
        this.invokers = invokers;
        this.store = store;
        this.queue = queue;
        this.metrics = metrics;
        this.blocking = blocking;
    }

    /** A target as the URL gives it: "name" or "name@3". */
    public record Target(String name, OptionalInt version) {
        public static Target parse(String text) {
            int at = text.indexOf('@');
            String name = at < 0 ? text : text.substring(0, at);
            if (!FunctionName.isValid(name)) {
                throw new ApiException(400, "invalid function name '" + name + "': it must be " + FunctionName.RULE);
            }
            if (at < 0) {
                return new Target(name, OptionalInt.empty());
            }
            try {
                int v = Integer.parseInt(text.substring(at + 1));
                if (v < 1) {
                    throw new NumberFormatException();
                }
                return new Target(name, OptionalInt.of(v));
            } catch (NumberFormatException e) {
                throw new ApiException(400, "invalid version '" + text.substring(at + 1) + "': use name@N with N >= 1");
            }
        }

        @Override
        public String toString() {
            return version.isPresent() ? name + "@" + version.getAsInt() : name;
        }
    }

    /**
     * Finds the function a caller may invoke, without blocking when the catalog has it cached.
     * A caller without the admin token gets the same 401 for a private function as for one
     * that does not exist, so it cannot learn which private names exist.
     */
    private CompletableFuture<FunctionCatalog.Deployed> find(Target t, boolean admin) {
        Optional<FunctionCatalog.Deployed> cached = catalog.cached(t.name(), t.version());
        if (cached.isPresent()) {
            return CompletableFuture.completedFuture(authorized(t, cached, admin));
        }
        return CompletableFuture.supplyAsync(() -> authorized(t, catalog.find(t.name(), t.version()), admin), blocking);
    }

    private static FunctionCatalog.Deployed authorized(Target t, Optional<FunctionCatalog.Deployed> found, boolean admin) {
        if (admin) {
            return found.orElseThrow(() -> new ApiException(404, "function '" + t + "' not found"));
        }
        if (found.isEmpty() || !found.get().settings().isPublic()) {
            throw new ApiException(401, "missing or invalid token (or no public function '" + t + "')");
        }
        return found.get();
    }

    /**
     * Runs an invocation and completes with its result; failures of the function are results,
     * not errors. Its deadline is the function's timeout from now: time queued anywhere
     * counts. What follows the run (accounting, the record, the caller's continuation)
     * happens on {@code continuation}, not on the runner thread that ran the guest: the
     * REST layer passes its event loop, so the runner is free for the next invocation at once.
     */
    public CompletableFuture<Completed> invoke(Target target, byte[] input, boolean admin, Executor continuation) {
        long admitted = System.nanoTime();
        return find(target, admin).thenCompose(d -> {
            String name = d.version().name();
            if (!limits.tryAcquire(name, d.settings().concurrency())) {
                throw new ApiException(429, "function '" + name + "' is running " + d.settings().concurrency()
                        + " invocations already (its concurrency limit)", Map.of(), Map.of("Retry-After", "1"));
            }
            String id = InvocationIds.next();
            Instant created = Instant.now();
            long deadline = admitted + TimeUnit.MILLISECONDS.toNanos(d.settings().timeoutMs());
            return runHoldingSlot(name, d, input, deadline).handleAsync((result, failure) -> {
                long nanos = System.nanoTime() - admitted;
                if (failure != null) {
                    Throwable cause = unwrap(failure);
                    metrics.invocation(name, HOST_ERROR, nanos);
                    recordLater(hostError(id, d.version(), cause, created));
                    throw hostFailure(id, d.version(), cause);
                }
                metrics.invocation(name, result.status().name(), nanos);
                if (!result.ok() || result.stderr().length > 0 || !result.logs().isEmpty()) {
                    recordLater(done(id, d.version(), result, false, created)); // a clean run has no log lines to keep
                }
                return new Completed(id, d.version(), result);
            }, continuation);
        });
    }

    /** Runs on an invoker while holding a concurrency slot, given back however the call ends. */
    private CompletableFuture<InvocationResult> runHoldingSlot(String name, FunctionCatalog.Deployed d, byte[] input, long deadline) {
        CompletableFuture<InvocationResult> run;
        try {
            run = invokers.invoke(d.version(), input, deadline);
        } catch (RuntimeException e) {
            run = CompletableFuture.failedFuture(e);
        }
        return run.whenComplete((r, e) -> limits.release(name));
    }

    /**
     * What a caller sees of a failure of the host (not of the function): a short, stable
     * message with the invocation id. The details (invoker addresses, host paths) go to the
     * log and the record, which only operators read.
     */
    private static ApiException hostFailure(String id, FunctionVersion v, Throwable cause) {
        LOG.warnf("invocation %s of %s@%d failed on the host: %s", id, v.name(), v.version(), cause.toString());
        Map<String, Object> extra = Map.of("invocation", id);
        if (cause instanceof Invokers.VersionGoneException) {
            return new ApiException(404, cause.getMessage() + " (deleted)", extra, Map.of());
        }
        if (cause instanceof InvokerBusyException) {
            return new ApiException(503, "every runner is busy; try again (invocation " + id + ")", extra,
                    Map.of("Retry-After", "1"));
        }
        if (cause instanceof Invokers.NoInvokerException) {
            return new ApiException(503, "no invoker could run the function; try again (invocation " + id + ")",
                    extra, Map.of("Retry-After", "1"));
        }
        return new ApiException(500, "the platform failed to run the function (invocation " + id + ")", extra, Map.of());
    }

    /**
     * Accepts an async invocation and returns its id at once: it is stored durably (Kafka, or
     * the embedded platform's journal) before this returns, or the caller gets 503. Where it
     * runs, it runs within the function's concurrency, and its result goes to its record and,
     * when {@code callbackUrl} is set, to that URL. Blocks on the registry and the queue: call
     * from a worker thread.
     */
    public String submit(Target target, byte[] input, boolean admin, String callbackUrl) {
        FunctionCatalog.Deployed d = authorized(target, catalog.find(target.name(), target.version()), admin);
        if (callbackUrl != null && !admin) { // invokers POST to it from inside the cluster: only the admin picks where
            throw new ApiException(401, "X-Callback-Url needs the admin token");
        }
        if (callbackUrl != null && !callbackUrl.matches("https?://[^\\s]+")) {
            throw new ApiException(400, "X-Callback-Url must be an http:// or https:// URL, got '" + callbackUrl + "'");
        }
        String id = InvocationIds.next();
        Instant accepted = Instant.now();
        store.put(pending(id, d.version(), InvocationRecord.State.QUEUED, accepted));
        try {
            queue.accept(new AsyncInvocation(id, d.version().name(), d.version().version(), input, accepted, 0, callbackUrl));
        } catch (AsyncQueue.UnavailableException e) {
            LOG.warnf("async invocation %s of %s was not accepted: %s", id, target, e.getMessage());
            store.put(hostError(id, d.version(), new IllegalStateException("not accepted: " + e.getMessage()), accepted));
            throw new ApiException(503, "the invocation could not be stored; nothing will run: try again (invocation "
                    + id + ")", Map.of("invocation", id), Map.of("Retry-After", "1"));
        }
        return id;
    }

    private static Throwable unwrap(Throwable t) {
        return t instanceof CompletionException && t.getCause() != null ? t.getCause() : t;
    }

    /** Records are best effort: the caller already has the answer, so a full queue drops them. */
    private void recordLater(InvocationRecord record) {
        records.execute(() -> {
            try {
                store.put(record);
            } catch (RuntimeException e) {
                // the store is down: the invocation itself succeeded all the same
            }
        });
    }

    /** Stops the record writer. */
    public void close() {
        records.shutdown();
    }

    private static InvocationRecord pending(String id, FunctionVersion v, InvocationRecord.State state, Instant created) {
        return InvocationRecords.pending(id, v.name(), v.version(), state, created);
    }

    static InvocationRecord done(String id, FunctionVersion v, InvocationResult r, boolean keepStdout, Instant created) {
        return InvocationRecords.done(id, v.name(), v.version(), r, keepStdout, created);
    }

    private static InvocationRecord hostError(String id, FunctionVersion v, Throwable cause, Instant created) {
        return InvocationRecords.hostError(id, v.name(), v.version(), String.valueOf(cause.getMessage()), created);
    }
}
