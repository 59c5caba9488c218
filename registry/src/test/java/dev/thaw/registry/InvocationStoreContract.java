package dev.thaw.registry;

import dev.thaw.registry.InvocationRecord.State;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** What every {@link InvocationStore} promises; each implementation's test extends this. */
abstract class InvocationStoreContract {
    private static final Duration RETENTION = Duration.ofHours(1);
    private static final long DELIVERY_TIMEOUT_SECONDS = 10;

    private final List<InvocationStore> opened = new ArrayList<>();
    InvocationStore store;

    /** A new store keeping records for {@code retention}; a shared one (Redis) on the same data as the others. */
    abstract InvocationStore newInstance(Duration retention);

    InvocationStore open(Duration retention) {
        InvocationStore instance = newInstance(retention);
        opened.add(instance);
        return instance;
    }

    @BeforeEach
    void openStore() {
        store = open(RETENTION);
    }

    @AfterEach
    void closeStores() {
        opened.forEach(InvocationStore::close);
    }

    @Test
    void getReturnsWhatWasPut() {
        byte[] stdout = new byte[256];
        for (int i = 0; i < stdout.length; i++) {
            stdout[i] = (byte) i;
        }
        InvocationRecord record = new InvocationRecord("inv_1", "hello", 3, State.DONE, "EXITED", 1, "exit status 1",
                stdout, "warn\n".getBytes(UTF_8), List.of("one", "two"), true, 12, 345,
                Instant.parse("2026-11-22T07:51:02.123456789Z"), Instant.parse("2026-11-22T07:51:02.5Z"), false);
        store.put(record);

        assertSameRecord(record, store.get("inv_1").orElseThrow());
    }

    @Test
    void putReplacesTheRecordWithTheSameId() {
        store.put(record("inv_1", "hello", State.QUEUED));
        store.put(record("inv_1", "hello", State.RUNNING));
        assertEquals(State.RUNNING, store.get("inv_1").orElseThrow().state());

        InvocationRecord done = record("inv_1", "hello", State.DONE);
        store.put(done);
        assertSameRecord(done, store.get("inv_1").orElseThrow());
    }

    @Test
    void unknownIdIsEmpty() {
        assertTrue(store.get("inv_missing").isEmpty());
        assertEquals(List.of(), store.recent("missing", 10));
    }

    @Test
    void recentListsDoneRecordsOfTheFunctionNewestFirst() {
        store.put(record("a1", "a", State.DONE));
        store.put(record("a2", "a", State.QUEUED));
        store.put(record("a3", "a", State.RUNNING));
        store.put(record("a3", "a", State.DONE));
        store.put(record("b1", "b", State.DONE));
        store.put(record("a4", "a", State.DONE));

        assertEquals(List.of("a4", "a3", "a1"), ids(store.recent("a", 10)));
        assertEquals(List.of("a4", "a3"), ids(store.recent("a", 2)));
        assertEquals(List.of(), store.recent("a", 0));
        assertEquals(List.of("b1"), ids(store.recent("b", 10)));
    }

    @Test
    void recordPutAgainWhenDoneIsListedAndAnnouncedOnce() throws Exception {
        BlockingQueue<InvocationRecord> received = new LinkedBlockingQueue<>();
        store.subscribe("a", received::add);

        store.put(record("a1", "a", State.DONE));
        store.put(record("a1", "a", State.DONE));
        store.put(record("a2", "a", State.DONE));

        assertEquals(List.of("a2", "a1"), ids(store.recent("a", 10)));
        assertEquals("a1", next(received).id());
        assertEquals("a2", next(received).id(), "a1 was announced twice");
    }

    @Test
    void recentKeepsTheNewestThousandPerFunction() {
        List<String> ids = IntStream.range(0, 1005).mapToObj(i -> "a" + i).toList();
        ids.forEach(id -> store.put(record(id, "a", State.DONE)));

        List<String> recent = ids(store.recent("a", 5000));
        assertEquals(1000, recent.size());
        assertEquals(ids.reversed().subList(0, 1000), recent);
    }

