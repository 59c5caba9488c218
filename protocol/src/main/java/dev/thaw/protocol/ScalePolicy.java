package dev.thaw.protocol;

import java.time.Duration;
import java.util.ArrayDeque;

/**
 * How many units (warm shells on a host, invokers in a cluster) a demand calls for: the
 * Knative KPA model. Demand is sampled as concurrent work (in flight plus queued) and
 * averaged over a stable window (60 s by default) and a short panic window (6 s). Normally
 * the stable average decides: {@code ceil(average / target per unit)}. When the panic
 * window's demand needs at least {@code panicThreshold} times the current units, the policy
 * panics: it follows the panic window up but never down, until a stable window has passed
 * without a reason to panic. Decreases wait for {@code scaleDownDelay} (the highest desire
 * of that long ago wins), and after {@code idleTimeout} without any demand it drops to
 * {@code min} (zero: scale to zero). Pure and single-threaded: the caller feeds samples and
 * the clock ({@link System#nanoTime()} values).
 */
public final class ScalePolicy {
    /**
     * @param targetPerUnit  concurrent work one unit should carry (a shell: 1; an invoker: its runners)
     * @param panicThreshold panic when the panic window wants this many times the current units
     */
    public record Settings(Duration stableWindow, Duration panicWindow, double targetPerUnit, double panicThreshold,
                           Duration scaleDownDelay, Duration idleTimeout, int min, int max) {
        public Settings {
            if (panicWindow.compareTo(stableWindow) > 0 || targetPerUnit <= 0 || panicThreshold < 1 || min < 0
                    || max < Math.max(min, 1)) {
                throw new IllegalArgumentException("inconsistent scale settings: " + this);
            }
        }

        /** Knative's defaults: 60 s stable, 6 s panic, panic at 2x, scale-down delay 0 here, idle after 60 s. */
        public static Settings defaults(double targetPerUnit, int min, int max) {
            return new Settings(Duration.ofSeconds(60), Duration.ofSeconds(6), targetPerUnit, 2.0, Duration.ZERO,
                    Duration.ofSeconds(60), min, max);
        }

        public Settings withScaleDownDelay(Duration delay) {
            return new Settings(stableWindow, panicWindow, targetPerUnit, panicThreshold, delay, idleTimeout, min, max);
        }

        public Settings withIdleTimeout(Duration idle) {
            return new Settings(stableWindow, panicWindow, targetPerUnit, panicThreshold, scaleDownDelay, idle, min, max);
        }
    }

    private record Sample(long at, double demand) {}

    private record Decision(long at, int units) {}

    private final Settings settings;
    private final ArrayDeque<Sample> samples = new ArrayDeque<>();
    private final ArrayDeque<Decision> decisions = new ArrayDeque<>();
    private long lastDemandAt = Long.MIN_VALUE;
    private boolean panicking;
    private long panicSince;
    private int panicUnits;

    public ScalePolicy(Settings settings) {
        this.settings = settings;
    }

    public Settings settings() {
        return settings;
    }

    /** Records the demand (concurrent work: in flight plus queued) seen at {@code now}. */
    public void observe(long now, double demand) {
        samples.addLast(new Sample(now, Math.max(0, demand)));
        if (demand > 0) {
            lastDemandAt = now;
        }
        long horizon = now - settings.stableWindow().toNanos();
        while (!samples.isEmpty() && samples.peekFirst().at() - horizon < 0) {
            samples.removeFirst();
        }
    }

    /**
     * Counts {@code now} as a moment of demand without adding a sample: the idle timeout runs
     * from here. For a unit warmed ahead of its first use (a deploy), which should last until
     * the idle timeout rather than go at the first decision.
     */
    public void demandSeen(long now) {
        lastDemandAt = now;
    }

    /**
     * Whether no demand was seen for the idle timeout (or ever). {@link #desired} lets the
     * stable window's average run out first; an owner that must drop to {@code min} after
     * the idle timeout itself, however long the window (an invoker's warm shells), asks this.
     */
    public boolean idle(long now) {
        return lastDemandAt == Long.MIN_VALUE || now - lastDemandAt >= settings.idleTimeout().toNanos();
    }

    /** Whether the last decision was made in panic mode. */
    public boolean panicking() {
        return panicking;
    }

    /** The units wanted at {@code now}, given {@code current} units (call after {@link #observe}). */
    public int desired(long now, int current) {
        int stable = units(average(now, settings.stableWindow()));
        int panic = units(average(now, settings.panicWindow()));
        if (panic >= settings.panicThreshold() * Math.max(current, 1) && panic > current) {
            if (!panicking) {
                panicking = true;
                panicUnits = current;
            }
            panicSince = now;
        } else if (panicking && now - panicSince >= settings.stableWindow().toNanos()) {
            panicking = false;
        }
        int want;
        if (panicking) {
            panicUnits = Math.max(panicUnits, panic); // in panic: up only
            want = panicUnits;
        } else {
            want = stable;
        }
        want = delayDecrease(now, want);
        boolean idle = idle(now);
        if (want == 0 && !idle) {
            want = Math.min(1, Math.max(current, 0)); // a unit kept until the idle timeout
        }
        return Math.clamp(want, settings.min(), settings.max());
    }

    /** The highest decision within the scale-down delay: decreases wait that long. */
    private int delayDecrease(long now, int want) {
        decisions.addLast(new Decision(now, want));
        long horizon = now - settings.scaleDownDelay().toNanos();
        while (decisions.size() > 1 && decisions.peekFirst().at() - horizon < 0) {
            decisions.removeFirst();
        }
        int highest = want;
        for (Decision d : decisions) {
            highest = Math.max(highest, d.units());
        }
        return highest;
    }

    private double average(long now, Duration window) {
        long from = now - window.toNanos();
        double sum = 0;
        int n = 0;
        for (Sample s : samples) {
            if (s.at() - from >= 0) {
                sum += s.demand();
                n++;
            }
        }
        return n == 0 ? 0 : sum / n;
    }

    private int units(double demand) {
        return (int) Math.ceil(demand / settings.targetPerUnit() - 1e-9);
    }
}
