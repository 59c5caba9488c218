package dev.thaw.invoker.service;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.Map;
import org.junit.jupiter.api.Test;

class InvokerMainTest {
    @Test
    void theRedisUriComesFromTheOptionElseFromTheEnvironment() {
        assertEquals("redis://a:6379", InvokerMain.redisUri("redis://a:6379", Map.of("THAW_REDIS_URI", "redis://b:6379")));
        assertEquals("redis://:pw@b:6379", InvokerMain.redisUri(null, Map.of("THAW_REDIS_URI", "redis://:pw@b:6379\n")));
        IllegalArgumentException none = assertThrows(IllegalArgumentException.class, () -> InvokerMain.redisUri(null, Map.of()));
        assertEquals("Redis is required: --redis URI or $THAW_REDIS_URI", none.getMessage());
        assertThrows(IllegalArgumentException.class, () -> InvokerMain.redisUri(null, Map.of("THAW_REDIS_URI", " ")));
    }
}
