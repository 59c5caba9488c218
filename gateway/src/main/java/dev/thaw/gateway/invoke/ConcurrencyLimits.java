package dev.thaw.gateway.invoke;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/** In-flight invocations per function on this gateway, against the manifest's concurrency. */
public final class ConcurrencyLimits {
    private final Map<String, AtomicInteger> inFlight = new ConcurrentHashMap<>();

    /** Takes a slot, or returns false when {@code limit} invocations already run. */
    public boolean tryAcquire(String function, int limit) {
        AtomicInteger n = inFlight.computeIfAbsent(function, f -> new AtomicInteger());
        while (true) {
            int current = n.get();
            if (current >= limit) {
                return false;
            }
            if (n.compareAndSet(current, current + 1)) {
                return true;
            }
        }
    }

    public void release(String function) {
        AtomicInteger n = inFlight.get(function);
        if (n != null) {
            n.decrementAndGet();
        }
    }
}
