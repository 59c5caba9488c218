package dev.thaw.gateway;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * What the gateway exports to Prometheus: thaw_invocations_total{function,outcome},
 * thaw_invocation_seconds{function} (histogram), thaw_pool_idle_shells{function},
 * thaw_snapshot_build_seconds. Meters are cached so the invocation path does no lookups.
 */
public final class GatewayMetrics {
    private final MeterRegistry registry;
    private final Map<String, Counter> counters = new ConcurrentHashMap<>();
    private final Map<String, Timer> timers = new ConcurrentHashMap<>();
    private final Map<String, Boolean> pools = new ConcurrentHashMap<>();
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

    /** Whether the function's pool gauge is not exported yet. */
    public boolean needsPool(String function) {
        return !pools.containsKey(function);
    }

    /** Exports a function's idle warm shells once; {@code idle} is read at scrape time. */
    public void pool(String function, Supplier<Number> idle) {
        pools.computeIfAbsent(function, f -> {
            Gauge.builder("thaw.pool.idle.shells", idle).description("warm VM shells waiting for an invocation")
                    .tag("function", f).register(registry);
            return true;
        });
    }
}
