package dev.thaw.registry;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;

/**
 * An {@link InvocationStore} in this process's memory, for a single node. Keeps each
 * function's last {@value #RECENT_KEPT} DONE records. Memory is bounded twice: by a number of
 * records and by their bytes (output, stderr and log lines are what can be large), dropping
 * the oldest first; expired records are dropped as later calls pass by. Listeners
 * run on the thread that put the record; one that throws is logged and the others still run.
 */
public final class MemoryInvocationStore implements InvocationStore {
    /** DONE records kept per function for {@link #recent}. */
    public static final int RECENT_KEPT = 1000;

    private static final System.Logger LOG = System.getLogger(MemoryInvocationStore.class.getName());

    public static final int DEFAULT_MAX_RECORDS = 100_000;
    /** The default byte budget: what 100,000 small records need, with room for large ones. */
    public static final long DEFAULT_MAX_BYTES = 256L * 1024 * 1024;
    /** Counted per record besides its payloads: the objects, id, names and timestamps. */
    private static final long RECORD_OVERHEAD = 400;
    /** Counted per log line besides its characters. */
    private static final long LINE_OVERHEAD = 56;

    private final Duration retention;
    private final long retentionNanos;
    private final int maxRecords;
    private final long maxBytes;
    private long bytes; // guarded by lock: the estimated size of every record held
    private final Object lock = new Object();
    private final Map<String, Stored> records = new HashMap<>(); // guarded by lock
    private final Map<String, ArrayDeque<String>> recentIds = new HashMap<>(); // guarded by lock; newest first
    /** One entry per put. With a single retention, put order is expiry order. Guarded by lock. */
    private final ArrayDeque<Expiry> expiries = new ArrayDeque<>();
    private final Map<String, List<Subscription>> subscriptions = new ConcurrentHashMap<>();

    private record Stored(InvocationRecord record, long expiresAt, long bytes) {}

    private record Expiry(String id, long at) {}

    /** Keeps records for {@code retention} after their last put, within the default count and byte budgets. */
    public MemoryInvocationStore(Duration retention) {
        this(retention, DEFAULT_MAX_RECORDS, DEFAULT_MAX_BYTES);
    }

    public MemoryInvocationStore(Duration retention, int maxRecords) {
        this(retention, maxRecords, DEFAULT_MAX_BYTES);
    }

    /**
     * Keeps records for {@code retention} after their last put, and never more than
     * {@code maxRecords} of them nor more than about {@code maxBytes}: past either the oldest
     * go first, so memory stays bounded however fast invocations come and however much they
     * write. A record larger than the whole budget is not kept.
     */
    public MemoryInvocationStore(Duration retention, int maxRecords, long maxBytes) {
        if (retention.toMillis() < 1) {
            throw new IllegalArgumentException("retention must be at least 1 ms: " + retention);
        }
        if (maxRecords < 1) {
            throw new IllegalArgumentException("maxRecords must be at least 1: " + maxRecords);
        }
        this.retention = retention;
        this.retentionNanos = retention.toNanos();
        this.maxRecords = maxRecords;
        if (maxBytes < 1) {
            throw new IllegalArgumentException("maxBytes must be at least 1: " + maxBytes);
        }
        this.maxBytes = maxBytes;
    }

    /** The estimated heap a record takes: its payloads and a fixed overhead. */
    static long sizeOf(InvocationRecord r) {
        long size = RECORD_OVERHEAD + r.stdout().length + r.stderr().length + 2L * r.error().length();
        for (String line : r.logs()) {
            size += LINE_OVERHEAD + 2L * line.length();
        }
        return size;
    }

    /** The estimated bytes of the records held now. */
    public long bytes() {
        synchronized (lock) {
            return bytes;
        }
    }

    @Override
    public void put(InvocationRecord record) {
        boolean becameDone;
        synchronized (lock) {
            long now = System.nanoTime(); // read under the lock, so expiries stay in time order
            dropExpired(now);
            long size = sizeOf(record);
            Stored replaced = records.remove(record.id());
            if (replaced != null) {
                bytes -= replaced.bytes();
            }
            if (size > maxBytes) {
                return; // larger than the whole budget: the caller keeps its answer, the store cannot
            }
            while ((records.size() >= maxRecords || bytes + size > maxBytes) && dropOldest()) {
                // dropped the record that would expire first
            }
            Stored previous = replaced;
            records.put(record.id(), new Stored(record, now + retentionNanos, size));
            bytes += size;
            expiries.addLast(new Expiry(record.id(), now + retentionNanos));
            becameDone = isDone(record) && (previous == null || !isDone(previous.record()));
            if (becameDone) {
                ArrayDeque<String> ids = recentIds.computeIfAbsent(record.function(), f -> new ArrayDeque<>());
                ids.addFirst(record.id());
                if (ids.size() > RECENT_KEPT) {
                    ids.removeLast();
                }
            }
        }
        if (becameDone) {
            notifySubscribers(record);
        }
    }

