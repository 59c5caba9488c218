package dev.thaw.invoker.service;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.thaw.protocol.AsyncInvocation;
import dev.thaw.protocol.FunctionSettings;
import dev.thaw.protocol.InvocationResult;
import dev.thaw.protocol.InvokerBusyException;
import dev.thaw.registry.FunctionRegistry;
import dev.thaw.registry.FunctionVersion;
import dev.thaw.registry.InvocationRecord;
import dev.thaw.registry.InvocationRecords;
import dev.thaw.registry.InvocationStore;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;

/**
 * Runs accepted async invocations on this host, at least once, whatever queue delivered them
 * (Kafka, or the embedded platform's journal). For each one:
 * <ol>
 * <li>an invocation whose record is already DONE was run before (a redelivery): skipped;</li>
 * <li>it waits for a slot within the function's concurrency on this host;</li>
 * <li>it runs; a failure of the host (busy runners, a snapshot that cannot be prepared) is
 *     retried with exponential backoff up to {@value #HOST_TRIES} times; a failure of the
 *     function only up to its manifest's {@code retries};</li>
 * <li>its DONE record is written, then its result is POSTed to its callback URL, if any;
 *     after its last failed try it also goes to the dead letters, and its record says so.</li>
 * </ol>
 * {@link #run} returns when all of that is done: the caller then acknowledges the delivery
 * (commits the offset, deletes the journal entry). It blocks: call it on a virtual thread.
 */
public final class AsyncRunner {
    static final int HOST_TRIES = 6;
    private static final Duration FIRST_BACKOFF = Duration.ofMillis(100);
    private static final Duration MAX_BACKOFF = Duration.ofSeconds(5);
    private static final int CALLBACK_TRIES = 3;
    private static final System.Logger LOG = System.getLogger(AsyncRunner.class.getName());
    private static final ObjectMapper JSON = new ObjectMapper();

    /** Where an invocation goes after its last failed try. */
    @FunctionalInterface
    public interface DeadLetters {
        void send(AsyncInvocation invocation, String outcome, String error);
    }

    private final FunctionHost host;
    private final FunctionRegistry registry;
    private final InvocationStore store;
    private final DeadLetters deadLetters;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private final Map<String, Semaphore> slots = new ConcurrentHashMap<>();

    public AsyncRunner(FunctionHost host, FunctionRegistry registry, InvocationStore store, DeadLetters deadLetters) {
        this.host = host;
        this.registry = registry;
        this.store = store;
        this.deadLetters = deadLetters;
    }

    /** Runs one delivered invocation to its record (see the class comment); false when it was a duplicate. */
    public boolean run(AsyncInvocation inv) throws InterruptedException {
        Optional<InvocationRecord> existing = store.get(inv.id());
        if (existing.isPresent() && existing.get().state() == InvocationRecord.State.DONE) {
            return false;
        }
        Optional<FunctionVersion> version = registry.version(inv.function(), inv.version());
        if (version.isEmpty()) {
            finish(inv, null, "function " + inv.function() + "@" + inv.version() + " was deleted before it ran");
            return true;
        }
        FunctionSettings settings = FunctionSettings.of(version.get().manifestJson());
        Semaphore slot = slots.computeIfAbsent(inv.function() + "/" + settings.concurrency(),
                f -> new Semaphore(settings.concurrency()));
        slot.acquire();
        try {
            store.put(InvocationRecords.pending(inv.id(), inv.function(), inv.version(), InvocationRecord.State.RUNNING,
                    inv.acceptedAt()));
            attempts(inv, version.get(), settings);
        } finally {
            slot.release();
        }
        return true;
    }

    private void attempts(AsyncInvocation inv, FunctionVersion version, FunctionSettings settings)
            throws InterruptedException {
        int hostFailures = 0;
        int functionFailures = 0;
        while (true) {
            InvocationResult result;
            try {
                long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(settings.timeoutMs());
                result = host.invoke(version, inv.input(), deadline).join();
            } catch (CompletionException | IllegalStateException e) {
                Throwable cause = e instanceof CompletionException && e.getCause() != null ? e.getCause() : e;
                if (++hostFailures >= HOST_TRIES) {
                    finish(inv, null, "the platform could not run it after " + hostFailures + " tries: " + cause.getMessage());
                    return;
                }
                if (!(cause instanceof InvokerBusyException)) {
                    LOG.log(System.Logger.Level.WARNING, "async invocation " + inv.id() + " failed on this host (try "
                            + hostFailures + "): " + cause.getMessage());
                }
                backoff(hostFailures);
                continue;
            }
            if (result.ok() || functionFailures >= settings.retries()) {
                finish(inv, result, null);
                return;
            }
            backoff(++functionFailures);
            inv = inv.nextAttempt();
        }
    }

    /** Writes the DONE record, dead-letters a failure, and calls the callback. */
    private void finish(AsyncInvocation inv, InvocationResult result, String hostError) {
        boolean failed = hostError != null || !result.ok();
        if (failed) {
            String outcome = result == null ? InvocationRecords.HOST_ERROR : result.status().name();
            String error = result == null ? hostError : result.error().isEmpty()
                    ? "function exited with status " + result.exitCode() : result.error();
            try {
                deadLetters.send(inv, outcome, error);
            } catch (RuntimeException e) {
                LOG.log(System.Logger.Level.WARNING, "cannot dead-letter " + inv.id() + ": " + e.getMessage());
            }
        }
        String note = failed ? "after " + (inv.attempt() + 1) + (inv.attempt() == 0 ? " try" : " tries")
                + ", sent to the dead letters" : "";
        InvocationRecord record = result == null
                ? InvocationRecords.hostError(inv.id(), inv.function(), inv.version(), hostError + " (" + note + ")",
                        inv.acceptedAt())
                : InvocationRecords.done(inv.id(), inv.function(), inv.version(), result, true, inv.acceptedAt(), note);
        store.put(record);
        if (inv.callbackUrl() != null) {
            callback(inv, record);
        }
    }

    private void callback(AsyncInvocation inv, InvocationRecord record) {
        ObjectNode body = JSON.createObjectNode().put("invocation", record.id()).put("function", record.function())
                .put("version", record.version()).put("outcome", record.outcome()).put("exit_code", record.exitCode())
                .put("error", record.error())
                .put("stdout_base64", Base64.getEncoder().encodeToString(record.stdout()))
                .put("stderr", new String(record.stderr(), StandardCharsets.UTF_8));
        HttpRequest request = HttpRequest.newBuilder(URI.create(inv.callbackUrl())).timeout(Duration.ofSeconds(10))
                .header("Content-Type", "application/json").header("Thaw-Invocation-Id", inv.id())
                .POST(HttpRequest.BodyPublishers.ofString(body.toString())).build();
        for (int attempt = 1; attempt <= CALLBACK_TRIES; attempt++) {
            try {
                int status = http.send(request, HttpResponse.BodyHandlers.discarding()).statusCode();
                if (status / 100 == 2) {
                    return;
                }
                LOG.log(System.Logger.Level.WARNING, "callback of " + inv.id() + " answered " + status);
            } catch (Exception e) {
                LOG.log(System.Logger.Level.WARNING, "callback of " + inv.id() + " failed: " + e.getMessage());
                if (e instanceof InterruptedException) {
                    Thread.currentThread().interrupt();
                    return;
                }
            }
            try {
                backoff(attempt);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    private static void backoff(int failures) throws InterruptedException {
        long millis = Math.min(MAX_BACKOFF.toMillis(), FIRST_BACKOFF.toMillis() << Math.min(failures - 1, 10));
        Thread.sleep(millis);
    }
}
