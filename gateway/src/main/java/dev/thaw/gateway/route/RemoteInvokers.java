package dev.thaw.gateway.route;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.thaw.protocol.BuildCodec;
import dev.thaw.protocol.BuildFailure;
import dev.thaw.protocol.BuildOutcome;
import dev.thaw.protocol.InvocationResult;
import dev.thaw.protocol.ResultCodec;
import dev.thaw.protocol.BearerSecret;
import dev.thaw.protocol.InvokerApi;
import dev.thaw.protocol.InvokerBusyException;
import dev.thaw.registry.FunctionVersion;
import dev.thaw.registry.InvokerDirectory;
import dev.thaw.registry.InvokerInfo;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Cluster mode: invokers are other processes, found in the {@link InvokerDirectory} and
 * chosen by the {@link Router}. A request that fails in transport (connection refused or
 * reset: the invoker died) is retried once on the next invoker in the function's order.
 * That is safe because a function has no effect outside its VM: running it again changes
 * nothing but the answer's latency. Every call presents the cluster secret, and an
 * invocation's call ends at its deadline plus {@link #ANSWER_MARGIN}: an invoker that
 * accepts the connection and never answers costs the caller its timeout, not forever.
 */
public final class RemoteInvokers implements Invokers {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final long SUSPECT_NANOS = Duration.ofSeconds(5).toNanos();
    private static final Duration BUILD_TIMEOUT = Duration.ofMinutes(3);
    private static final Duration CONTROL_TIMEOUT = Duration.ofSeconds(5);
    /**
     * How long after an invocation's deadline its invoker may still answer: the watchdog's
     * kick and sending the TIMEOUT result back take milliseconds; building the snapshot on an
     * invoker that has not run the function yet (a cold start, which does not count against
     * the function's timeout) takes up to a few seconds for a C function.
     */
    public static final Duration ANSWER_MARGIN = Duration.ofSeconds(5);

