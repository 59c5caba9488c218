package dev.thaw.gateway;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * What the gateway exports to Prometheus: thaw_invocations_total{function,outcome},
 * thaw_invocation_seconds{function} (histogram), thaw_snapshot_build_seconds. Meters are
 * cached so the invocation path does no lookups. The pools' metrics (warm shells, cold
 * starts, ...) come from where the pools are: each invoker's /v1/metrics, or, embedded, the
 * invoker service's collector in this registry.
 */
public final class GatewayMetrics {
    private final MeterRegistry registry;
    private final Map<String, Counter> counters = new ConcurrentHashMap<>();
    private final Map<String, Timer> timers = new ConcurrentHashMap<>();
    private final Timer builds;

    public GatewayMetrics(MeterRegistry registry) {
        this.registry = registry;
        this.builds = Timer.builder("thaw.snapshot.build").description("building a snapshot on deploy")
                .publishPercentileHistogram().register(registry);
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