    @Override
    public Optional<InvocationRecord> get(String id) {
        synchronized (lock) {
            dropExpired(System.nanoTime());
            return Optional.ofNullable(records.get(id)).map(Stored::record);
        }
    }

    @Override
    public List<InvocationRecord> recent(String function, int limit) {
        if (limit < 0) {
            throw new IllegalArgumentException("limit must not be negative: " + limit);
        }
        synchronized (lock) {
            dropExpired(System.nanoTime());
            ArrayDeque<String> ids = recentIds.get(function);
            if (ids == null) {
                return List.of();
            }
            List<InvocationRecord> recent = new ArrayList<>();
            for (String id : ids) {
                if (recent.size() == limit) {
                    break;
                }
                Stored stored = records.get(id);
                if (stored != null && isDone(stored.record())) {
                    recent.add(stored.record());
                }
            }
            return recent;
        }
    }

    @Override
    public AutoCloseable subscribe(String function, Consumer<InvocationRecord> listener) {
        Objects.requireNonNull(listener, "listener");
        Subscription subscription = new Subscription(function, listener);
        subscriptions.compute(function, (f, list) -> {
            List<Subscription> updated = list == null ? new CopyOnWriteArrayList<>() : list;
            updated.add(subscription);
            return updated;
        });
        return subscription;
    }

    @Override
    public Duration retention() {
        return retention;
    }

    /** Forgets every record and subscription. */
    @Override
    public void close() {
        synchronized (lock) {
            records.clear();
            bytes = 0;
            recentIds.clear();
            expiries.clear();
        }
        subscriptions.clear();
    }

    private void dropExpired(long now) {
        while (!expiries.isEmpty() && expiries.peekFirst().at() - now <= 0) {
            Expiry expiry = expiries.removeFirst();
            Stored stored = records.get(expiry.id());
            if (stored != null && stored.expiresAt() == expiry.at()) { // else put again since
                records.remove(expiry.id());
                bytes -= stored.bytes();
                trimRecent(stored.record().function());
            }
        }
    }

    /** Makes room: drops the record that would expire first; false when there is none. */
    private boolean dropOldest() {
        while (!expiries.isEmpty()) {
            Expiry expiry = expiries.removeFirst();
            Stored stored = records.get(expiry.id());
            if (stored != null && stored.expiresAt() == expiry.at()) {
                records.remove(expiry.id());
                bytes -= stored.bytes();
                trimRecent(stored.record().function());
                return true;
            }
        }
        return false;
    }

    /** Drops the oldest ids of {@code function} whose records have expired: each id is dropped once, O(1) amortised. */
    private void trimRecent(String function) {
        ArrayDeque<String> ids = recentIds.get(function);
        if (ids == null) {
            return;
        }
        while (!ids.isEmpty() && !records.containsKey(ids.peekLast())) {
            ids.removeLast();
        }
        if (ids.isEmpty()) {
            recentIds.remove(function);
        }
    }

    private void notifySubscribers(InvocationRecord record) {
        for (Subscription subscription : subscriptions.getOrDefault(record.function(), List.of())) {
            try {
                subscription.listener.accept(record);
            } catch (RuntimeException e) {
                LOG.log(System.Logger.Level.WARNING, "listener of " + record.function() + " failed on invocation "
                        + record.id(), e);
            }
        }
    }

    private static boolean isDone(InvocationRecord record) {
        return record.state() == InvocationRecord.State.DONE;
    }

    /** One listener of one function; closing it (more than once is harmless) stops delivery. */
    private final class Subscription implements AutoCloseable {
        private final String function;
        private final Consumer<InvocationRecord> listener;

        Subscription(String function, Consumer<InvocationRecord> listener) {
            this.function = function;
            this.listener = listener;
        }

        @Override
        public void close() {
            subscriptions.computeIfPresent(function, (f, list) -> {
                list.remove(this);
                return list.isEmpty() ? null : list;
            });
        }
    }
}
