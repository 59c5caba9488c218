package dev.thaw.registry;

import io.lettuce.core.RedisClient;
import io.lettuce.core.ScriptOutputType;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

import static java.nio.charset.StandardCharsets.UTF_8;

/**
 * An {@link InvokerDirectory} in Redis, in two keys that hold only invokers, so listing them
 * never walks the keyspace (where every invocation record also lives):
 * <ul>
 *   <li>{@code thaw:invokers}: hash of invoker id to its {@link InvokerInfo} as JSON ({@link RecordJson})</li>
 *   <li>{@code thaw:invokers:expiry}: sorted set of invoker ids, scored by when the entry
 *       expires (milliseconds of the Redis server's clock, so hosts' clocks need not agree)</li>
 * </ul>
 * Each operation is one Lua script; listing also removes the entries that expired, so a dead
 * invoker needs no cleanup. Entries that cannot be read are skipped.
 */
public final class RedisInvokerDirectory implements InvokerDirectory {
    private static final System.Logger LOG = System.getLogger(RedisInvokerDirectory.class.getName());
    private static final String INFO = "thaw:invokers";
    private static final String EXPIRY = "thaw:invokers:expiry";

    private static final LuaScript HEARTBEAT = new LuaScript("""
            -- KEYS: info hash, expiry set. ARGV: id, info JSON, ttl in ms
            local t = redis.call('TIME')
            local now = t[1] * 1000 + math.floor(t[2] / 1000)
            redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
            redis.call('ZADD', KEYS[2], now + tonumber(ARGV[3]), ARGV[1])
            return 1
            """);

    private static final LuaScript LEAVE = new LuaScript("""
            -- KEYS: info hash, expiry set. ARGV: id
            redis.call('HDEL', KEYS[1], ARGV[1])
            return redis.call('ZREM', KEYS[2], ARGV[1])
            """);

    private static final LuaScript MEMBERS = new LuaScript("""
            -- KEYS: info hash, expiry set. Drops expired entries, then returns the JSON of the rest.
            local t = redis.call('TIME')
            local now = t[1] * 1000 + math.floor(t[2] / 1000)
            for _, id in ipairs(redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', now)) do
                redis.call('HDEL', KEYS[1], id)
            end
            redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now)
            return redis.call('HVALS', KEYS[1])
            """);

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
        RedisConnection.call("heartbeat of invoker " + self.id(), () -> HEARTBEAT.run(redis.sync(),
                ScriptOutputType.INTEGER, new String[] {INFO, EXPIRY}, bytes(self.id()), json,
                bytes(Long.toString(ttl.toMillis()))));
    }

    @Override
    public void leave(String id) {
        requireId(id);
        RedisConnection.call("remove invoker " + id,
                () -> LEAVE.run(redis.sync(), ScriptOutputType.INTEGER, new String[] {INFO, EXPIRY}, bytes(id)));
    }

    @Override
    public List<InvokerInfo> members() {
        List<Object> entries = RedisConnection.call("list invokers",
                () -> MEMBERS.run(redis.sync(), ScriptOutputType.MULTI, new String[] {INFO, EXPIRY}));
        List<InvokerInfo> members = new ArrayList<>();
        for (Object entry : entries) {
            read((byte[]) entry).ifPresent(members::add);
        }
        members.sort(Comparator.comparing(InvokerInfo::id));
        return members;
    }

    @Override
    public void close() {
        redis.close();
    }

    private static Optional<InvokerInfo> read(byte[] json) {
        try {
            return Optional.of(RecordJson.decode(json, InvokerInfo.class));
        } catch (IllegalArgumentException e) {
            LOG.log(System.Logger.Level.WARNING, "skipping an unreadable invoker entry: " + e.getMessage());
            return Optional.empty();
        }
    }

    private static void requireId(String id) {
        Objects.requireNonNull(id, "invoker id");
        if (id.isBlank()) {
            throw new IllegalArgumentException("invoker id must not be blank");
        }
    }

    private static byte[] bytes(String text) {
        return text.getBytes(UTF_8);
    }
}
