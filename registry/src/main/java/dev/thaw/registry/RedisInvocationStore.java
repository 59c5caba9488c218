package dev.thaw.registry;

import io.lettuce.core.KeyValue;
import io.lettuce.core.RedisClient;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.pubsub.RedisPubSubAdapter;
import io.lettuce.core.pubsub.StatefulRedisPubSubConnection;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Consumer;

import static java.nio.charset.StandardCharsets.UTF_8;

/**
 * An {@link InvocationStore} in Redis, shared by every process connected to the same server.
 * Keys:
 * <ul>
 *   <li>{@code thaw:inv:<id>}: the record as JSON ({@link RecordJson}), expiring after the retention</li>
 *   <li>{@code thaw:fn:<function>:recent}: ids of the function's last {@value #RECENT_KEPT} DONE
 *       records, newest first, expiring a retention after the last one was added</li>
 * </ul>
 * When a record becomes DONE its JSON is published on {@code thaw:inv-done:<function>}. A put
 * is one Lua script, so the record, the recent list and the notification change together: a
 * subscriber that reads the record back finds it, and putting a DONE record again neither
 * lists nor announces it twice.
 *
 * <p>Listeners run one at a time on a thread of this store, in the order the records became
 * DONE, so a slow listener delays the next deliveries but never Redis I/O; a listener that
 * throws is logged and the others still run. The pub/sub connection opens on the first
 * subscribe.
 */
public final class RedisInvocationStore implements InvocationStore {
    /** DONE records listed per function for {@link #recent}. */
    public static final int RECENT_KEPT = 1000;

    private static final System.Logger LOG = System.getLogger(RedisInvocationStore.class.getName());
    private static final String CHANNEL_PREFIX = "thaw:inv-done:";

    private static final LuaScript PUT = new LuaScript("""
            -- KEYS: the record, its function's recent list
            -- ARGV: record JSON, retention in ms, id, done channel, ids kept in the recent list, '1' if DONE
            local previous = redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2], 'GET')
            -- JSON escapes every quote inside a string, so this matches only the record's own state.
            local wasDone = previous and string.find(previous, '"state":"DONE"', 1, true)
            if ARGV[6] ~= '1' or wasDone then
                return 0
            end
            redis.call('LPUSH', KEYS[2], ARGV[3])
            redis.call('LTRIM', KEYS[2], 0, tonumber(ARGV[5]) - 1)
            redis.call('PEXPIRE', KEYS[2], ARGV[2])
            redis.call('PUBLISH', ARGV[4], ARGV[1])
            return 1
            """);

    private final RedisConnection redis;
    private final Duration retention;
    private final ExecutorService dispatcher =
            Executors.newSingleThreadExecutor(Thread.ofVirtual().name("thaw-invocation-listeners").factory());
    private final Object subscriptionLock = new Object();
    /** Read by the dispatcher; changed only under subscriptionLock, together with the Redis subscription. */
    private final Map<String, List<Subscription>> subscriptions = new ConcurrentHashMap<>();
    private StatefulRedisPubSubConnection<String, byte[]> pubSub; // guarded by subscriptionLock

    /** Uses {@code client}, which the caller keeps and closes; keeps records for {@code retention}. */
    public RedisInvocationStore(RedisClient client, Duration retention) {
        this.retention = requireRetention(retention);
        this.redis = RedisConnection.over(client);
    }

    /** Connects to {@code redisUri} with a client closed by {@link #close()}; keeps records for {@code retention}. */
    public RedisInvocationStore(String redisUri, Duration retention) {
        this.retention = requireRetention(retention);
        this.redis = RedisConnection.to(redisUri);
    }

    @Override
    public void put(InvocationRecord record) {
        byte[] json = RecordJson.encode(record);
        boolean done = record.state() == InvocationRecord.State.DONE;
        RedisConnection.run("store invocation " + record.id(), () -> PUT.run(redis.sync(), ScriptOutputType.INTEGER,
                new String[] {recordKey(record.id()), recentKey(record.function())},
                json, bytes(Long.toString(retention.toMillis())), bytes(record.id()), bytes(channel(record.function())),
                bytes(Integer.toString(RECENT_KEPT)), bytes(done ? "1" : "0")));
    }

    @Override
    public Optional<InvocationRecord> get(String id) {
        byte[] json = RedisConnection.call("read invocation " + id, () -> redis.sync().get(recordKey(id)));
        if (json == null) {
            return Optional.empty();
        }
        try {
            return Optional.of(RecordJson.decode(json, InvocationRecord.class));
        } catch (IllegalArgumentException e) {
            throw new RegistryException("read invocation " + id + " failed: " + e.getMessage(), e);
        }
    }

