package dev.thaw.registry;

import io.lettuce.core.KeyValue;
import io.lettuce.core.RedisClient;
import io.lettuce.core.ScanArgs;
import io.lettuce.core.ScanIterator;
import io.lettuce.core.SetArgs;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * An {@link InvokerDirectory} in Redis: each invoker is the key {@code thaw:invoker:<id>}
 * holding its {@link InvokerInfo} as JSON ({@link RecordJson}), written with a ttl so Redis
 * itself forgets an invoker that stops reporting. Entries that cannot be read are skipped.
 */
public final class RedisInvokerDirectory implements InvokerDirectory {
    private static final System.Logger LOG = System.getLogger(RedisInvokerDirectory.class.getName());
    private static final String KEY_PREFIX = "thaw:invoker:";
    /** Keys asked for per SCAN step: a hint that keeps each step short on a big database. */
    private static final int SCAN_BATCH = 1000;

    private final RedisConnection redis;

    /** Uses {@code client}, which the caller keeps and closes. */
    public RedisInvokerDirectory(RedisClient client) {
        this.redis = RedisConnection.over(client);
    }

    /** Connects to {@code redisUri} (e.g. redis://127.0.0.1:6379) with a client closed by {@link #close()}. */
    public RedisInvokerDirectory(String redisUri) {
        this.redis = RedisConnection.to(redisUri);
    }

    @Override
    public void heartbeat(InvokerInfo self, Duration ttl) {
        requireId(self.id());
        if (ttl.toMillis() < 1) {
            throw new IllegalArgumentException("ttl must be at least 1 ms: " + ttl);
        }
        byte[] json = RecordJson.encode(self);
        RedisConnection.call("heartbeat of invoker " + self.id(),
                () -> redis.sync().set(KEY_PREFIX + self.id(), json, SetArgs.Builder.px(ttl.toMillis())));
    }

    @Override
    public void leave(String id) {
        requireId(id);
        RedisConnection.call("remove invoker " + id, () -> redis.sync().del(KEY_PREFIX + id));
    }

    @Override
    public List<InvokerInfo> members() {
        return RedisConnection.call("list invokers", () -> {
            // SCAN may return a key twice; the set keeps one.
            Set<String> keys = new LinkedHashSet<>();
            ScanIterator.scan(redis.sync(), ScanArgs.Builder.matches(KEY_PREFIX + "*").limit(SCAN_BATCH))
                    .forEachRemaining(keys::add);
            if (keys.isEmpty()) {
                return List.of();
            }
            List<InvokerInfo> members = new ArrayList<>();
            for (KeyValue<String, byte[]> entry : redis.sync().mget(keys.toArray(String[]::new))) {
                if (entry.hasValue()) { // else it expired since the scan
                    read(entry).ifPresent(members::add);
                }
            }
            members.sort(Comparator.comparing(InvokerInfo::id));
            return members;
        });
    }

    @Override
    public void close() {
        redis.close();
    }

    private static Optional<InvokerInfo> read(KeyValue<String, byte[]> entry) {
        try {
            return Optional.of(RecordJson.decode(entry.getValue(), InvokerInfo.class));
        } catch (IllegalArgumentException e) {
            LOG.log(System.Logger.Level.WARNING, "skipping unreadable invoker entry " + entry.getKey() + ": " + e.getMessage());
            return Optional.empty();
        }
    }

    private static void requireId(String id) {
        Objects.requireNonNull(id, "invoker id");
        if (id.isBlank()) {
            throw new IllegalArgumentException("invoker id must not be blank");
        }
    }
}
