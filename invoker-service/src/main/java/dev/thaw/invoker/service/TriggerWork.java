package dev.thaw.invoker.service;

import static java.nio.charset.StandardCharsets.UTF_8;

import dev.thaw.events.EventBatchJson;
import dev.thaw.events.EventProducer;
import dev.thaw.events.TriggerConsumer;
import dev.thaw.events.TriggerEvent;
import dev.thaw.protocol.FunctionSettings;
import dev.thaw.protocol.InvocationResult;
import dev.thaw.protocol.InvokerBusyException;
import dev.thaw.protocol.TriggerSpec;
import dev.thaw.registry.FunctionRegistry;
import dev.thaw.registry.FunctionVersion;
import dev.thaw.registry.RegistryException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

/**
 * Runs one trigger's batches on this host, through {@link FunctionHost}, with the latest
 * version of its function (looked up at most once a second).
 * <ol>
 * <li>A batch runs as one invocation whose stdin is {@link EventBatchJson}. It succeeds when the
 *     invocation is {@link InvocationResult#ok()}; then its stdout goes to the trigger's
 *     {@code to} topic (unless empty), and the batch is handled.</li>
 * <li>A failing batch is tried again with backoff (100 ms, doubling, at most 5 s), up to
 *     {@code max_retries} more times; then it is split in two halves, run in order, each tried
 *     once and split again when it fails. So the events before a poison event pass and are
 *     committed, and only an event that failed alone {@code 1 + max_retries} times is given up:
 *     it goes to the {@code dlq} topic with the error in its headers, and the partition goes on.
 *     Without a {@code dlq} its partition waits on it, trying it again with backoff (at most
 *     60 s), until it passes (a fixed function) or the trigger is replaced: nothing is dropped.
 *     An input too large for the function is split at once.</li>
 * <li>Failures of the platform rather than of the function (the function missing, runners
 *     busy, a snapshot that cannot be prepared, the registry unreachable, a record Kafka does
 *     not take) never count as tries: they are retried with backoff (at most 30 s) until they
 *     pass, the partition waiting.</li>
 * </ol>
 * Records this host produces (dead letters, outputs) carry headers naming the trigger and the
 * source event(s).
 */
final class TriggerWork implements TriggerConsumer.BatchHandler {
    private static final long FIRST_BACKOFF_MS = 100;
    private static final long MAX_RETRY_BACKOFF_MS = 5_000;
    private static final long MAX_HOST_BACKOFF_MS = 30_000;
    private static final long MAX_POISON_BACKOFF_MS = 60_000;
    private static final long LATEST_TTL_NANOS = TimeUnit.SECONDS.toNanos(1);
    private static final int STDERR_HEADER_BYTES = 1024;

    /** Headers of the records a trigger produces. */
    static final String TRIGGER = "thaw-trigger";
    static final String FUNCTION = "thaw-function";
    static final String VERSION = "thaw-version";
    static final String ERROR = "thaw-error";
    static final String OUTCOME = "thaw-outcome";
    static final String STDERR = "thaw-stderr";
    static final String TRIES = "thaw-tries";
    static final String SOURCE_TOPIC = "thaw-source-topic";
    static final String SOURCE_PARTITION = "thaw-source-partition";
    static final String SOURCE_OFFSET = "thaw-source-offset";
    static final String SOURCE_TIMESTAMP = "thaw-source-timestamp";
    /** On an output: the first and last offsets of the batch, "first-last". */
    static final String SOURCE_OFFSETS = "thaw-source-offsets";

    private final TriggerSpec spec;
    private final FunctionHost host;
    private final FunctionRegistry registry;
    private final EventProducer producer;
    private volatile Latest latest;

    private record Latest(FunctionVersion version, FunctionSettings settings, long expires) {}

    /** How one invocation of a batch went: a result, or why there is none. */
    private record Attempt(InvocationResult result, FunctionVersion version) {
        String error() {
            if (result.status() != InvocationResult.Status.EXITED) {
                return result.error();
            }
            String stderr = result.stderrText().strip();
            String last = stderr.isEmpty() ? "" : ": " + stderr.substring(stderr.lastIndexOf('\n') + 1);
            return "function exited with status " + result.exitCode() + (last.length() > 300 ? last.substring(0, 300) : last);
        }
    }

