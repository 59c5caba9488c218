package dev.thaw.registry;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

class RedisTriggerRegistryTest extends TriggerRegistryContract {
    @RegisterExtension
    static final RedisServer redis = new RedisServer();

    @Override
    TriggerRegistry newInstance() {
        return new RedisTriggerRegistry(redis.uri());
    }

    @Test
    void allTriggersLiveInOneHash() throws Exception {
        registry.create(trigger("orders", "orders"));
        registry.create(trigger("clicks", "clicks"));
        assertEquals(1, redis.keyCount());
        assertEquals(":2", redis.command("HLEN", "thaw:triggers"));
    }

    @Test
    void redisFailuresNameTheOperation() throws Exception {
        assertEquals("+OK", redis.command("SET", "thaw:triggers", "not a hash"));
        RegistryException e = assertThrows(RegistryException.class, () -> registry.list());
        assertTrue(e.getMessage().startsWith("list the triggers failed: WRONGTYPE"), e.getMessage());
    }
}
