package dev.thaw.gateway.invoke;

import dev.thaw.gateway.ApiException;
import dev.thaw.gateway.GatewayMetrics;
import dev.thaw.gateway.route.Invokers;
import dev.thaw.invoker.Result;
import dev.thaw.registry.FunctionVersion;
import dev.thaw.registry.InvocationRecord;
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

/**
 * Invoking a function, sync or async: find the version, check the token and the function's
 * concurrency, run it on an invoker, and record it (off the response's path) for logs and
 * async callers. Plain Java: the REST layer only translates.
 */
public final class InvocationService {
    /** Stderr kept with a record, and returned with a failure. */
    static final int STDERR_KEPT = 64 * 1024;
    public static final String HOST_ERROR = "HOST_ERROR";

    private final FunctionCatalog catalog;
    private final Invokers invokers;
    private final InvocationStore store;
    private final InvocationQueue queue;
    private final GatewayMetrics metrics;
    private final Executor blocking;
    private final ConcurrencyLimits limits = new ConcurrencyLimits();
    /** One thread writes the records of sync invocations, off every invocation's path. */
    private final ThreadPoolExecutor records = new ThreadPoolExecutor(1, 1, 0, TimeUnit.SECONDS,
            new ArrayBlockingQueue<>(10_000), r -> Thread.ofPlatform().name("thaw-records").daemon().unstarted(r),
            new ThreadPoolExecutor.DiscardPolicy());

    /** A finished invocation. */
    public record Completed(String id, FunctionVersion version, Result result) {}

    public InvocationService(FunctionCatalog catalog, Invokers invokers, InvocationStore store, InvocationQueue queue,
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
            if (!dev.thaw.snapshotter.Manifest.validName(name)) {
                throw new ApiException(400, "invalid function name '" + name + "': use [a-z][a-z0-9-]{0,62}");
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

    /** Finds the function without blocking the caller when the catalog has it cached. */
    private CompletableFuture<FunctionCatalog.Deployed> find(Target t) {
        Optional<FunctionCatalog.Deployed> cached = catalog.cached(t.name(), t.version());
        if (cached.isPresent()) {
            return CompletableFuture.completedFuture(cached.get());
        }
        return CompletableFuture.supplyAsync(() -> catalog.find(t.name(), t.version())
                .orElseThrow(() -> new ApiException(404, "function '" + t + "' not found")), blocking);
    }

    private static void authorize(FunctionCatalog.Deployed d, boolean admin) {
        if (!admin && !d.manifest().isPublic()) {
            throw new ApiException(401, "missing or invalid token");
        }
    }

    /**
     * Runs an invocation and completes with its result; failures of the function are results,
     * not errors. What follows the run (accounting, the record, the caller's continuation)
     * happens on {@code continuation}, not on the runner thread that ran the guest: the
     * REST layer passes its event loop, so the runner is free for the next invocation at once.
     */
    public CompletableFuture<Completed> invoke(Target target, byte[] input, boolean admin, Executor continuation) {
        return find(target).thenCompose(d -> {
            authorize(d, admin);
            String name = d.version().name();
            if (!limits.tryAcquire(name, d.manifest().concurrency())) {
                throw new ApiException(429, "function '" + name + "' is running " + d.manifest().concurrency()
                        + " invocations already (its concurrency limit)", Map.of(), Map.of("Retry-After", "1"));
            }
            String id = InvocationIds.next();
            long start = System.nanoTime();
            Instant created = Instant.now();
            return invokers.invoke(d.version(), input).handleAsync((result, failure) -> {
                limits.release(name);
                long nanos = System.nanoTime() - start;
                if (failure != null) {
                    metrics.invocation(name, HOST_ERROR, nanos);
                    Throwable cause = failure instanceof CompletionException && failure.getCause() != null ? failure.getCause() : failure;
                    recordLater(hostError(id, d.version(), cause, created));
                    if (cause instanceof Invokers.NoInvokerException) {
                        throw new ApiException(503, cause.getMessage(), Map.of("invocation", id), Map.of());
                    }
                    throw new ApiException(500, "the host failed to run the function: " + cause.getMessage(),
                            Map.of("invocation", id), Map.of());
                }
                metrics.invocation(name, result.status().name(), nanos);
                if (metrics.needsPool(name)) {
                    invokers.pool(name).ifPresent(p -> metrics.pool(name, () -> invokers.pool(name).map(x -> x.idle()).orElse(0)));
                }
                if (!result.ok() || result.stderr().length > 0 || !result.logs().isEmpty()) {
                    recordLater(done(id, d.version(), result, false, created)); // a clean run has no log lines to keep
                }
                return new Completed(id, d.version(), result);
            }, continuation);
        });
    }

    /**
     * Queues an invocation and returns its id at once; the result goes to its record.
     * Blocks briefly on the registry on a cache miss: call from a worker thread.
     */
    public String submit(Target target, byte[] input, boolean admin) {
        FunctionCatalog.Deployed d = catalog.find(target.name(), target.version())
                .orElseThrow(() -> new ApiException(404, "function '" + target + "' not found"));
        authorize(d, admin);
        String id = InvocationIds.next();
        Instant created = Instant.now();
        store.put(pending(id, d.version(), InvocationRecord.State.QUEUED, created));
        boolean queued = queue.offer(() -> {
            store.put(pending(id, d.version(), InvocationRecord.State.RUNNING, created));
            long start = System.nanoTime();
            try {
                Result r = invokers.invoke(d.version(), input).join();
                metrics.invocation(d.version().name(), r.status().name(), System.nanoTime() - start);
                store.put(done(id, d.version(), r, true, created));
            } catch (RuntimeException e) {
                metrics.invocation(d.version().name(), HOST_ERROR, System.nanoTime() - start);
                store.put(hostError(id, d.version(), e.getCause() != null ? e.getCause() : e, created));
            }
        });
        if (!queued) {
            store.put(hostError(id, d.version(), new IllegalStateException("the async queue is full"), created));
            throw new ApiException(503, "the async queue is full (" + queue.depth() + " waiting); try again later",
                    Map.of(), Map.of("Retry-After", "1"));
        }
        return id;
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
        return new InvocationRecord(id, v.name(), v.version(), state, "", 0, "", new byte[0], new byte[0], List.of(),
                false, 0, 0, created, null);
    }

    static InvocationRecord done(String id, FunctionVersion v, Result r, boolean keepStdout, Instant created) {
        byte[] stderr = r.stderr();
        if (stderr.length > STDERR_KEPT) {
            stderr = Arrays.copyOfRange(stderr, stderr.length - STDERR_KEPT, stderr.length);
        }
        String error = switch (r.status()) {
            case EXITED -> r.exitCode() == 0 ? "" : r.error().isEmpty() ? "function exited with status " + r.exitCode() : r.error();
            default -> r.error();
        };
        return new InvocationRecord(id, v.name(), v.version(), InvocationRecord.State.DONE, r.status().name(),
                r.exitCode(), error, keepStdout ? r.stdout() : new byte[0], stderr, r.logs(), r.timings().warm(),
                r.timings().queueNanos() / 1000, r.timings().runNanos() / 1000, created, Instant.now());
    }

    private static InvocationRecord hostError(String id, FunctionVersion v, Throwable cause, Instant created) {
        return new InvocationRecord(id, v.name(), v.version(), InvocationRecord.State.DONE, HOST_ERROR, 0,
                String.valueOf(cause.getMessage()), new byte[0], new byte[0], List.of(), false, 0, 0, created, Instant.now());
    }
}
