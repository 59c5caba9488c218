package dev.thaw.gateway.route;

import dev.thaw.registry.InvokerInfo;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Chooses an invoker for a function: rendezvous (highest random weight) hashing, so each
 * function keeps landing on the same few hosts where its snapshot is built and its pages
 * are in the page cache, with bounded load: a host already carrying more than
 * {@code loadFactor} times the average in-flight count is passed over for the next one in
 * the function's order. When an invoker disappears, only its functions move.
 */
public final class Router {
    private final double loadFactor;
    private volatile List<InvokerInfo> members = List.of();
    private final Map<String, AtomicInteger> inFlight = new ConcurrentHashMap<>();

    public Router(double loadFactor) {
        this.loadFactor = loadFactor;
    }

    public void members(List<InvokerInfo> alive) {
        members = List.copyOf(alive);
        inFlight.keySet().retainAll(alive.stream().map(InvokerInfo::id).toList());
    }

    public List<InvokerInfo> members() {
        return members;
    }

    /** The invokers for {@code function} in the order to try them, skipping {@code exclude}. */
    public List<InvokerInfo> order(String function, Set<String> exclude) {
        List<InvokerInfo> candidates = new ArrayList<>();
        for (InvokerInfo m : members) {
            if (!exclude.contains(m.id())) {
                candidates.add(m);
            }
        }
        candidates.sort(Comparator.comparingLong((InvokerInfo m) -> weight(function, m.id())).reversed());
        if (candidates.isEmpty()) {
            return candidates;
        }
        long total = 0;
        for (InvokerInfo m : candidates) {
            total += load(m.id());
        }
        double bound = Math.ceil(loadFactor * (total + 1) / candidates.size());
        List<InvokerInfo> ordered = new ArrayList<>(candidates.size());
        List<InvokerInfo> overloaded = new ArrayList<>();
        for (InvokerInfo m : candidates) {
            (load(m.id()) < bound ? ordered : overloaded).add(m);
        }
        ordered.addAll(overloaded);
        return ordered;
    }

    /** Counts a request on an invoker until {@link #finished}. */
    public void started(String invoker) {
        inFlight.computeIfAbsent(invoker, k -> new AtomicInteger()).incrementAndGet();
    }

    public void finished(String invoker) {
        AtomicInteger n = inFlight.get(invoker);
        if (n != null) {
            n.decrementAndGet();
        }
    }

    private int load(String invoker) {
        AtomicInteger n = inFlight.get(invoker);
        return n == null ? 0 : n.get();
    }

    /** The rendezvous weight of (function, invoker): a 64-bit hash of both (FNV-1a, then mixed). */
    static long weight(String function, String invoker) {
        long h = 0xcbf29ce484222325L;
        for (byte b : (function + "\u0000" + invoker).getBytes(StandardCharsets.UTF_8)) {
            h ^= b & 0xff;
            h *= 0x100000001b3L;
        }
        h ^= h >>> 33;
        h *= 0xff51afd7ed558ccdL;
        h ^= h >>> 33;
        return h;
    }
}
