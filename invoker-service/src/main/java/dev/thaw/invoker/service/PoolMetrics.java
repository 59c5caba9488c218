package dev.thaw.invoker.service;

import io.prometheus.client.Collector;
import io.prometheus.client.CounterMetricFamily;
import io.prometheus.client.GaugeMetricFamily;
import java.util.List;
import java.util.Map;

/**
 * This host's warm-shell pools for Prometheus, read from the {@link FunctionHost} at scrape
 * time, so nothing is kept per function for them:
 * <ul>
 * <li>{@code thaw_function_in_flight{function}}: invocations on a shell now;</li>
 * <li>{@code thaw_function_queued{function}}: invocations waiting for a runner;</li>
 * <li>{@code thaw_function_warm_shells{function}}: shells open, idle or serving;</li>
 * <li>{@code thaw_pool_idle_shells{function}}: of which idle;</li>
 * <li>{@code thaw_cold_starts_total{function}}: invocations that waited for a VM to be created;</li>
 * <li>{@code thaw_shell_evictions_total{function}}: idle shells closed for the memory budget;</li>
 * <li>{@code thaw_shell_memory_bytes}, {@code thaw_shell_memory_budget_bytes}: the estimated
 *     memory of every shell, and its budget;</li>
 * <li>{@code thaw_invocations_on_io_threads_total}: invocations of short functions run on the
 *     event loop that received them, with no thread hand-off ({@code Engine#hostInvocations}).</li>
 * </ul>
 * Served by the invoker at {@code GET /v1/metrics}, and by the embedded platform at
 * {@code /q/metrics} beside the gateway's own.
 */
public final class PoolMetrics extends Collector {
    private static final List<String> FUNCTION = List.of("function");
    private final FunctionHost host;

    public PoolMetrics(FunctionHost host) {
        this.host = host;
    }

    @Override
    public List<MetricFamilySamples> collect() {
        GaugeMetricFamily inFlight = new GaugeMetricFamily("thaw_function_in_flight",
                "invocations of the function on a shell now (running or preempted)", FUNCTION);
        GaugeMetricFamily queued = new GaugeMetricFamily("thaw_function_queued",
                "invocations of the function waiting for a runner", FUNCTION);
        GaugeMetricFamily shells = new GaugeMetricFamily("thaw_function_warm_shells",
                "warm VM shells of the function, idle or serving", FUNCTION);
        GaugeMetricFamily idle = new GaugeMetricFamily("thaw_pool_idle_shells",
                "warm VM shells waiting for an invocation", FUNCTION);
        CounterMetricFamily cold = new CounterMetricFamily("thaw_cold_starts",
                "invocations that waited for a VM to be created from the snapshot", FUNCTION);
        CounterMetricFamily evictions = new CounterMetricFamily("thaw_shell_evictions",
                "idle shells closed to keep within the shell memory budget", FUNCTION);
        for (Map.Entry<String, FunctionHost.PoolStats> e : host.pools().entrySet()) {
            List<String> function = List.of(e.getKey());
            FunctionHost.PoolStats p = e.getValue();
            inFlight.addMetric(function, p.inFlight());
            queued.addMetric(function, p.queued());
            shells.addMetric(function, p.shells());
            idle.addMetric(function, p.idle());
            cold.addMetric(function, p.coldStarts());
            evictions.addMetric(function, p.evictions());
        }
        GaugeMetricFamily memory = new GaugeMetricFamily("thaw_shell_memory_bytes",
                "estimated host memory of every warm shell on this invoker", host.engine().shellMemory());
        long budget = host.engine().shellMemoryBudget();
        GaugeMetricFamily limit = new GaugeMetricFamily("thaw_shell_memory_budget_bytes",
                "the shell memory budget (+Inf: none)", budget == Long.MAX_VALUE ? Double.POSITIVE_INFINITY : budget);
        CounterMetricFamily onIo = new CounterMetricFamily("thaw_invocations_on_io_threads",
                "invocations run on the event loop that received them, with no hand-off to a runner thread",
                host.engine().invocationsRunOnCallers());
        return List.of(inFlight, queued, shells, idle, cold, evictions, memory, limit, onIo);
    }
}
