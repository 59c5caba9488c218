package dev.thaw.registry;

import java.time.Instant;
import java.util.List;

/**
 * What one invoker's consumer of a trigger reports about itself: published every few
 * seconds, read by gateways to show the trigger's state.
 *
 * @param invoker      the invoker's id
 * @param state        {@code starting} (looking for the topic, joining the group), {@code running},
 *                     or {@code error} (failing now: {@code error} says why)
 * @param partitions   the topic's partitions this consumer holds
 * @param error        the current error, or null
 * @param lastError    the latest error, current or past, or null
 * @param lastErrorAt  when that was, or null
 * @param events       events handled (run, or sent to the dead-letter topic) since this consumer started
 * @param deadLettered of which sent to the dead-letter topic
 * @param reportedAt   when this report was made
 */
public record TriggerReport(String invoker, String state, List<Integer> partitions, String error, String lastError,
                            Instant lastErrorAt, long events, long deadLettered, Instant reportedAt) {
    public static final String STARTING = "starting";
    public static final String RUNNING = "running";
    public static final String ERROR = "error";

    public TriggerReport {
        partitions = List.copyOf(partitions);
    }
}
