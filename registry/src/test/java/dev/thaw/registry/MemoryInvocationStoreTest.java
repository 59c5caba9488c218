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

    @Test
    void keepsItsRecordsWithinItsByteBudgetHoweverLargeTheyAre() {
        long budget = 1024 * 1024;
        try (MemoryInvocationStore store = new MemoryInvocationStore(Duration.ofHours(1), 1_000_000, budget)) {
            for (int i = 0; i < 100; i++) {
                InvocationRecord r = record("big_" + i, "flood", State.DONE);
                store.put(new InvocationRecord(r.id(), r.function(), r.version(), r.state(), r.outcome(), r.exitCode(),
                        r.error(), new byte[100_000], new byte[0], r.logs(), r.warm(), 0, 0, r.createdAt(), r.finishedAt(), false));
            }
            assertTrue(store.bytes() <= budget, store.bytes() + " bytes held");
            assertTrue(store.get("big_99").isPresent(), "the newest is kept");
            assertTrue(store.get("big_0").isEmpty(), "the oldest went first");

            InvocationRecord r = record("lines", "logger", State.DONE);
            store.put(new InvocationRecord(r.id(), r.function(), r.version(), r.state(), r.outcome(), r.exitCode(),
                    r.error(), new byte[0], new byte[0], java.util.Collections.nCopies(100_000, ""), r.warm(), 0, 0,
                    r.createdAt(), r.finishedAt(), false));
            assertTrue(store.bytes() <= budget, "empty log lines count too: " + store.bytes() + " bytes held");
        }
    }
}