    @Override
    public List<InvocationRecord> recent(String function, int limit) {
        if (limit < 0) {
            throw new IllegalArgumentException("limit must not be negative: " + limit);
        }
        if (limit == 0) {
            return List.of();
        }
        return RedisConnection.call("list recent invocations of " + function, () -> {
            List<byte[]> ids = redis.sync().lrange(recentKey(function), 0, Math.min(limit, RECENT_KEPT) - 1);
            if (ids.isEmpty()) {
                return List.of();
            }
            String[] keys = ids.stream().map(id -> recordKey(new String(id, UTF_8))).toArray(String[]::new);
            List<InvocationRecord> recent = new ArrayList<>();
            for (KeyValue<String, byte[]> entry : redis.sync().mget(keys)) {
                if (entry.hasValue()) { // else expired
                    decode(entry.getKey(), entry.getValue())
                            .filter(record -> record.state() == InvocationRecord.State.DONE)
                            .ifPresent(recent::add);
                }
            }
            return recent;
        });
    }

    @Override
    public AutoCloseable subscribe(String function, Consumer<InvocationRecord> listener) {
        Objects.requireNonNull(listener, "listener");
        Subscription subscription = new Subscription(function, listener);
        synchronized (subscriptionLock) {
            List<Subscription> current = subscriptions.computeIfAbsent(function, f -> new CopyOnWriteArrayList<>());
            current.add(subscription);
            if (current.size() == 1) {
                try {
                    RedisConnection.run("subscribe to " + channel(function), () -> pubSub().sync().subscribe(channel(function)));
                } catch (RuntimeException e) {
                    subscriptions.remove(function);
                    throw e;
                }
            }
        }
        return subscription;
    }

    @Override
    public Duration retention() {
        return retention;
    }

    @Override
    public void close() {
        synchronized (subscriptionLock) {
            subscriptions.clear();
            if (pubSub != null) {
                pubSub.close();
                pubSub = null;
            }
        }
        dispatcher.shutdown();
        redis.close();
    }

    private StatefulRedisPubSubConnection<String, byte[]> pubSub() {
        if (pubSub == null) {
            pubSub = redis.connectPubSub();
            pubSub.addListener(new RedisPubSubAdapter<>() {
                @Override
                public void message(String channel, byte[] message) {
                    // Off Lettuce's I/O thread: a slow listener must not hold up Redis replies.
                    dispatcher.execute(() -> deliver(channel.substring(CHANNEL_PREFIX.length()), message));
                }
            });
        }
        return pubSub;
    }

    private void deliver(String function, byte[] json) {
        List<Subscription> listeners = subscriptions.get(function);
        if (listeners == null) {
            return; // unsubscribed since it was published
        }
        decode(channel(function), json).ifPresent(record -> {
            for (Subscription subscription : listeners) {
                try {
                    subscription.listener.accept(record);
                } catch (RuntimeException e) {
                    LOG.log(System.Logger.Level.WARNING, "listener of " + function + " failed on invocation "
                            + record.id(), e);
                }
            }
        });
    }

    /** The record in {@code json}, or empty (and a warning) if it cannot be read. */
    private static Optional<InvocationRecord> decode(String source, byte[] json) {
        try {
            return Optional.of(RecordJson.decode(json, InvocationRecord.class));
        } catch (IllegalArgumentException e) {
            LOG.log(System.Logger.Level.WARNING, "skipping unreadable invocation record from " + source + ": " + e.getMessage());
            return Optional.empty();
        }
    }

    private static Duration requireRetention(Duration retention) {
        if (retention.toMillis() < 1) {
            throw new IllegalArgumentException("retention must be at least 1 ms: " + retention);
        }
        return retention;
    }

    private static String recordKey(String id) {
        return "thaw:inv:" + id;
    }

    private static String recentKey(String function) {
        return "thaw:fn:" + function + ":recent";
    }

    private static String channel(String function) {
        return CHANNEL_PREFIX + function;
    }

    private static byte[] bytes(String text) {
        return text.getBytes(UTF_8);
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
            synchronized (subscriptionLock) {
                List<Subscription> current = subscriptions.get(function);
                if (current == null || !current.remove(this)) {
                    return;
                }
                if (current.isEmpty()) {
                    subscriptions.remove(function);
                    RedisConnection.run("unsubscribe from " + channel(function), () -> pubSub.sync().unsubscribe(channel(function)));
                }
            }
        }
    }
}