    @Test
    void recordsExpireAfterTheRetention() throws Exception {
        InvocationStore shortLived = open(Duration.ofMillis(300));
        shortLived.put(record("a1", "a", State.DONE));
        assertEquals(List.of("a1"), ids(shortLived.recent("a", 10)));

        Await.until("the record expires", () -> shortLived.get("a1").isEmpty());
        assertEquals(List.of(), shortLived.recent("a", 10));
    }

    @Test
    void subscriberReceivesRecordsOfItsFunctionWhenTheyAreDone() throws Exception {
        BlockingQueue<InvocationRecord> received = new LinkedBlockingQueue<>();
        store.subscribe("a", received::add);

        store.put(record("a1", "a", State.QUEUED));
        store.put(record("a1", "a", State.RUNNING));
        store.put(record("b1", "b", State.DONE));
        InvocationRecord done = record("a1", "a", State.DONE);
        store.put(done);
        store.put(record("a2", "a", State.DONE));

        assertSameRecord(done, next(received));
        assertEquals("a2", next(received).id(), "only DONE records of a, in order");
    }

    @Test
    void closedSubscriptionReceivesNothingMore() throws Exception {
        BlockingQueue<InvocationRecord> closed = new LinkedBlockingQueue<>();
        BlockingQueue<InvocationRecord> open = new LinkedBlockingQueue<>();
        AutoCloseable closedSubscription = store.subscribe("a", closed::add);
        AutoCloseable openSubscription = store.subscribe("a", open::add);

        closedSubscription.close();
        store.put(record("a1", "a", State.DONE));
        assertEquals("a1", next(open).id());
        assertNull(closed.poll(), "delivered after close");

        // With no listener left on a, an a record published before the b one would arrive first.
        openSubscription.close();
        BlockingQueue<InvocationRecord> sentinel = new LinkedBlockingQueue<>();
        store.subscribe("b", sentinel::add);
        store.put(record("a2", "a", State.DONE));
        store.put(record("b1", "b", State.DONE));
        assertEquals("b1", next(sentinel).id());
        assertNull(open.poll(), "delivered after the last listener closed");
    }

    @Test
    void throwingListenerDoesNotStopTheOthers() throws Exception {
        BlockingQueue<InvocationRecord> received = new LinkedBlockingQueue<>();
        store.subscribe("a", record -> {
            throw new IllegalStateException("listener failure expected by the test");
        });
        store.subscribe("a", received::add);

        store.put(record("a1", "a", State.DONE));
        store.put(record("a2", "a", State.DONE));

        assertEquals("a1", next(received).id());
        assertEquals("a2", next(received).id());
    }

    @Test
    void reportsItsRetention() {
        assertEquals(Duration.ofMinutes(5), open(Duration.ofMinutes(5)).retention());
    }

    static InvocationRecord record(String id, String function, State state) {
        boolean done = state == State.DONE;
        return new InvocationRecord(id, function, 1, state, done ? "EXITED" : "", 0, "",
                ("out of " + id).getBytes(UTF_8), new byte[0], List.of("log of " + id), false, 5, done ? 40 : 0,
                Instant.now(), done ? Instant.now() : null, false);
    }

    static InvocationRecord next(BlockingQueue<InvocationRecord> received) throws InterruptedException {
        InvocationRecord record = received.poll(DELIVERY_TIMEOUT_SECONDS, TimeUnit.SECONDS);
        assertNotNull(record, "nothing delivered within " + DELIVERY_TIMEOUT_SECONDS + " s");
        return record;
    }

    static List<String> ids(List<InvocationRecord> records) {
        return records.stream().map(InvocationRecord::id).toList();
    }

    /** Records hold byte arrays, which equals() compares by identity. */
    static void assertSameRecord(InvocationRecord expected, InvocationRecord actual) {
        assertArrayEquals(expected.stdout(), actual.stdout(), "stdout");
        assertArrayEquals(expected.stderr(), actual.stderr(), "stderr");
        assertEquals(withoutOutput(expected), withoutOutput(actual));
    }

    private static InvocationRecord withoutOutput(InvocationRecord r) {
        return new InvocationRecord(r.id(), r.function(), r.version(), r.state(), r.outcome(), r.exitCode(), r.error(),
                null, null, r.logs(), r.warm(), r.queueMicros(), r.runMicros(), r.createdAt(), r.finishedAt(), false);
    }
}
