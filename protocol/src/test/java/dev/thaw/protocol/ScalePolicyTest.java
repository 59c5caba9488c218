package dev.thaw.protocol;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import org.junit.jupiter.api.Test;

/** The KPA policy on synthetic demand traces, one observation per second as an invoker ticks. */
class ScalePolicyTest {
    private long now = 1_000_000_000_000L;

    private ScalePolicy policy(int min, int max, int idleSeconds) {
        return new ScalePolicy(ScalePolicy.Settings.of(min, max, Duration.ofSeconds(idleSeconds)), () -> now);
    }

    /** Observes {@code demand} once a second for {@code seconds}; returns the last decision. */
    private ScalePolicy.Decision run(ScalePolicy p, double demand, int seconds, int[] current) {
        ScalePolicy.Decision d = null;
        for (int s = 0; s < seconds; s++) {
            now += 1_000_000_000L;
            p.observe(demand);
            d = p.decide(current[0]);
            current[0] = d.desired();
        }
        return d;
    }

    @Test
    void steadyDemandGetsCeilOfDemandPerInstance() {
        ScalePolicy p = policy(0, 1000, 60);
        int[] shells = {1};
        ScalePolicy.Decision d = run(p, 2.5, 120, shells);
        assertEquals(3, d.desired());
        assertFalse(d.panicking());
        assertEquals(2.5, d.stableDemand(), 1e-9);
    }

    @Test
    void aTrickleOfShortInvocationsKeepsOneShellUntilTheIdleTimeout() {
        ScalePolicy p = policy(0, 1000, 60);
        int[] shells = {0};
        assertEquals(1, run(p, 0.00004, 30, shells).desired(), "40 us of work a second is demand");
        assertEquals(1, run(p, 0, 59, shells).desired(), "59 s idle: still within the idle timeout");
        assertEquals(0, run(p, 0, 2, shells).desired(), "past the idle timeout: scaled to zero");
        assertEquals(1, run(p, 0.5, 1, shells).desired(), "the next demand brings one back");
    }

    @Test
    void aJumpPanicsAndScalesUpWithinTheFirstSecondsNeverDownWhilePanicking() {
        ScalePolicy p = policy(0, 1000, 60);
        int[] shells = {1};
        run(p, 1, 120, shells);
        assertEquals(1, shells[0]);
        ScalePolicy.Decision first = run(p, 50, 1, shells);
        assertTrue(first.panicking(), first.toString());
        assertTrue(first.desired() >= 2, "one second of 50x demand already scales up: " + first);
        ScalePolicy.Decision settled = run(p, 50, 6, shells);
        assertEquals(50, settled.desired(), "the panic window is all burst after 6 s: " + settled);
        // The burst ends: while panicking the policy does not scale down.
        ScalePolicy.Decision after = run(p, 1, 30, shells);
        assertTrue(after.panicking(), after.toString());
        assertEquals(50, after.desired());
        // A stable window after the last panic condition it follows the stable average down.
        ScalePolicy.Decision calm = run(p, 1, 60, shells);
        assertFalse(calm.panicking(), calm.toString());
        assertTrue(calm.desired() < 50, calm.toString());
        assertEquals(1, run(p, 1, 120, shells).desired());
    }

    @Test
    void aGradualRiseIsFollowedWithoutPanic() {
        ScalePolicy p = policy(0, 1000, 60);
        int[] shells = {2};
        for (int level = 2; level <= 10; level++) {
            ScalePolicy.Decision d = run(p, level, 60, shells);
            assertFalse(d.panicking(), "level " + level + ": " + d);
            assertEquals(level, d.desired(), "level " + level);
        }
    }

    @Test
    void minKeepsInstancesThroughIdlenessAndMaxCapsABurst() {
        ScalePolicy p = policy(2, 5, 10);
        int[] shells = {2};
        assertEquals(2, run(p, 0, 300, shells).desired(), "min_warm through idleness");
        assertEquals(5, run(p, 40, 10, shells).desired(), "max_warm caps the burst");
        assertEquals(2, run(p, 0, 300, shells).desired());
    }

    @Test
    void maxZeroKeepsNothing() {
        ScalePolicy p = policy(0, 0, 60);
        assertEquals(0, run(p, 3, 10, new int[] {0}).desired());
    }

    @Test
    void idleTimeoutZeroScalesToZeroAsSoonAsTheDemandStops() {
        ScalePolicy p = policy(0, 10, 0);
        int[] shells = {0};
        assertEquals(0, run(p, 0, 1, shells).desired());
    }

    @Test
    void refusesNonsense() {
        assertThrows(IllegalArgumentException.class, () -> ScalePolicy.Settings.of(3, 2, Duration.ofSeconds(1)));
        assertThrows(IllegalArgumentException.class, () -> ScalePolicy.Settings.of(-1, 2, Duration.ofSeconds(1)));
        assertThrows(IllegalArgumentException.class, () -> ScalePolicy.Settings.of(0, 2, Duration.ofSeconds(-1)));
        assertThrows(IllegalArgumentException.class, () -> ScalePolicy.Settings.of(0, 2, Duration.ofSeconds(1))
                .withWindows(Duration.ofSeconds(6), Duration.ofSeconds(60)));
        ScalePolicy p = policy(0, 1, 1);
        assertThrows(IllegalArgumentException.class, () -> p.observe(-1));
        assertThrows(IllegalArgumentException.class, () -> p.observe(Double.NaN));
    }
}
