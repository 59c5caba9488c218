package dev.thaw.registry;

import java.time.Duration;
import java.util.List;

/**
 * Where invokers publish what their consumers of each trigger are doing ({@link TriggerReport}),
 * and gateways read it. A report counts for the ttl it was published with, so a dead invoker's
 * reports vanish by themselves.
 */
public interface TriggerStatuses extends AutoCloseable {
    /** Publishes (or replaces) {@code report.invoker()}'s report on {@code trigger}. */
    void report(String trigger, TriggerReport report, Duration ttl);

    /** Withdraws an invoker's report (its consumer stopped cleanly). */
    void withdraw(String trigger, String invoker);

    /** The reports on {@code trigger} that have not expired, sorted by invoker. */
    List<TriggerReport> reports(String trigger);

    @Override
    void close();
}
