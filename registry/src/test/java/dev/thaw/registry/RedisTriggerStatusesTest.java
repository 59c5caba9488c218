package dev.thaw.registry;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

class RedisTriggerStatusesTest extends TriggerStatusesContract {
    @RegisterExtension
    static final RedisServer redis = new RedisServer();

    @Override
    TriggerStatuses newInstance() {
        return new RedisTriggerStatuses(redis.uri());
    }

    @Test
    void nothingIsLeftInRedisOnceTheReportsExpire() throws Exception {
        statuses.report("orders", report("a", TriggerReport.RUNNING, null), Duration.ofMillis(300));
        statuses.report("orders", report("b", TriggerReport.RUNNING, null), Duration.ofMillis(300));
        assertEquals(3, redis.keyCount());
        Thread.sleep(600);
        assertEquals(0, redis.keyCount());
    }
}
