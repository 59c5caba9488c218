package dev.thaw.registry;

import java.time.Duration;
import java.util.List;

/**
 * Which invokers are alive. Each invoker calls {@link #heartbeat} regularly; an entry that
 * is not refreshed within its ttl disappears by itself (a dead invoker needs no cleanup).
 */
public interface InvokerDirectory extends AutoCloseable {
    /** Registers or refreshes {@code self}; it stays listed for {@code ttl} unless refreshed. */
    void heartbeat(InvokerInfo self, Duration ttl);

    /** Removes an invoker at once (a clean shutdown). */
    void leave(String id);

    /** The invokers whose entries have not expired, sorted by id. */
    List<InvokerInfo> members();

    @Override
    void close();
}
