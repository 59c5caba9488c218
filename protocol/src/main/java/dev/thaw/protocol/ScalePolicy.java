package dev.thaw.protocol;

import java.time.Duration;
import java.util.function.LongSupplier;

/**
 * How many instances of something should exist, from the demand observed on it: the Knative
 * KPA policy. Demand is the number of requests in flight plus queued, averaged over time.
 * Invokers size a function's warm shells with it; a cluster autoscaler can size invokers with
 * it, with other inputs.
 *
 * <ul>
 * <li>The demand is averaged over a <em>stable</em> window (60 s by default) and a short
 *     <em>panic</em> window (6 s). Desired = ceil(average / target per instance).</li>
 * <li>When the panic window's desire is at least {@code panicThreshold} times the current
 *     instances (2x by default), the policy panics: it follows the panic window and never
 *     scales down, until a stable window has passed without that condition.</li>
 * <li>Otherwise it follows the stable window, and keeps at least one instance while there was
 *     demand within {@code idleTimeout}; after that long without any, it goes to zero.</li>
 * <li>The result is always within [min, max].</li>
 * </ul>
 *
 * The clock is passed in (nanoseconds, such as {@link System#nanoTime}), so that a test can
 * drive it. Not thread-safe: one instance per scaled thing, called by one thread at a time.
 */
public final class ScalePolicy {
    /** Below this, a fraction of a request counts as none: averages of doubles are not exact. */
    private static final double EPSILON = 1e-9;

    /**
     * @param stableWindow      demand is averaged over this long for ordinary decisions
     * @param panicWindow       and over this long to detect a jump (at most the stable window)
     * @param targetPerInstance requests one instance serves at once
     * @param panicThreshold    panic when the panic window asks for this many times the current instances
     * @param min               never fewer instances
     * @param max               never more instances
     * @param idleTimeout       without demand for this long, scale to {@code min} (zero unless set)
     */
    public record Settings(Duration stableWindow, Duration panicWindow, double targetPerInstance,
                           double panicThreshold, int min, int max, Duration idleTimeout) {
        public static final Duration STABLE_WINDOW = Duration.ofSeconds(60);
        public static final Duration PANIC_WINDOW = Duration.ofSeconds(6);
        public static final double PANIC_THRESHOLD = 2.0;

        public Settings {
            if (stableWindow.isNegative() || stableWindow.isZero()) {
                throw new IllegalArgumentException("the stable window must be positive: " + stableWindow);
            }
            if (panicWindow.isNegative() || panicWindow.isZero() || panicWindow.compareTo(stableWindow) > 0) {
                throw new IllegalArgumentException("the panic window must be positive and at most the stable window ("
                        + stableWindow + "): " + panicWindow);
            }
            if (!(targetPerInstance > 0)) {
                throw new IllegalArgumentException("the target per instance must be positive: " + targetPerInstance);
            }
            if (!(panicThreshold >= 1)) {
                throw new IllegalArgumentException("the panic threshold must be at least 1: " + panicThreshold);
            }
            if (min < 0 || max < min) {
                throw new IllegalArgumentException("need 0 <= min <= max, got min " + min + ", max " + max);
            }
            if (idleTimeout.isNegative()) {
                throw new IllegalArgumentException("the idle timeout must not be negative: " + idleTimeout);
            }
        }

        /** Knative's defaults (60 s and 6 s windows, panic at 2x), one request per instance, within [min, max]. */
        public static Settings of(int min, int max, Duration idleTimeout) {
            return new Settings(STABLE_WINDOW, PANIC_WINDOW, 1.0, PANIC_THRESHOLD, min, max, idleTimeout);
        }

        public Settings withWindows(Duration stable, Duration panic) {
            return new Settings(stable, panic, targetPerInstance, panicThreshold, min, max, idleTimeout);
        }
    }

    /**
     * @param desired      instances wanted now
     * @param panicking    whether the panic window drives the decision (no scaling down)
     * @param stableDemand average demand over the stable window
     * @param panicDemand  average demand over the panic window
     */
    public record Decision(int desired, boolean panicking, double stableDemand, double panicDemand) {}

    private final Settings settings;
    private final LongSupplier clock;
    private final long bucketNanos;
    private final long stableBuckets;
    private final long panicBuckets;
    /** Per time bucket (ring, indexed by bucket number modulo its length): sum and count of observations. */
    private final double[] sums;
    private final int[] counts;
    private final long[] bucketOf;
    private long lastActive;
    private long panicSince = Long.MIN_VALUE; // the last time the panic condition held; MIN_VALUE: not panicking
    private int panicDesired;

