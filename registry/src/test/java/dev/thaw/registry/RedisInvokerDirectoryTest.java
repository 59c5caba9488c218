package dev.thaw.registry;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.stream.IntStream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

class RedisInvokerDirectoryTest {
    @RegisterExtension
    static final RedisServer redis = new RedisServer();

    private static final Duration LONG_TTL = Duration.ofMinutes(1);
    private static final Duration SHORT_TTL = Duration.ofMillis(300);

    private InvokerDirectory directory;

    @BeforeEach
    void open() {
        directory = new RedisInvokerDirectory(redis.uri());
    }

    @AfterEach
    void close() {
        directory.close();
    }

    @Test
    void heartbeatListsTheInvokerWithItsFields() {
        InvokerInfo invoker = invoker("inv-1", 3);
        directory.heartbeat(invoker, LONG_TTL);
        assertEquals(List.of(invoker), directory.members());

        InvokerInfo busier = invoker("inv-1", 7);
        directory.heartbeat(busier, LONG_TTL);
        assertEquals(List.of(busier), directory.members());
    }

    @Test
    void entryDisappearsWhenItsTtlPassesWithoutHeartbeat() throws Exception {
        directory.heartbeat(invoker("short", 0), SHORT_TTL);
        directory.heartbeat(invoker("long", 0), LONG_TTL);
        assertEquals(List.of("long", "short"), ids(directory.members()));

        Await.until("the short-lived entry expires", () -> ids(directory.members()).equals(List.of("long")));
    }

    @Test
    void heartbeatExtendsTheEntry() throws Exception {
        directory.heartbeat(invoker("refreshed", 0), SHORT_TTL);
        directory.heartbeat(invoker("refreshed", 1), LONG_TTL);
        directory.heartbeat(invoker("sentinel", 0), SHORT_TTL);

        Await.until("the sentinel expires", () -> !ids(directory.members()).contains("sentinel"));
        assertEquals(List.of("refreshed"), ids(directory.members()));
    }

    @Test
    void leaveRemovesTheInvokerAtOnce() {
        directory.heartbeat(invoker("staying", 0), LONG_TTL);
        directory.heartbeat(invoker("leaving", 0), LONG_TTL);

        directory.leave("leaving");

        assertEquals(List.of("staying"), ids(directory.members()));
    }

    @Test
    void membersAreSortedByIdAndSeenByOtherProcesses() {
        for (String id : List.of("c", "a", "d", "b")) {
            directory.heartbeat(invoker(id, 0), LONG_TTL);
        }
        try (InvokerDirectory elsewhere = new RedisInvokerDirectory(redis.uri())) {
            assertEquals(List.of("a", "b", "c", "d"), ids(elsewhere.members()));
        }
    }

    @Test
    void listsEveryMemberOnceHoweverManyThereAre() {
        List<String> expected = IntStream.range(0, 2500).mapToObj(i -> "inv-%05d".formatted(i)).toList();
        for (String id : expected.reversed()) {
            directory.heartbeat(invoker(id, 0), LONG_TTL);
        }
        assertEquals(expected, ids(directory.members()));
    }

    @Test
    void unreadableEntriesAreSkipped() throws Exception {
        directory.heartbeat(invoker("good", 0), LONG_TTL);
        assertEquals(":1", redis.command("HSET", "thaw:invokers", "broken", "{not json"));
        assertEquals(":1", redis.command("ZADD", "thaw:invokers:expiry", "99999999999999", "broken"));

        assertEquals(List.of("good"), ids(directory.members()));
    }

    @Test
    void listingReadsOnlyTheDirectorysOwnKeysNotTheKeyspace() throws Exception {
        directory.heartbeat(invoker("inv-1", 0), LONG_TTL);
        for (int i = 0; i < 200; i++) {
            assertEquals("+OK", redis.command("SET", "thaw:inv:record-" + i, "{}"));
        }
        assertEquals("+OK", redis.command("CONFIG", "RESETSTAT"));

        assertEquals(List.of("inv-1"), ids(directory.members()));

        String stats = redis.info("commandstats");
        assertFalse(stats.contains("cmdstat_scan") || stats.contains("cmdstat_keys"), stats);
    }

    @Test
    void expiredEntriesAreRemovedFromRedisNotOnlyHidden() throws Exception {
        directory.heartbeat(invoker("gone", 0), SHORT_TTL);
        Await.until("the entry expires", () -> directory.members().isEmpty());
        assertEquals(":0", redis.command("HLEN", "thaw:invokers"));
        assertEquals(":0", redis.command("ZCARD", "thaw:invokers:expiry"));
    }

    @Test
    void refusesBlankIdsAndTtlsUnderAMillisecond() {
        assertThrows(IllegalArgumentException.class, () -> directory.heartbeat(invoker(" ", 0), LONG_TTL));
        assertThrows(IllegalArgumentException.class, () -> directory.heartbeat(invoker("x", 0), Duration.ZERO));
        assertEquals(List.of(), directory.members());
    }

    private static InvokerInfo invoker(String id, int inFlight) {
        return new InvokerInfo(id, "http://127.0.0.1:9001", 4, inFlight, Instant.now());
    }

    private static List<String> ids(List<InvokerInfo> members) {
        return members.stream().map(InvokerInfo::id).toList();
    }
}
