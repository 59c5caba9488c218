package dev.thaw.registry;

import dev.thaw.protocol.TriggerSpec;
import java.util.List;
import java.util.Optional;

/**
 * Where Kafka triggers are kept, so that every invoker sees them: each invoker reads them
 * regularly and runs a consumer for each. Implementations survive a restart and are safe
 * for concurrent use, including from several processes sharing the same store.
 */
public interface TriggerRegistry extends AutoCloseable {
    /** Stores a new trigger; false, changing nothing, when one of that name exists. */
    boolean create(TriggerSpec trigger);

    Optional<TriggerSpec> get(String name);

    /** Every trigger, sorted by name. */
    List<TriggerSpec> list();

    /** Removes the trigger; false when there was none of that name. */
    boolean delete(String name);

    @Override
    void close();
}
