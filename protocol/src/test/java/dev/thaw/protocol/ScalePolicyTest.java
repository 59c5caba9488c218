package dev.thaw.protocol;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/**
 * The KPA policy on synthetic demand traces, sampled every 2 s, with units that follow the
 * decision at once. A unit carries 10 concurrent invocations; the expected counts are worked
 * out by hand in the comments.
 */
class ScalePolicyTest {
    private static final long TICK = Duration.ofSeconds(2).toNanos();

    /** Feeds {@code demand[i]} at tick i and returns the decision at each tick. */
    private static int[] run(ScalePolicy.Settings settings, double[] demand) {
        ScalePolicy policy = new ScalePolicy(settings);
        int[] units = new int[demand.length];
        int current = settings.min();
        for (int i = 0; i < demand.length; i++) {
            long now = 1_000_000_000_000L + i * TICK;
            policy.observe(now, demand[i]);
            current = policy.desired(now, current);
            units[i] = current;
        }
        return units;
    }

    private static double[] trace(int length, java.util.function.IntToDoubleFunction demand) {
        double[] d = new double[length];
        for (int i = 0; i < length; i++) {
            d[i] = demand.applyAsDouble(i);
        }
        return d;
    }

    private static int[] expected(int length, java.util.function.IntUnaryOperator units) {
        int[] e = new int[length];
        for (int i = 0; i < length; i++) {
            e[i] = units.applyAsInt(i);
        }
        return e;
    }

    @Test
    void aStepPanicsUpThroughThePanicWindowAndHolds() {
        // 0 until tick 10, then 50. The 6 s panic window (4 samples) averages 12.5, 25, 37.5, 50:
        // 2, 3, 4, 5 units; the first is 2x the one unit there was: panic, which only goes up.
        double[] demand = trace(60, i -> i < 10 ? 0 : 50);
        int[] units = run(ScalePolicy.Settings.defaults(10, 1, 20), demand);
        assertArrayEquals(expected(60, i -> i < 10 ? 1 : i == 10 ? 2 : i == 11 ? 3 : i == 12 ? 4 : 5), units,
                Arrays.toString(units));
    }

    @Test
    void aSpikeIsFollowedAtOnceAndHeldForAStableWindowThenForgotten() {
        // 10 (one unit) with 200 at tick 10 alone. The panic window holds it for 4 samples
        // (avg 57.5: 6 units); panic holds 6 until a stable window (30 ticks) after it began;
        // at tick 40 the stable window still holds the spike ((200 + 30 x 10) / 31 = 16.1: 2),
        // from tick 41 it does not (1).
        double[] demand = trace(50, i -> i == 10 ? 200 : 10);
        int[] units = run(ScalePolicy.Settings.defaults(10, 1, 20), demand);
        assertArrayEquals(expected(50, i -> i < 10 ? 1 : i < 40 ? 6 : i == 40 ? 2 : 1), units, Arrays.toString(units));
    }

    @Test
    void aRampPanicsOnceItDoublesThenFollowsThePanicWindowUpAndTheStableAverageAfter() {
        // +1 per tick from 0. Ticks 0-11: 1 unit. Tick 12: the panic window (9..12, avg 10.5)
        // wants 2 = 2x the one unit: panic. In panic the units follow the panic window up,
        // ceil((i - 1.5) / 10): 2 until 21, 3 until 31, 4 until 41; it never wants 2x again, so
        // the panic ends a stable window (30 ticks) after tick 12. Tick 42: the stable average
        // (ticks 12..42: 27) gives 3, a dip the caller's scale-down delay would hide; then the
        // stable average i - 15: 3 until 45, 4 until 55, 5 after.
        double[] demand = trace(60, i -> i);
        int[] units = run(ScalePolicy.Settings.defaults(10, 1, 20), demand);
        int[] want = expected(60, i -> i < 12 ? 1 : i < 42 ? (int) Math.ceil((i - 1.5) / 10)
                : (int) Math.ceil((i - 15) / 10.0 - 1e-9));
        assertArrayEquals(want, units, Arrays.toString(units));
    }

