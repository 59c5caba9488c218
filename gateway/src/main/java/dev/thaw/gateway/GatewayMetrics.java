package dev.thaw.gateway;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.MultiGauge;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * What the gateway exports to Prometheus: thaw_invocations_total{function,outcome},
 * thaw_invocation_seconds{function} (histogram), thaw_snapshot_build_seconds,
 * thaw_trigger_lag{trigger,partition} (computed by the gateway's {@code TriggerService} from
 * Kafka's Admin API every few seconds). Meters are cached so the invocation path does no
 * lookups. The pools' metrics (warm shells, cold starts, ...) come from where the pools are:
 * each invoker's /v1/metrics, or, embedded, the invoker service's collector in this registry.
 */
public final class GatewayMetrics {
    private final MeterRegistry registry;
    private final Map<String, Counter> counters = new ConcurrentHashMap<>();
    private final Map<String, Timer> timers = new ConcurrentHashMap<>();
    private final Timer builds;
    private final MultiGauge triggerLag;
    /** The values behind triggerLag's rows, held here: a gauge holds its value weakly. */
    private final Map<Tags, AtomicLong> triggerLagValues = new ConcurrentHashMap<>();

    public GatewayMetrics(MeterRegistry registry) {
        this.registry = registry;
        this.builds = Timer.builder("thaw.snapshot.build").description("building a snapshot on deploy")
                .publishPercentileHistogram().register(registry);
        this.triggerLag = MultiGauge.builder("thaw.trigger.lag")
                .description("events of a trigger's topic partition not committed by the trigger's group yet")
                .register(registry);
    }

    /**
     * Replaces the exported lags of every trigger (trigger name to partition to lag): a trigger
     * or partition missing from {@code lags} stops being exported.
     */
    public void triggerLags(Map<String, Map<Integer, Long>> lags) {
        List<MultiGauge.Row<?>> rows = new ArrayList<>();
        java.util.Set<Tags> exported = new java.util.HashSet<>();
        lags.forEach((trigger, partitions) -> partitions.forEach((partition, lag) -> {
            Tags tags = Tags.of("trigger", trigger, "partition", Integer.toString(partition));
            AtomicLong value = triggerLagValues.computeIfAbsent(tags, t -> new AtomicLong());
            value.set(lag);
            exported.add(tags);
            rows.add(MultiGauge.Row.of(tags, value, AtomicLong::get));
        }));
        synchronized (triggerLag) {
            triggerLag.register(rows, false); // a row kept keeps its AtomicLong: only new rows register
            triggerLagValues.keySet().retainAll(exported);
        }
    }

    public void invocation(String function, String outcome, long nanos) {
        counters.computeIfAbsent(function + '\0' + outcome, k -> Counter.builder("thaw.invocations")
                .description("invocations by function and outcome").tag("function", function).tag("outcome", outcome)
                .register(registry)).increment();
        timers.computeIfAbsent(function, f -> Timer.builder("thaw.invocation").description("invocation latency at the gateway")
                .tag("function", f).publishPercentileHistogram().register(registry)).record(nanos, TimeUnit.NANOSECONDS);
    }

    public void build(long nanos) {
        builds.record(nanos, TimeUnit.NANOSECONDS);
    }
}
