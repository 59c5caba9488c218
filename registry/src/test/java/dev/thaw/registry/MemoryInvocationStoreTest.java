package dev.thaw.registry;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.thaw.registry.InvocationRecord.State;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class MemoryInvocationStoreTest extends InvocationStoreContract {
    @Override
    InvocationStore newInstance(Duration retention) {
        return new MemoryInvocationStore(retention);
    }

    @Test
    void keepsAtMostItsCapDroppingTheOldestFirst() {
        try (MemoryInvocationStore store = new MemoryInvocationStore(Duration.ofHours(1), 3)) {
            for (int i = 1; i <= 5; i++) {
                store.put(record("inv_" + i, "hello", State.DONE));
            }
            assertTrue(store.get("inv_1").isEmpty() && store.get("inv_2").isEmpty(), "the oldest were dropped");
            assertTrue(store.get("inv_5").isPresent());
            assertEquals(3, store.recent("hello", 10).size());
            assertEquals("inv_5", store.recent("hello", 10).get(0).id());
        }
    }
}
