package dev.thaw.invoker.service;

import dev.thaw.invoker.ShellPool;
import dev.thaw.protocol.ScalePolicy;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Sizes the warm-shell pools of this host from their demand. Once a tick (1 s) each active
 * pool's demand since the last tick (invocations in flight plus queued, averaged over the
 * tick) goes into the pool's {@link ScalePolicy}, and the decision becomes the pool's target
 * ({@link ShellPool#scaleTo}); the engine creates or closes shells off the invocation path.
 * After the function's idle timeout without demand the target is its {@code min_warm} (zero
 * by default) at once: the policy alone would wait for its 60 s stable average to run out.
 *
 * <p>A pool becomes active when it is deployed or invoked. Once its policy wants no shell, it
 * holds none and nothing is in flight, it leaves the tick and its policy is dropped: an idle
 * function costs the scaler nothing, and its next invocation starts a fresh policy (one that
 * keeps a shell for the idle timeout). Growing is not left to the tick alone: an invocation
 * that finds no idle shell creates one (a cold start) and the pool keeps it.
 */
final class PoolScaler implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(PoolScaler.class.getName());

    /**
     * @param tick   how often demand is sampled and pools resized
     * @param stable the policy's stable window
     * @param panic  the policy's panic window
     */
    record Timing(Duration tick, Duration stable, Duration panic) {
        static final Timing DEFAULT = new Timing(Duration.ofSeconds(1), Duration.ofSeconds(60), Duration.ofSeconds(6));

        Timing {
            if (tick.isNegative() || tick.isZero() || tick.compareTo(panic) > 0) {
                throw new IllegalArgumentException("the tick must be positive and at most the panic window: " + tick);
            }
        }
    }

    /** A pool the scaler sizes. */
    interface Scaled {
        ShellPool pool();

        /** The policy's settings for this pool (bounds and idle timeout from its manifest). */
        ScalePolicy.Settings settings(Timing timing);

        /** Average invocations in flight and queued since the last call; the first call counts from activation. */
        double takeDemand(long nowNanos);

        /** Whether an invocation is in flight now. */
        boolean busy();

        /** False once the pool is closed: the scaler forgets it. */
        boolean isOpen();

        /** Whether the scaler sizes it now; written by the scaler only. */
        boolean scaled();

        void scaled(boolean scaled);
    }

    private final Timing timing;
    private final Map<Scaled, ScalePolicy> active = new ConcurrentHashMap<>();
    private final ScheduledExecutorService ticker = Executors.newSingleThreadScheduledExecutor(
            r -> Thread.ofPlatform().name("thaw-scaler").daemon().unstarted(r));

    PoolScaler(Timing timing) {
        this.timing = timing;
        long every = timing.tick().toNanos();
        ticker.scheduleAtFixedRate(this::tick, every, every, TimeUnit.NANOSECONDS);
    }

    /**
     * Starts sizing {@code p}: an invocation of a pool that was idle, or a deploy that warmed
     * shells ahead of use ({@code warmed}: they last until the idle timeout). Cheap when it is
     * already sized.
     */
    void activate(Scaled p, boolean warmed) {
        if (!p.scaled()) {
            active.computeIfAbsent(p, k -> {
                long now = System.nanoTime();
                k.takeDemand(now); // the demand counts from now
                ScalePolicy policy = new ScalePolicy(k.settings(timing));
                if (warmed) {
                    policy.demandSeen(now);
                }
                return policy;
            });
            p.scaled(true);
        }
    }

    /** Pools being sized now. */
    int activePools() {
        return active.size();
    }

    private void tick() {
        try {
            long now = System.nanoTime();
            for (Map.Entry<Scaled, ScalePolicy> e : active.entrySet()) {
                Scaled p = e.getKey();
                if (!p.isOpen()) {
                    active.remove(p);
                    continue;
                }
                ScalePolicy policy = e.getValue();
                policy.observe(now, p.takeDemand(now));
                int shells = p.pool().stats().shells();
                int desired = policy.desired(now, shells);
                if (policy.idle(now)) { // idle_timeout_s is the function's word, not the stable window's average
                    desired = policy.settings().min();
                }
                p.pool().scaleTo(desired);
                if (desired == 0 && shells == 0) { // idle past its timeout, or its shells were evicted
                    deactivate(p);
                }
            }
        } catch (Throwable t) { // the next tick tries again; a dead ticker would freeze every pool's size
            LOG.log(System.Logger.Level.ERROR, "sizing the warm-shell pools failed", t);
        }
    }

    /**
     * Stops sizing an idle pool. An invocation that arrives meanwhile either sees the pool
     * unsized and activates it, or is seen here as in flight and the pool stays.
     */
    private void deactivate(Scaled p) {
        active.remove(p);
        p.scaled(false);
        if (p.busy()) {
            activate(p, false);
        }
    }

    @Override
    public void close() {
        ticker.shutdownNow();
    }
}