    /** {@code producer} may be null when the trigger has neither a dead-letter topic nor an output topic. */
    TriggerWork(TriggerSpec spec, FunctionHost host, FunctionRegistry registry, EventProducer producer) {
        this.spec = spec;
        this.host = host;
        this.registry = registry;
        this.producer = producer;
    }

    @Override
    public void handle(List<TriggerEvent> batch, TriggerConsumer.Progress progress) throws InterruptedException {
        run(batch, 1 + spec.maxRetries(), progress);
    }

    /** Runs {@code events} (tried up to {@code tries} times, then split) until every one is handled. */
    private void run(List<TriggerEvent> events, int tries, TriggerConsumer.Progress progress) throws InterruptedException {
        Attempt failed = null;
        int tried = 0;
        while (tried < tries) {
            Attempt a = invoke(events, progress);
            tried++;
            if (a.result().ok()) {
                output(events, a, progress);
                progress.handled(events.getLast().offset() + 1, events.size(), 0);
                return;
            }
            failed = a;
            if (a.result().status() == InvocationResult.Status.INPUT_TOO_LARGE) {
                break; // the same input fails the same way
            }
            if (tried < tries) {
                progress.failing(describe(events) + " failed (try " + tried + " of " + tries + "): " + a.error());
                sleep(backoff(tried, MAX_RETRY_BACKOFF_MS));
            }
        }
        if (events.size() > 1) {
            int half = events.size() / 2;
            List<TriggerEvent> first = events.subList(0, half);
            List<TriggerEvent> second = events.subList(half, events.size());
            run(first, first.size() == 1 ? 1 + spec.maxRetries() : 1, progress);
            run(second, second.size() == 1 ? 1 + spec.maxRetries() : 1, progress);
            return;
        }
        giveUp(events.getFirst(), failed, tried, progress);
    }

    /** An event that failed alone every time: to the dead letters, or its partition waits on it. */
    private void giveUp(TriggerEvent event, Attempt failed, int tries, TriggerConsumer.Progress progress)
            throws InterruptedException {
        if (spec.dlq() == null) {
            for (int waits = 1; ; waits++) {
                progress.failing("event " + event.where() + " fails (" + failed.error() + "); with no dead-letter topic,"
                        + " its partition waits for it to pass (" + tries + (tries == 1 ? " try" : " tries") + " so far)");
                sleep(backoff(waits + 3, MAX_POISON_BACKOFF_MS));
                failed = invoke(List.of(event), progress);
                tries++;
                if (failed.result().ok()) {
                    output(List.of(event), failed, progress);
                    progress.handled(event.offset() + 1, 1, 0);
                    return;
                }
            }
        }
        List<TriggerEvent.Header> headers = new ArrayList<>(event.headers());
        headers.add(header(TRIGGER, spec.name()));
        headers.add(header(FUNCTION, spec.function()));
        headers.add(header(VERSION, Integer.toString(failed.version().version())));
        headers.add(header(ERROR, failed.error()));
        headers.add(header(OUTCOME, failed.result().status().name()));
        byte[] stderr = failed.result().stderr();
        headers.add(new TriggerEvent.Header(STDERR, stderr.length <= STDERR_HEADER_BYTES ? stderr
                : Arrays.copyOfRange(stderr, stderr.length - STDERR_HEADER_BYTES, stderr.length)));
        headers.add(header(TRIES, Integer.toString(tries)));
        headers.add(header(SOURCE_TOPIC, event.topic()));
        headers.add(header(SOURCE_PARTITION, Integer.toString(event.partition())));
        headers.add(header(SOURCE_OFFSET, Long.toString(event.offset())));
        headers.add(header(SOURCE_TIMESTAMP, Long.toString(event.timestamp())));
        produce(spec.dlq(), event.key(), event.value(), headers, "dead letter of " + event.where(), progress);
        progress.handled(event.offset() + 1, 1, 1);
        interruptedCheck();
    }

