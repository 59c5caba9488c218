package dev.thaw.gateway.trigger;

import dev.thaw.events.ConsumerLag;
import dev.thaw.registry.TriggerReport;
import java.time.Instant;
import java.util.List;

/**
 * How a trigger is doing, as {@code fn trigger ls} and {@code GET /v1/triggers/{name}} show it:
 * the invokers' reports on their consumers, and the lag of the trigger's group read from Kafka
 * by the gateway.
 *
 * @param state       {@code running} (every consumer is), {@code starting} (joining the group,
 *                    waiting for the topic; or no invoker runs it yet), or {@code error}
 * @param error       why it is not working now (an invoker's error, or the gateway's when it
 *                    cannot read the lag: an unreachable broker, a missing topic), or null
 * @param lastError   the latest error any consumer saw, current or past, or null
 * @param lastErrorAt when that was, or null
 * @param lag         per partition; empty when Kafka could not tell ({@code error} says why)
 * @param totalLag    the sum of {@code lag}, or -1 when Kafka could not tell
 * @param consumers   each invoker's report (partitions held, events handled, dead letters)
 */
public record TriggerStatus(String state, String error, String lastError, Instant lastErrorAt,
                            List<ConsumerLag.PartitionLag> lag, long totalLag, List<TriggerReport> consumers) {
    public static final String RUNNING = TriggerReport.RUNNING;
    public static final String STARTING = TriggerReport.STARTING;
    public static final String ERROR = TriggerReport.ERROR;

    /** Puts the reports and the lag (or why there is none: {@code lagError}) together. */
    static TriggerStatus of(List<TriggerReport> reports, List<ConsumerLag.PartitionLag> lag, String lagError) {
        String error = reports.stream().filter(r -> r.error() != null).findFirst()
                .map(r -> r.error() + (reports.size() > 1 ? " (on " + r.invoker() + ")" : "")).orElse(lagError);
        TriggerReport latest = reports.stream().filter(r -> r.lastErrorAt() != null)
                .max(java.util.Comparator.comparing(TriggerReport::lastErrorAt)).orElse(null);
        String lastError = latest != null ? latest.lastError() : lagError;
        Instant lastErrorAt = latest != null ? latest.lastErrorAt() : null;
        String state;
        if (error != null) {
            state = ERROR;
        } else if (!reports.isEmpty() && reports.stream().allMatch(r -> RUNNING.equals(r.state()))) {
            state = RUNNING;
        } else {
            state = STARTING;
        }
        long total = lag == null ? -1 : lag.stream().mapToLong(ConsumerLag.PartitionLag::lag).sum();
        return new TriggerStatus(state, error, lastError, lastErrorAt, lag == null ? List.of() : List.copyOf(lag), total,
                List.copyOf(reports));
    }
}
