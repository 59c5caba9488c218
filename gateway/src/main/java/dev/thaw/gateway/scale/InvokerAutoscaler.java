package dev.thaw.gateway.scale;

import dev.thaw.protocol.ScalePolicy;
import dev.thaw.registry.InvokerInfo;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;

/**
 * How many invokers the cluster needs, from the queue: every tick it adds up the demand (the
 * invocations in flight or queued on the invokers, from their heartbeats, in invokers' worth
 * of runners; plus the Kafka lag of async invocations and of every trigger, at
 * {@code lagPerInvoker} events an invoker) and runs it through the {@link ScalePolicy} (stable
 * and panic windows, a scale-down delay). It decides nothing itself: it exports
 * {@code thaw_desired_invokers} (and the inputs: {@code thaw_invokers}, {@code
 * thaw_invoker_demand}, {@code thaw_kafka_lag{source}}, {@code thaw_autoscaler_panic}) for
 * KEDA's Prometheus scaler, which sets the invokers' replicas (deploy/k8s). Every gateway
 * computes the same figure from the same inputs.
 */
public final class InvokerAutoscaler implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(InvokerAutoscaler.class.getName());

    /**
     * @param lagPerInvoker        Kafka events one invoker is expected to work off (KEDA's lagThreshold)
     * @param capacityPerInvoker   runners an invoker has when none reports (its heartbeat says otherwise)
     */
    public record Settings(ScalePolicy.Settings policy, long lagPerInvoker, int capacityPerInvoker, Duration tick) {}

    private final Settings settings;
    private final ScalePolicy policy;
    private final Supplier<List<InvokerInfo>> members;
    private final Supplier<Map<String, Long>> lags;
    private final AtomicLong desired = new AtomicLong();
    private final AtomicLong current = new AtomicLong();
    private final AtomicLong demandMillis = new AtomicLong(); // demand in invokers x 1000, for a gauge
    private final AtomicLong panic = new AtomicLong();
    private final Map<String, AtomicLong> lagBySource = new ConcurrentHashMap<>();
    private final MeterRegistry meters;
    private final ScheduledExecutorService ticker = Executors.newSingleThreadScheduledExecutor(
            r -> Thread.ofPlatform().name("thaw-autoscaler").daemon().unstarted(r));
    private Map<String, Long> lastLags = Map.of();

    /**
     * @param members the live invokers (their heartbeats: capacity and in-flight count)
     * @param lags    the Kafka lag of every consumer Thaw runs, by source ("async", "trigger:NAME")
     */
    public InvokerAutoscaler(Settings settings, Supplier<List<InvokerInfo>> members, Supplier<Map<String, Long>> lags,
                             MeterRegistry meters) {
        this.settings = settings;
        this.policy = new ScalePolicy(settings.policy());
        this.members = members;
        this.lags = lags;
        this.meters = meters;
        Gauge.builder("thaw.desired.invokers", desired, AtomicLong::get)
                .description("invokers the queue calls for (KEDA scales the invokers on it)").register(meters);
        Gauge.builder("thaw.invokers", current, AtomicLong::get).description("invokers alive (heartbeats)").register(meters);
        Gauge.builder("thaw.invoker.demand", demandMillis, d -> d.get() / 1000.0)
                .description("demand in invokers' worth: in flight over capacity, plus lag over lag per invoker")
                .register(meters);
        Gauge.builder("thaw.autoscaler.panic", panic, AtomicLong::get)
                .description("1 while the autoscaler follows the panic window").register(meters);
    }

    /** Ticks on its own thread from now on. */
    public InvokerAutoscaler start() {
        long period = settings.tick().toMillis();
        ticker.scheduleWithFixedDelay(() -> {
            try {
                tick(System.nanoTime());
            } catch (RuntimeException e) {
                LOG.log(System.Logger.Level.WARNING, "autoscaler tick failed: " + e.getMessage());
            }
        }, 0, period, TimeUnit.MILLISECONDS);
        return this;
    }

    /** One decision at {@code now}; returns the desired invokers. */
    public int tick(long now) {
        List<InvokerInfo> alive = members.get();
        long inFlight = 0;
        long capacity = 0;
        for (InvokerInfo m : alive) {
            inFlight += Math.max(0, m.inFlight());
            capacity += Math.max(1, m.capacity());
        }
        double perInvoker = alive.isEmpty() ? settings.capacityPerInvoker() : (double) capacity / alive.size();
        Map<String, Long> lag = readLags();
        long totalLag = lag.values().stream().mapToLong(Long::longValue).sum();
        double demand = inFlight / perInvoker + (double) totalLag / settings.lagPerInvoker();
        policy.observe(now, demand);
        int want = policy.desired(now, alive.size());
        desired.set(want);
        current.set(alive.size());
        demandMillis.set(Math.round(demand * 1000));
        panic.set(policy.panicking() ? 1 : 0);
        return want;
    }

    /** The lags, keeping the last known ones when Kafka does not answer (the tick still counts the rest). */
    private Map<String, Long> readLags() {
        try {
            lastLags = lags.get();
        } catch (RuntimeException e) {
            LOG.log(System.Logger.Level.WARNING, "cannot read the Kafka lag: " + e.getMessage());
        }
        for (Map.Entry<String, Long> e : lastLags.entrySet()) {
            lagBySource.computeIfAbsent(e.getKey(), source -> {
                AtomicLong value = new AtomicLong();
                Gauge.builder("thaw.kafka.lag", value, AtomicLong::get).tag("source", source)
                        .description("events waiting in Kafka for Thaw's consumers").register(meters);
                return value;
            }).set(e.getValue());
        }
        return lastLags;
    }

    @Override
    public void close() {
        ticker.shutdownNow();
    }
}
