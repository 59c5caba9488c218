package dev.thaw.registry;

import dev.thaw.registry.InvocationRecord.State;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class RedisInvocationStoreTest extends InvocationStoreContract {
    @RegisterExtension
    static final RedisServer redis = new RedisServer();

    @Override
    InvocationStore newInstance(Duration retention) {
        return new RedisInvocationStore(redis.uri(), retention);
    }

    @Test
    void recordPutByAnotherProcessReachesTheSubscriberAndReadsBack() throws Exception {
        BlockingQueue<InvocationRecord> received = new LinkedBlockingQueue<>();
        store.subscribe("a", received::add);
        InvocationStore elsewhere = open(store.retention());

        InvocationRecord done = record("a1", "a", State.DONE);
        elsewhere.put(done);

        assertSameRecord(done, next(received));
        assertSameRecord(done, store.get("a1").orElseThrow());
        assertEquals(List.of("a1"), ids(store.recent("a", 10)));
    }

    @Test
    void unreadableRecordsAreSkippedInRecentAndReportedByGet() throws Exception {
        store.put(record("a1", "a", State.DONE));
        assertEquals(":2", redis.command("LPUSH", "thaw:fn:a:recent", "broken"));
        assertEquals("+OK", redis.command("SET", "thaw:inv:broken", "{not json"));

        assertEquals(List.of("a1"), ids(store.recent("a", 10)));
        RegistryException reading = assertThrows(RegistryException.class, () -> store.get("broken"));
        assertTrue(reading.getMessage().startsWith("read invocation broken failed: not a valid InvocationRecord"),
                reading.getMessage());
    }
}
