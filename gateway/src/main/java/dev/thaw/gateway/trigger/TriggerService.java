package dev.thaw.gateway.trigger;

import com.fasterxml.jackson.databind.JsonNode;
import dev.thaw.events.ConsumerLag;
import dev.thaw.gateway.ApiException;
import dev.thaw.gateway.GatewayMetrics;
import dev.thaw.protocol.FunctionName;
import dev.thaw.protocol.TriggerSpec;
import dev.thaw.registry.FunctionRegistry;
import dev.thaw.registry.TriggerRegistry;
import dev.thaw.registry.TriggerReport;
import dev.thaw.registry.TriggerStatuses;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Kafka triggers as the API manages them: created (checked field by field; the function must
 * exist), listed, read with their status, deleted. The invokers see the registry and run the
 * consumers; this service only stores specs and reads how they are doing: the invokers' reports
 * ({@link TriggerStatuses}) and the lag of each trigger's group, which it computes itself with
 * Kafka's Admin API ({@link ConsumerLag}). Every {@value #LAG_REFRESH_SECONDS} s it also reads
 * every trigger's lag for {@code thaw_trigger_lag} and the autoscaler. Plain Java: the REST
 * layer only translates.
 */
public final class TriggerService implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(TriggerService.class.getName());
    static final int LAG_REFRESH_SECONDS = 5;
    /** How long an API answer waits for Kafka: an unreachable broker shows as the trigger's error, not a hung request. */
    static final Duration LAG_TIMEOUT = Duration.ofSeconds(3);

    private final TriggerRegistry triggers;
    private final TriggerStatuses statuses;
    private final FunctionRegistry functions;
    private final String platformBootstrap;
    private final GatewayMetrics metrics;
    private final Clock clock;
    /** One Admin client per Kafka cluster the triggers name. */
    private final Map<String, ConsumerLag> lagReaders = new ConcurrentHashMap<>();
    /** Trigger name to its lag by partition, as of the last refresh (triggers whose lag Kafka could not tell are left out). */
    private volatile Map<String, Map<Integer, Long>> lastLags = Map.of();
    private final ExecutorService readers = Executors.newVirtualThreadPerTaskExecutor();
    private final ScheduledExecutorService refresher = Executors.newSingleThreadScheduledExecutor(
            r -> Thread.ofPlatform().name("thaw-trigger-lag").daemon().unstarted(r));

    /** A trigger with how it is doing. */
    public record Described(TriggerSpec spec, TriggerStatus status) {}

    /**
     * @param platformBootstrap the platform's Kafka (for triggers that name none); null when there is none
     */
    public TriggerService(TriggerRegistry triggers, TriggerStatuses statuses, FunctionRegistry functions,
                          String platformBootstrap, GatewayMetrics metrics, Clock clock) {
        this.triggers = triggers;
        this.statuses = statuses;
        this.functions = functions;
        this.platformBootstrap = platformBootstrap;
        this.metrics = metrics;
        this.clock = clock;
    }

    /** Reads every trigger's lag every few seconds from now on, for the metrics and {@link #lags()}. */
    public TriggerService start() {
        refresher.scheduleWithFixedDelay(this::refreshLags, 0, LAG_REFRESH_SECONDS, TimeUnit.SECONDS);
        return this;
    }

    /**
     * Stores a new trigger from the API's JSON body: 400 naming a bad field, 404 when the
     * function does not exist, 409 when the name is taken. The topic need not exist yet (the
     * trigger shows an error until it does).
     */
    public TriggerSpec create(JsonNode body) {
        TriggerSpec spec;
        try {
            spec = TriggerSpec.fromRequest(body, clock.instant());
        } catch (TriggerSpec.InvalidFieldException e) {
            Map<String, Object> extra = e.field() == null ? Map.of() : Map.of("field", e.field());
            throw new ApiException(400, e.getMessage(), extra, Map.of());
        }
        if (spec.bootstrapOr(platformBootstrap) == null) {
            throw new ApiException(400, "field 'bootstrap': is required, as this platform has no Kafka of its own "
                    + "(thaw.kafka.bootstrap, ./fn up --kafka)", Map.of("field", "bootstrap"), Map.of());
        }
        if (functions.latest(spec.function()).isEmpty()) {
            throw new ApiException(404, "function '" + spec.function() + "' not found");
        }
        if (!triggers.create(spec)) {
            throw new ApiException(409, "trigger '" + spec.name() + "' exists: delete it first to change it");
        }
        return spec;
    }

    /** The trigger, or 404. */
    public TriggerSpec get(String name) {
        validName(name);
        return triggers.get(name).orElseThrow(() -> new ApiException(404, "trigger '" + name + "' not found"));
    }

    /** The trigger with its status, or 404; waits at most {@link #LAG_TIMEOUT} for Kafka. */
    public Described describe(String name) {
        TriggerSpec spec = get(name);
        return new Described(spec, status(spec));
    }

    /** Every trigger with its status, sorted by name; Kafka is asked for all of them at once. */
    public List<Described> list() {
        List<TriggerSpec> all = triggers.list();
        List<Future<TriggerStatus>> statuses = new ArrayList<>();
        for (TriggerSpec spec : all) {
            statuses.add(readers.submit(() -> status(spec)));
        }
        List<Described> described = new ArrayList<>();
        for (int i = 0; i < all.size(); i++) {
            described.add(new Described(all.get(i), join(statuses.get(i))));
        }
        return described;
    }

    /** Removes the trigger (its consumers stop within seconds, committing what they handled), or 404. */
    public void delete(String name) {
        validName(name);
        if (!triggers.delete(name)) {
            throw new ApiException(404, "trigger '" + name + "' not found");
        }
        Map<String, Map<Integer, Long>> lags = new HashMap<>(lastLags);
        if (lags.remove(name) != null) {
            lastLags = Map.copyOf(lags);
            metrics.triggerLags(lastLags);
        }
    }

    /** The lag of each trigger as of the last refresh, by autoscaler source ({@code trigger:NAME}): its total over partitions. */
    public Map<String, Long> lags() {
        Map<String, Long> bySource = new LinkedHashMap<>();
        lastLags.forEach((name, partitions) ->
                bySource.put("trigger:" + name, partitions.values().stream().mapToLong(Long::longValue).sum()));
        return bySource;
    }

    /** The reports of the invokers and the lag from Kafka, put together. */
    TriggerStatus status(TriggerSpec spec) {
        List<TriggerReport> reports;
        String reportsError = null;
        try {
            reports = statuses.reports(spec.name());
        } catch (RuntimeException e) {
            reports = List.of();
            reportsError = "cannot read the invokers' reports: " + e.getMessage();
        }
        String bootstrap = spec.bootstrapOr(platformBootstrap);
        if (bootstrap == null) {
            return TriggerStatus.of(reports, null, "the trigger names no Kafka and this platform has none");
        }
        try {
            List<ConsumerLag.PartitionLag> lag = reader(bootstrap).of(spec.group(), spec.topic(), spec.start(), LAG_TIMEOUT);
            return TriggerStatus.of(reports, lag, reportsError);
        } catch (ConsumerLag.UnavailableException e) {
            return TriggerStatus.of(reports, null, e.getMessage());
        }
    }

    private void refreshLags() {
        try {
            List<TriggerSpec> all = triggers.list();
            Map<String, Future<List<ConsumerLag.PartitionLag>>> reading = new LinkedHashMap<>();
            Set<String> bootstraps = new HashSet<>();
            for (TriggerSpec spec : all) {
                String bootstrap = spec.bootstrapOr(platformBootstrap);
                if (bootstrap != null) {
                    bootstraps.add(bootstrap);
                    reading.put(spec.name(), readers.submit(() ->
                            reader(bootstrap).of(spec.group(), spec.topic(), spec.start(), LAG_TIMEOUT)));
                }
            }
            Map<String, Map<Integer, Long>> lags = new HashMap<>();
            reading.forEach((name, f) -> {
                try {
                    Map<Integer, Long> byPartition = new HashMap<>();
                    f.get().forEach(p -> byPartition.put(p.partition(), p.lag()));
                    lags.put(name, byPartition);
                } catch (Exception e) {
                    // shown as the trigger's error by its status; no figure is better than a wrong one
                }
            });
            lastLags = Map.copyOf(lags);
            metrics.triggerLags(lastLags);
            // Admin clients of clusters no trigger names any more
            for (String b : Set.copyOf(lagReaders.keySet())) {
                if (!bootstraps.contains(b)) {
                    ConsumerLag gone = lagReaders.remove(b);
                    if (gone != null) {
                        gone.close();
                    }
                }
            }
        } catch (RuntimeException e) {
            LOG.log(System.Logger.Level.WARNING, "reading the triggers' lag failed: " + e.getMessage());
        }
    }

    private ConsumerLag reader(String bootstrap) {
        return lagReaders.computeIfAbsent(bootstrap, ConsumerLag::new);
    }

    private static TriggerStatus join(Future<TriggerStatus> f) {
        try {
            return f.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while reading the triggers' status", e);
        } catch (java.util.concurrent.ExecutionException e) {
            throw e.getCause() instanceof RuntimeException r ? r : new IllegalStateException(e.getCause());
        }
    }

    private static void validName(String name) {
        if (!FunctionName.isValid(name)) {
            throw new ApiException(400, "invalid trigger name '" + name + "': it must be " + FunctionName.RULE);
        }
    }

    @Override
    public void close() {
        refresher.shutdownNow();
        readers.shutdownNow();
        lagReaders.values().forEach(ConsumerLag::close);
        lagReaders.clear();
    }
}
