package dev.thaw.invoker.service;

import dev.thaw.events.EventProducer;
import dev.thaw.events.TriggerConsumer;
import dev.thaw.protocol.TriggerSpec;
import dev.thaw.registry.FunctionRegistry;
import dev.thaw.registry.TriggerRegistry;
import dev.thaw.registry.TriggerReport;
import dev.thaw.registry.TriggerStatuses;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * This host's share of every Kafka trigger: one {@link TriggerConsumer} per trigger of the
 * registry, in the trigger's consumer group (so Kafka spreads each trigger's partitions over
 * the hosts), running batches through a {@link TriggerWork} on {@link FunctionHost}. Every
 * {@value #REFRESH_SECONDS} s it reads the registry (new triggers start, deleted ones stop, a
 * replaced one restarts) and publishes each consumer's {@link TriggerReport}. A registry that
 * cannot be read leaves the running consumers as they are.
 */
public final class TriggerHost implements AutoCloseable {
    static final int REFRESH_SECONDS = 2;
    /** A report outlives a few missed refreshes, not a dead host. */
    static final Duration REPORT_TTL = Duration.ofSeconds(10);
    private static final System.Logger LOG = System.getLogger(TriggerHost.class.getName());

    private final String hostId;
    private final String platformBootstrap;
    private final TriggerRegistry triggers;
    private final TriggerStatuses statuses;
    private final FunctionHost host;
    private final FunctionRegistry functions;
    private final ScheduledExecutorService refresher = Executors.newSingleThreadScheduledExecutor(
            r -> Thread.ofPlatform().name("thaw-triggers").daemon().unstarted(r));
    /** Stopping a consumer waits for its lanes: never on the refresher's thread. */
    private final ExecutorService stopper = Executors.newVirtualThreadPerTaskExecutor();
    private final Map<String, Running> running = new HashMap<>(); // refresher thread only
    private String lastProblem; // refresher thread only: logged once

    /** A trigger this host consumes: its spec, and its consumer (null when it cannot have one here). */
    private record Running(TriggerSpec spec, TriggerConsumer consumer, EventProducer producer, String problem) {
        void stop() {
            if (consumer != null) {
                consumer.close();
            }
            if (producer != null) {
                producer.close();
            }
        }
    }

    /**
     * @param hostId            names this host in reports and Kafka client ids
     * @param platformBootstrap the Kafka of triggers that name none; null when this host has none
     */
    public TriggerHost(String hostId, String platformBootstrap, TriggerRegistry triggers, TriggerStatuses statuses,
                       FunctionHost host, FunctionRegistry functions) {
        this.hostId = hostId;
        this.platformBootstrap = platformBootstrap;
        this.triggers = triggers;
        this.statuses = statuses;
        this.host = host;
        this.functions = functions;
    }

    /** Starts following the registry (the first read is at once). */
    public TriggerHost start() {
        refresher.scheduleWithFixedDelay(this::refresh, 0, REFRESH_SECONDS, TimeUnit.SECONDS);
        return this;
    }

    private void refresh() {
        try {
            List<TriggerSpec> wanted;
            try {
                wanted = triggers.list();
            } catch (RuntimeException e) {
                problem("cannot read the triggers (the running ones go on): " + e.getMessage());
                report();
                return;
            }
            lastProblem = null;
            Set<String> names = new HashSet<>();
            for (TriggerSpec spec : wanted) {
                names.add(spec.name());
                Running r = running.get(spec.name());
                if (r != null && r.spec().equals(spec)) {
                    continue;
                }
                if (r != null) {
                    stop(r); // replaced: a new consumer for the new spec
                }
                running.put(spec.name(), start(spec));
            }
            for (String name : Set.copyOf(running.keySet())) {
                if (!names.contains(name)) {
                    stop(running.remove(name));
                }
            }
            report();
        } catch (RuntimeException e) {
            LOG.log(System.Logger.Level.ERROR, "refreshing the triggers failed", e);
        }
    }

    private Running start(TriggerSpec spec) {
        String bootstrap = spec.bootstrapOr(platformBootstrap);
        if (bootstrap == null) {
            return new Running(spec, null, null, "trigger " + spec.name() + " names no Kafka and this host has none of its own"
                    + " (--kafka-bootstrap, or thaw.kafka.bootstrap)");
        }
        String clientId = hostId + "-trigger-" + spec.name();
        EventProducer producer = spec.dlq() == null && spec.to() == null ? null : new EventProducer(bootstrap, clientId);
        TriggerConsumer consumer = new TriggerConsumer(spec.name(), TriggerConsumer.Settings.of(spec, bootstrap, clientId),
                new TriggerWork(spec, host, functions, producer));
        return new Running(spec, consumer, producer, null);
    }

    private void stop(Running r) {
        stopper.execute(() -> {
            r.stop();
            try {
                statuses.withdraw(r.spec().name(), hostId);
            } catch (RuntimeException e) {
                // the report expires by itself
            }
        });
    }

    private void report() {
        for (Running r : running.values()) {
            TriggerReport report;
            if (r.consumer() == null) {
                report = new TriggerReport(hostId, TriggerReport.ERROR, List.of(), r.problem(), r.problem(), null, 0, 0,
                        Instant.now());
            } else {
                TriggerConsumer.Status s = r.consumer().status();
                report = new TriggerReport(hostId, s.state(), s.partitions(), s.error(), s.lastError(), s.lastErrorAt(),
                        s.events(), s.deadLettered(), Instant.now());
            }
            try {
                statuses.report(r.spec().name(), report, REPORT_TTL);
            } catch (RuntimeException e) {
                problem("cannot publish the triggers' status: " + e.getMessage());
                return;
            }
        }
    }

    private void problem(String message) {
        if (!message.equals(lastProblem)) {
            lastProblem = message;
            LOG.log(System.Logger.Level.WARNING, message);
        }
    }

    /** The status of this host's consumer of {@code trigger}, if it runs one (for tests and benchmarks). */
    public TriggerConsumer.Status status(String trigger) {
        try {
            return refresher.submit(() -> {
                Running r = running.get(trigger);
                return r == null || r.consumer() == null ? null : r.consumer().status();
            }).get(10, TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new IllegalStateException("cannot read the status of trigger " + trigger + ": " + e, e);
        }
    }

    /** Stops every consumer: each commits what it handled and leaves its group. */
    @Override
    public void close() {
        refresher.shutdownNow();
        try {
            refresher.awaitTermination(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        running.values().forEach(this::stop);
        running.clear();
        stopper.shutdown();
        try {
            stopper.awaitTermination(2, TimeUnit.MINUTES);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
