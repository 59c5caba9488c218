package dev.thaw.registry;

import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * Invocation records: results of async invocations, and each function's recent invocations
 * with their stderr and log lines. Records expire after the store's retention.
 */
public interface InvocationStore extends AutoCloseable {
    /** Creates or replaces the record with this id; notifies the function's subscribers. */
    void put(InvocationRecord record);

    Optional<InvocationRecord> get(String id);

    /** The function's most recent records that are DONE, newest first, at most {@code limit}. */
    List<InvocationRecord> recent(String function, int limit);

    /**
     * Calls {@code listener} for every record of {@code function} that becomes DONE from now
     * on, from any process sharing the store, until the returned handle is closed.
     */
    AutoCloseable subscribe(String function, Consumer<InvocationRecord> listener);

    /** How long records are kept. */
    Duration retention();

    @Override
    void close();
}
