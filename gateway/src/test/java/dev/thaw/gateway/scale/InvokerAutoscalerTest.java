package dev.thaw.gateway.scale;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.thaw.protocol.ScalePolicy;
import dev.thaw.registry.InvokerInfo;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The cluster autoscaler on synthetic demand: invokers with 2 runners each, 1,000 events of
 * lag an invoker, ticks of 2 s, a 20 s scale-down delay, and invokers that appear as soon as
 * they are wanted. Expected counts worked out by hand.
 */
class InvokerAutoscalerTest {
    private static final long TICK = Duration.ofSeconds(2).toNanos();

    private final SimpleMeterRegistry meters = new SimpleMeterRegistry();
    private int invokers = 1;
    private int inFlightEach;
    private long lag;

    private InvokerAutoscaler autoscaler() {
        ScalePolicy.Settings policy = ScalePolicy.Settings.defaults(1, 1, 50).withScaleDownDelay(Duration.ofSeconds(20));
        return new InvokerAutoscaler(new InvokerAutoscaler.Settings(policy, 1000, 2, Duration.ofSeconds(2)), () -> {
            List<InvokerInfo> m = new ArrayList<>();
            for (int i = 0; i < invokers; i++) {
                m.add(new InvokerInfo("inv-" + i, "http://10.0.0." + i + ":9001", 2, inFlightEach, Instant.now()));
            }
            return m;
        }, () -> Map.of("async", lag), meters);
    }

    @Test
    void aBurstOfLagScalesUpAtOnceAndTheDropWaitsForTheScaleDownDelay() {
        InvokerAutoscaler a = autoscaler();
        int[] decisions = new int[40];
        for (int i = 0; i < decisions.length; i++) {
            lag = i >= 5 && i < 15 ? 10_000 : 0; // 10 invokers' worth of lag for 20 s
            decisions[i] = a.tick(1_000_000_000_000L + i * TICK);
            invokers = decisions[i];
        }
        // Tick 5: the panic window (ticks 2..5) averages 2.5 invokers' worth: 3 >= 2 x 1: panic,
        // then 5 (tick 6), 8 (7), 10 (8): up only while panicking (30 ticks from tick 5, past the
        // end of this trace), so the demand's end at tick 15 changes nothing here.
        int[] want = new int[40];
        for (int i = 0; i < 40; i++) {
            want[i] = i < 5 ? 1 : i == 5 ? 3 : i == 6 ? 5 : i == 7 ? 8 : 10;
        }
        assertArrayEquals(want, decisions, Arrays.toString(decisions));
        assertEquals(10.0, meters.get("thaw.desired.invokers").gauge().value());
        assertEquals(0.0, meters.get("thaw.kafka.lag").tag("source", "async").gauge().value());
    }

    @Test
    void syncDemandCountsInvokersWorthOfRunnersAndTheDesireIsExported() {
        InvokerAutoscaler a = autoscaler();
        invokers = 4;
        inFlightEach = 6; // 24 in flight, 8 runners: 3x what 4 invokers carry
        int decision = 0;
        for (int i = 0; i < 40; i++) {
            decision = a.tick(1_000_000_000_000L + i * TICK);
        }
        assertEquals(12, decision, "24 in flight at 2 runners an invoker");
        assertEquals(12.0, meters.get("thaw.desired.invokers").gauge().value());
        assertEquals(4.0, meters.get("thaw.invokers").gauge().value());
        assertEquals(12.0, meters.get("thaw.invoker.demand").gauge().value(), 0.001);
    }

    @Test
    void whenKafkaDoesNotAnswerTheLastKnownLagCounts() {
        long[] answers = {5000, -1};
        int[] call = {0};
        ScalePolicy.Settings policy = ScalePolicy.Settings.defaults(1, 1, 50);
        InvokerAutoscaler a = new InvokerAutoscaler(new InvokerAutoscaler.Settings(policy, 1000, 2, Duration.ofSeconds(2)),
                List::of, () -> {
                    long v = answers[Math.min(call[0]++, 1)];
                    if (v < 0) {
                        throw new IllegalStateException("Kafka is down");
                    }
                    return Map.of("async", v);
                }, meters);
        int first = a.tick(1_000_000_000_000L);
        int second = a.tick(1_000_000_000_000L + TICK);
        assertEquals(5, first);
        assertTrue(second >= 5, "the lag of 5,000 still counts: " + second);
    }
}
