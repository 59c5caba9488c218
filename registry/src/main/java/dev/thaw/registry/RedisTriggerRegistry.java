package dev.thaw.registry;

import dev.thaw.protocol.FunctionName;
import dev.thaw.protocol.TriggerSpec;
import io.lettuce.core.RedisClient;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;

/**
 * A {@link TriggerRegistry} in Redis: the hash {@code thaw:triggers}, field = trigger name,
 * value = {@link TriggerSpec#toJson()}. Creating is one HSETNX, so two gateways creating the
 * same trigger cannot both succeed; listing is one HVALS, cheap enough for every invoker to
 * do every few seconds.
 */
public final class RedisTriggerRegistry implements TriggerRegistry {
    private static final System.Logger LOG = System.getLogger(RedisTriggerRegistry.class.getName());
    static final String TRIGGERS = "thaw:triggers";

    private final RedisConnection redis;

    /** Uses {@code client}, which the caller keeps and closes. */
    public RedisTriggerRegistry(RedisClient client) {
        this.redis = RedisConnection.over(client);
    }

    /** Connects to {@code redisUri} (e.g. redis://127.0.0.1:6379) with a client closed by {@link #close()}. */
    public RedisTriggerRegistry(String redisUri) {
        this.redis = RedisConnection.to(redisUri);
    }

    @Override
    public boolean create(TriggerSpec trigger) {
        FunctionName.require(trigger.name());
        return RedisConnection.call("create trigger " + trigger.name(),
                () -> redis.sync().hsetnx(TRIGGERS, trigger.name(), trigger.toJsonBytes()));
    }

    @Override
    public Optional<TriggerSpec> get(String name) {
        FunctionName.require(name);
        byte[] json = RedisConnection.call("read trigger " + name, () -> redis.sync().hget(TRIGGERS, name));
        if (json == null) {
            return Optional.empty();
        }
        try {
            return Optional.of(TriggerSpec.fromJson(json));
        } catch (IllegalArgumentException e) {
            throw new RegistryException("read trigger " + name + " failed: " + e.getMessage(), e);
        }
    }

    @Override
    public List<TriggerSpec> list() {
        List<TriggerSpec> triggers = new ArrayList<>();
        for (byte[] json : RedisConnection.call("list the triggers", () -> redis.sync().hvals(TRIGGERS))) {
            try {
                triggers.add(TriggerSpec.fromJson(json));
            } catch (IllegalArgumentException e) {
                LOG.log(System.Logger.Level.WARNING, "skipping an unreadable trigger in " + TRIGGERS + ": " + e.getMessage());
            }
        }
        triggers.sort(Comparator.comparing(TriggerSpec::name));
        return triggers;
    }

    @Override
    public boolean delete(String name) {
        FunctionName.require(name);
        return RedisConnection.call("delete trigger " + name, () -> redis.sync().hdel(TRIGGERS, name)) == 1;
    }

    @Override
    public void close() {
        redis.close();
    }
}