    private final InvokerDirectory directory;
    private final Router router;
    private final BearerSecret secret;
    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(2)).build();
    private final ScheduledExecutorService refresher = Executors.newSingleThreadScheduledExecutor(
            r -> Thread.ofPlatform().name("thaw-invoker-directory").daemon().unstarted(r));
    /** Invokers that just failed in transport, until the directory forgets them. */
    private final Map<String, Long> suspects = new ConcurrentHashMap<>();

    public RemoteInvokers(InvokerDirectory directory, Router router, BearerSecret secret, Duration refresh) {
        this.directory = directory;
        this.router = router;
        this.secret = secret;
        refresh();
        refresher.scheduleWithFixedDelay(this::refresh, refresh.toMillis(), refresh.toMillis(), TimeUnit.MILLISECONDS);
    }

    private void refresh() {
        try {
            router.members(directory.members());
        } catch (RuntimeException e) {
            // keep the last known members; the next refresh tries again
        }
    }

    private Set<String> suspects() {
        long now = System.nanoTime();
        suspects.values().removeIf(until -> now - until > 0);
        return new HashSet<>(suspects.keySet());
    }

    @Override
    public CompletableFuture<InvocationResult> invoke(FunctionVersion version, byte[] input, long deadlineNanos) {
        List<InvokerInfo> order;
        try {
            order = router.order(version.name(), suspects());
            if (order.isEmpty()) { // every live invoker failed lately: trying one beats a certain 503
                order = router.order(version.name(), Set.of());
            }
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(e);
        }
        if (order.isEmpty()) {
            return CompletableFuture.failedFuture(new NoInvokerException("no invoker is alive"));
        }
        return attempt(version, input, deadlineNanos, order, 0);
    }

    private CompletableFuture<InvocationResult> attempt(FunctionVersion v, byte[] input, long deadline, List<InvokerInfo> order,
                                              int i) {
        long left = deadline - System.nanoTime();
        if (left <= 0) {
            return CompletableFuture.completedFuture(InvocationResult.timedOut("its timeout passed before an invoker could run it"));
        }
        InvokerInfo target = order.get(i);
        HttpRequest request = HttpRequest.newBuilder(URI.create(target.url() + "/v1/invoke/" + v.name() + "/" + v.version()))
                .header(InvokerApi.AUTHORIZATION, secret.authorization())
                .header(InvokerApi.DEADLINE_MS, Long.toString(Math.max(1, left / 1_000_000)))
                .timeout(Duration.ofNanos(left).plus(ANSWER_MARGIN))
                .POST(HttpRequest.BodyPublishers.ofByteArray(input)).build();
        router.started(target.id());
        return http.sendAsync(request, HttpResponse.BodyHandlers.ofByteArray())
                .handle((response, failure) -> {
                    router.finished(target.id());
                    if (failure != null) {
                        Throwable cause = unwrap(failure);
                        if (cause instanceof HttpTimeoutException) {
                            // it took the connection and never answered: the time is spent, do not retry
                            suspects.put(target.id(), System.nanoTime() + SUSPECT_NANOS);
                            return CompletableFuture.completedFuture(InvocationResult.timedOut(
                                    "no answer from its invoker within its timeout"));
                        }
                        suspects.put(target.id(), System.nanoTime() + SUSPECT_NANOS);
                        if (i == 0 && order.size() > 1) {
                            return attempt(v, input, deadline, order, 1);
                        }
                        return CompletableFuture.<InvocationResult>failedFuture(new NoInvokerException(
                                "invoker " + target.id() + " failed: " + describe(cause)));
                    }
                    if (response.statusCode() == 503) { // its runners' queues are full: nothing ran
                        if (i == 0 && order.size() > 1) {
                            return attempt(v, input, deadline, order, 1);
                        }
                        return CompletableFuture.<InvocationResult>failedFuture(new InvokerBusyException(
                                "invoker " + target.id() + " is busy: " + error(response.body(), 503)));
                    }
                    if (response.statusCode() == 404) {
                        return CompletableFuture.<InvocationResult>failedFuture(new VersionGoneException(
                                "function '" + v.name() + "@" + v.version() + "' not found"));
                    }
                    if (response.statusCode() != 200) {
                        return CompletableFuture.<InvocationResult>failedFuture(new IllegalStateException(
                                "invoker " + target.id() + ": " + error(response.body(), response.statusCode())));
                    }
                    try {
                        return CompletableFuture.completedFuture(ResultCodec.decode(response.body()));
                    } catch (IOException e) {
                        return CompletableFuture.<InvocationResult>failedFuture(e);
                    }
                })
                .thenCompose(f -> f);
    }

    @Override
    public BuildOutcome build(String name, byte[] bundle) throws BuildFailure {
        Set<String> tried = suspects();
        for (InvokerInfo target : router.order(name, tried)) {
            HttpRequest request = HttpRequest.newBuilder(URI.create(target.url() + "/v1/build/" + name))
                    .header(InvokerApi.AUTHORIZATION, secret.authorization())
                    .timeout(BUILD_TIMEOUT).POST(HttpRequest.BodyPublishers.ofByteArray(bundle)).build();
            HttpResponse<byte[]> response;
            try {
                response = http.send(request, HttpResponse.BodyHandlers.ofByteArray());
            } catch (IOException e) {
                suspects.put(target.id(), System.nanoTime() + SUSPECT_NANOS);
                continue;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new BuildFailure(BuildFailure.Kind.HOST, "interrupted while building", null, null);
            }
            return BuildCodec.decode(response.statusCode(), response.body());
        }
        throw new BuildFailure(BuildFailure.Kind.HOST, "no invoker is alive to build the function", null, null);
    }

    @Override
    public void forget(String name) {
        for (InvokerInfo m : router.members()) {
            http.sendAsync(HttpRequest.newBuilder(URI.create(m.url() + "/v1/functions/" + name))
                            .header(InvokerApi.AUTHORIZATION, secret.authorization()).timeout(CONTROL_TIMEOUT).DELETE().build(),
                    HttpResponse.BodyHandlers.discarding());
        }
    }

    @Override
    public Optional<PoolStats> pool(String name) {
        return Optional.empty(); // each invoker knows its own pools
    }

    /** The live invokers as last read from the directory. */
    public List<InvokerInfo> members() {
        return router.members();
    }

    @Override
    public String where() {
        return "invoker processes";
    }

    @Override
    public boolean ready() {
        return !router.members().isEmpty();
    }

    @Override
    public void close() {
        refresher.shutdownNow();
        directory.close();
    }

    private static Throwable unwrap(Throwable t) {
        return t instanceof CompletionException && t.getCause() != null ? t.getCause() : t;
    }

    private static String describe(Throwable c) {
        return c.getClass().getSimpleName() + (c.getMessage() == null ? "" : ": " + c.getMessage());
    }

    private static String error(byte[] body, int status) {
        try {
            return JSON.readTree(body).path("error").asText("status " + status);
        } catch (IOException e) {
            return "status " + status;
        }
    }
}