    /** A policy that starts as if demand had just been seen (nothing scales to zero before the idle timeout). */
    public ScalePolicy(Settings settings, LongSupplier clockNanos) {
        this.settings = settings;
        this.clock = clockNanos;
        // Ten buckets per panic window: fine enough for the panic average, and the stable window
        // (60 s by default) then needs a hundred.
        this.bucketNanos = Math.max(1, settings.panicWindow().toNanos() / 10);
        this.stableBuckets = Math.max(1, ceilDiv(settings.stableWindow().toNanos(), bucketNanos));
        this.panicBuckets = Math.max(1, ceilDiv(settings.panicWindow().toNanos(), bucketNanos));
        int ring = (int) Math.min(stableBuckets, 100_000);
        this.sums = new double[ring];
        this.counts = new int[ring];
        this.bucketOf = new long[ring];
        java.util.Arrays.fill(bucketOf, Long.MIN_VALUE);
        this.lastActive = clock.getAsLong();
    }

    public Settings settings() {
        return settings;
    }

    /** Records the demand (requests in flight plus queued, averaged since the last observation) now. */
    public void observe(double demand) {
        if (!(demand >= 0) || Double.isInfinite(demand)) {
            throw new IllegalArgumentException("demand must be a finite number >= 0: " + demand);
        }
        long now = clock.getAsLong();
        long bucket = Math.floorDiv(now, bucketNanos);
        int i = (int) Math.floorMod(bucket, (long) sums.length);
        if (bucketOf[i] != bucket) {
            bucketOf[i] = bucket;
            sums[i] = 0;
            counts[i] = 0;
        }
        sums[i] += demand;
        counts[i]++;
        if (demand > EPSILON) {
            lastActive = now;
        }
    }

    /** Whether no demand has been seen for longer than the idle timeout. */
    public boolean idle() {
        return clock.getAsLong() - lastActive > settings.idleTimeout().toNanos();
    }

    /** The instances wanted now, given {@code current} instances. */
    public Decision decide(int current) {
        long now = clock.getAsLong();
        double stable = average(now, stableBuckets);
        double panic = average(now, panicBuckets);
        if (idle()) {
            panicSince = Long.MIN_VALUE;
            panicDesired = 0;
            return new Decision(settings.min(), false, stable, panic);
        }
        int stableDesired = instances(stable);
        int panicWanted = instances(panic);
        if (panicWanted >= settings.panicThreshold() * Math.max(1, current)) {
            if (panicSince == Long.MIN_VALUE) {
                panicDesired = current; // entering: never below what runs now
            }
            panicSince = now;
        } else if (panicSince != Long.MIN_VALUE && now - panicSince >= settings.stableWindow().toNanos()) {
            panicSince = Long.MIN_VALUE;
            panicDesired = 0;
        }
        boolean panicking = panicSince != Long.MIN_VALUE;
        int desired;
        if (panicking) {
            panicDesired = Math.max(panicDesired, panicWanted); // scale up only
            desired = panicDesired;
        } else {
            desired = stableDesired;
        }
        desired = Math.max(desired, 1); // demand within the idle timeout: keep one
        return new Decision(Math.clamp(desired, settings.min(), settings.max()), panicking, stable, panic);
    }

    private int instances(double demand) {
        double n = Math.ceil(demand / settings.targetPerInstance() - EPSILON);
        return n >= Integer.MAX_VALUE ? Integer.MAX_VALUE : (int) Math.max(0, n);
    }

    /** The mean of the observed buckets among the last {@code buckets} (the current one included). */
    private double average(long now, long buckets) {
        long newest = Math.floorDiv(now, bucketNanos);
        long oldest = newest - Math.min(buckets, sums.length) + 1;
        double sum = 0;
        int observed = 0;
        for (int i = 0; i < sums.length; i++) {
            long b = bucketOf[i];
            if (b >= oldest && b <= newest && counts[i] > 0) {
                sum += sums[i] / counts[i];
                observed++;
            }
        }
        return observed == 0 ? 0 : sum / observed;
    }

    private static long ceilDiv(long a, long b) {
        return -Math.floorDiv(-a, b);
    }
}