    @Test
    void aDropToZeroStepsDownWithTheStableAverageThenScalesToZeroAfterTheIdleTimeout() {
        // 50 for 40 ticks, then nothing. With k zero samples in the 31-sample stable window the
        // average is 50 (31 - k) / 31: 5 units until k = 7 (4), 13 (3), 19 (2), 25 (1), and
        // ceil > 0 keeps 1 until the last sample with demand leaves the window (tick 70: k = 31,
        // but the idle timeout of 60 s since the last demand at tick 39 passed at tick 69).
        double[] demand = trace(80, i -> i < 40 ? 50 : 0);
        int[] units = run(ScalePolicy.Settings.defaults(10, 0, 20), demand);
        int[] want = expected(80, i -> {
            if (i < 40) {
                return 5; // tick 0: the panic window's 50 gives 5 units at once
            }
            int k = i - 39; // zero samples in the window
            return k >= 31 ? 0 : (int) Math.ceil(50.0 * (31 - k) / 31 / 10 - 1e-9);
        });
        assertArrayEquals(want, units, Arrays.toString(units));
    }

    @Test
    void aScaleDownDelayKeepsTheHighestDecisionOfThatLong() {
        double[] demand = trace(20, i -> i < 5 ? 100 : 0);
        ScalePolicy.Settings s = new ScalePolicy.Settings(Duration.ofSeconds(6), Duration.ofSeconds(6), 10, 2,
                Duration.ofSeconds(10), Duration.ZERO, 0, 20);
        int[] units = run(s, demand);
        // Without the delay the 6 s window (4 samples) gives 10 until tick 4, then 8, 5, 3 and 0
        // from tick 8. With a 10 s delay (the highest of the last 6 decisions) each decrease
        // comes 5 ticks later: 10 until tick 9, then 8, 5, 3, and 0 from tick 13.
        assertArrayEquals(new int[] {10, 10, 10, 10, 10, 10, 10, 10, 10, 10, 8, 5, 3, 0, 0, 0, 0, 0, 0, 0}, units,
                Arrays.toString(units));
    }

    @Test
    void idleIsTheIdleTimeoutWithoutDemandWhateverTheStableWindowStillAverages() {
        // Demand 1 for one tick, then none; idle timeout 10 s. The 60 s stable window still
        // averages above zero (one unit) long after, but idle() says so at 10 s.
        ScalePolicy policy = new ScalePolicy(ScalePolicy.Settings.defaults(1, 0, 5).withIdleTimeout(Duration.ofSeconds(10)));
        long start = 1_000_000_000_000L;
        policy.observe(start, 1);
        for (int i = 1; i <= 6; i++) {
            long now = start + i * TICK;
            policy.observe(now, 0);
            assertEquals(1, policy.desired(now, 1), "tick " + i);
            assertEquals(i >= 5, policy.idle(now), "tick " + i);
        }
    }

    @Test
    void boundsAreKept() {
        int[] units = run(ScalePolicy.Settings.defaults(1, 2, 4), trace(10, i -> i < 5 ? 0 : 1000));
        assertEquals(2, units[0]);
        assertEquals(4, units[9]);
    }

    @Test
    void aUnitWarmedAheadOfUseLastsUntilTheIdleTimeout() {
        // A deploy warms one shell (min 0) and says so: with no demand it is kept for the
        // 10 s idle timeout (ticks 0-4), then dropped. Without demandSeen it would go at once.
        ScalePolicy.Settings s = ScalePolicy.Settings.defaults(1, 0, 5).withIdleTimeout(Duration.ofSeconds(10));
        ScalePolicy warmed = new ScalePolicy(s);
        ScalePolicy cold = new ScalePolicy(s);
        long start = 1_000_000_000_000L;
        warmed.demandSeen(start);
        int[] units = new int[8];
        for (int i = 0; i < units.length; i++) {
            long now = start + i * TICK;
            warmed.observe(now, 0);
            units[i] = warmed.desired(now, 1);
        }
        assertArrayEquals(new int[] {1, 1, 1, 1, 1, 0, 0, 0}, units, Arrays.toString(units));
        assertTrue(warmed.idle(start + 5 * TICK));
        cold.observe(start, 0);
        assertEquals(0, cold.desired(start, 1));
    }
}
