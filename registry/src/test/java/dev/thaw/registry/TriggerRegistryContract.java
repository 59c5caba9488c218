package dev.thaw.registry;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.thaw.protocol.TriggerSpec;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** What every {@link TriggerRegistry} promises; each implementation's test extends this. */
abstract class TriggerRegistryContract {
    private final List<TriggerRegistry> opened = new ArrayList<>();
    TriggerRegistry registry;

    /** A new registry over the same store as every other one the test opens, as another process would see it. */
    abstract TriggerRegistry newInstance();

    TriggerRegistry open() {
        TriggerRegistry instance = newInstance();
        opened.add(instance);
        return instance;
    }

    @BeforeEach
    void openRegistry() {
        registry = open();
    }

    @AfterEach
    void closeRegistries() {
        opened.forEach(TriggerRegistry::close);
    }

    static TriggerSpec trigger(String name, String topic) {
        return new TriggerSpec(name, "hello", topic, null, TriggerSpec.defaultGroup(name), 10, 50,
                TriggerSpec.Start.EARLIEST, 3, topic + ".dlq", null, Instant.now().truncatedTo(ChronoUnit.MILLIS));
    }

    @Test
    void aCreatedTriggerIsSeenByEveryInstanceAndSurvivesARestart() {
        TriggerSpec orders = trigger("orders", "orders");
        TriggerSpec clicks = new TriggerSpec("clicks", "count", "clicks", "kafka-2:9092", "my-group", 1, 0,
                TriggerSpec.Start.LATEST, 0, null, "counts", Instant.parse("2026-11-30T10:00:00.123456789Z"));
        assertTrue(registry.create(orders));
        assertTrue(registry.create(clicks));
        registry.close();

        TriggerRegistry other = open();
        assertEquals(Optional.of(orders), other.get("orders"));
        assertEquals(Optional.of(clicks), other.get("clicks"), "every field comes back, the instant to the nanosecond");
        assertEquals(List.of(clicks, orders), other.list());
    }

    @Test
    void aNameIsTakenOnce() {
        assertTrue(registry.create(trigger("orders", "orders")));
        assertFalse(open().create(trigger("orders", "other-topic")));
        assertEquals("orders", registry.get("orders").orElseThrow().topic(), "the first one stays");
    }

    @Test
    void concurrentCreatesOfOneNameFromSeveralInstancesHaveOneWinner() throws Exception {
        List<TriggerRegistry> instances = List.of(registry, open(), open());
        CountDownLatch go = new CountDownLatch(1);
        List<Future<Boolean>> creates = new ArrayList<>();
        try (ExecutorService pool = Executors.newFixedThreadPool(6)) {
            for (int i = 0; i < 12; i++) {
                TriggerRegistry instance = instances.get(i % instances.size());
                String topic = "topic-" + i;
                creates.add(pool.submit(() -> {
                    go.await();
                    return instance.create(trigger("race", topic));
                }));
            }
            go.countDown();
            int won = 0;
            for (Future<Boolean> f : creates) {
                won += f.get() ? 1 : 0;
            }
            assertEquals(1, won);
        }
        assertEquals(1, registry.list().size());
    }

    @Test
    void deleteRemovesItOnce() {
        registry.create(trigger("orders", "orders"));
        registry.create(trigger("clicks", "clicks"));
        assertTrue(open().delete("orders"));
        assertFalse(registry.delete("orders"));
        assertEquals(Optional.empty(), registry.get("orders"));
        assertEquals(List.of("clicks"), registry.list().stream().map(TriggerSpec::name).toList());
        assertTrue(registry.create(trigger("orders", "orders-again")), "the name is free again");
    }

    @Test
    void unknownAndInvalidNames() {
        assertEquals(Optional.empty(), registry.get("nope"));
        assertFalse(registry.delete("nope"));
        assertEquals(List.of(), registry.list());
        assertThrows(IllegalArgumentException.class, () -> registry.get("../escape"));
        assertThrows(IllegalArgumentException.class, () -> registry.delete("A"));
    }
}
