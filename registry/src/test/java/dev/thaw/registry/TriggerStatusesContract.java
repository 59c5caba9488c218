package dev.thaw.registry;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** What every {@link TriggerStatuses} promises; each implementation's test extends this. */
abstract class TriggerStatusesContract {
    TriggerStatuses statuses;

    abstract TriggerStatuses newInstance();

    @BeforeEach
    void open() {
        statuses = newInstance();
    }

    @AfterEach
    void close() {
        statuses.close();
    }

    static TriggerReport report(String invoker, String state, String error) {
        Instant now = Instant.now().truncatedTo(ChronoUnit.MILLIS);
        return new TriggerReport(invoker, state, List.of(0, 2), error, error == null ? "earlier" : error,
                now.minusSeconds(5), 1234, 5, now);
    }

    @Test
    void eachInvokersLatestReportIsRead() {
        TriggerReport a = report("invoker-a", TriggerReport.RUNNING, null);
        TriggerReport b1 = report("invoker-b", TriggerReport.STARTING, null);
        TriggerReport b2 = report("invoker-b", TriggerReport.ERROR, "cannot reach Kafka at 127.0.0.1:1");
        statuses.report("orders", b1, Duration.ofSeconds(30));
        statuses.report("orders", a, Duration.ofSeconds(30));
        statuses.report("orders", b2, Duration.ofSeconds(30));
        statuses.report("clicks", a, Duration.ofSeconds(30));

        assertEquals(List.of(a, b2), statuses.reports("orders"));
        assertEquals(List.of(a), statuses.reports("clicks"));
        assertEquals(List.of(), statuses.reports("nothing"));
    }

    @Test
    void aReportVanishesAfterItsTtlOrWhenWithdrawn() throws Exception {
        statuses.report("orders", report("dead", TriggerReport.RUNNING, null), Duration.ofMillis(200));
        TriggerReport alive = report("alive", TriggerReport.RUNNING, null);
        statuses.report("orders", alive, Duration.ofSeconds(30));
        statuses.report("orders", report("leaving", TriggerReport.RUNNING, null), Duration.ofSeconds(30));
        statuses.withdraw("orders", "leaving");
        Thread.sleep(400);
        assertEquals(List.of(alive), statuses.reports("orders"));
        statuses.withdraw("orders", "alive");
        assertEquals(List.of(), statuses.reports("orders"));
    }
}