    /** The batch's stdout, if the trigger has an output topic and there is any, as one record. */
    private void output(List<TriggerEvent> events, Attempt a, TriggerConsumer.Progress progress) throws InterruptedException {
        byte[] stdout = a.result().stdout();
        if (spec.to() == null || stdout.length == 0) {
            return;
        }
        TriggerEvent first = events.getFirst();
        List<TriggerEvent.Header> headers = List.of(header(TRIGGER, spec.name()), header(FUNCTION, spec.function()),
                header(VERSION, Integer.toString(a.version().version())), header(SOURCE_TOPIC, first.topic()),
                header(SOURCE_PARTITION, Integer.toString(first.partition())),
                header(SOURCE_OFFSETS, first.offset() + "-" + events.getLast().offset()));
        produce(spec.to(), sharedKey(events), stdout, headers, "output of " + describe(events), progress);
    }

    /** The events' key when they all have the same one (always, for one event), so outputs keep their key's order. */
    private static byte[] sharedKey(List<TriggerEvent> events) {
        byte[] key = events.getFirst().key();
        for (TriggerEvent e : events) {
            if (!Arrays.equals(key, e.key())) {
                return null;
            }
        }
        return key;
    }

    /** Produces until Kafka has the record; its partition waits meanwhile. */
    private void produce(String topic, byte[] key, byte[] value, List<TriggerEvent.Header> headers, String what,
                         TriggerConsumer.Progress progress) throws InterruptedException {
        for (int failures = 1; ; failures++) {
            try {
                producer.send(topic, key, value, headers);
                return;
            } catch (EventProducer.NotStoredException e) {
                progress.failing("cannot produce the " + what + " to '" + topic + "': " + e.getMessage());
                sleep(backoff(failures, MAX_HOST_BACKOFF_MS));
            }
        }
    }

    /** One invocation of {@code events}; failures of the platform are retried here until it runs. */
    private Attempt invoke(List<TriggerEvent> events, TriggerConsumer.Progress progress) throws InterruptedException {
        byte[] input = EventBatchJson.encode(events);
        for (int failures = 1; ; failures++) {
            interruptedCheck();
            String problem;
            try {
                Latest l = latest();
                if (l == null) {
                    problem = "function '" + spec.function() + "' does not exist";
                } else {
                    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(l.settings().timeoutMs());
                    return new Attempt(host.invoke(l.version(), input, deadline).get(), l.version());
                }
            } catch (ExecutionException e) {
                Throwable cause = e.getCause() == null ? e : e.getCause();
                if (cause instanceof InvokerBusyException) {
                    sleep(backoff(failures, 1_000)); // every runner's queue is full: soon
                    continue;
                }
                problem = "the platform cannot run " + spec.function() + " on this host: " + cause.getMessage();
            } catch (RegistryException | IllegalStateException e) {
                problem = "the platform cannot run " + spec.function() + " on this host: " + e.getMessage();
            }
            progress.failing(describe(events) + " waits: " + problem);
            sleep(backoff(failures, MAX_HOST_BACKOFF_MS));
        }
    }

    /** The function's latest version, cached a second; null when it does not exist. */
    private Latest latest() {
        Latest l = latest;
        if (l != null && System.nanoTime() - l.expires() < 0) {
            return l;
        }
        Optional<FunctionVersion> v = registry.latest(spec.function());
        if (v.isEmpty()) {
            latest = null;
            return null;
        }
        l = new Latest(v.get(), FunctionSettings.of(v.get().manifestJson()), System.nanoTime() + LATEST_TTL_NANOS);
        latest = l;
        return l;
    }

    private static String describe(List<TriggerEvent> events) {
        TriggerEvent first = events.getFirst();
        return events.size() == 1 ? "event " + first.where()
                : "batch " + first.where() + ".." + events.getLast().offset() + " (" + events.size() + " events)";
    }

    private static TriggerEvent.Header header(String key, String value) {
        return new TriggerEvent.Header(key, value.getBytes(UTF_8));
    }

    private static long backoff(int failures, long maxMs) {
        return Math.min(maxMs, FIRST_BACKOFF_MS << Math.min(failures - 1, 20));
    }

    private static void sleep(long ms) throws InterruptedException {
        Thread.sleep(ms);
    }

    private static void interruptedCheck() throws InterruptedException {
        if (Thread.interrupted()) {
            throw new InterruptedException();
        }
    }
}
