package dev.thaw.registry;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Redis frozen or gone: every call fails within a bound (callers answer 503) instead of
 * hanging, and the same client works again once Redis is back.
 */
class RedisOutageTest {
    @RegisterExtension
    static final RedisServer redis = new RedisServer();
    /** The command timeout plus room for a busy machine. */
    private static final long BOUND_MS = RedisConnection.DEFAULT_TIMEOUT.toMillis() + 3_000;

    private FunctionRegistry registry;

    @BeforeEach
    void open() {
        registry = new RedisFunctionRegistry(redis.uri());
    }

    @AfterEach
    void close() throws Exception {
        redis.resume();
        registry.close();
    }

    @Test
    void aFrozenServerMakesCallsFailWithinTheTimeoutAndServesAgainWhenItThaws() throws Exception {
        registry.deploy("hello", "{}", new byte[] {1});
        redis.pause();

        long start = System.nanoTime();
        RegistryException e = assertThrows(RegistryException.class, () -> registry.latest("hello"));
        long ms = (System.nanoTime() - start) / 1_000_000;
        assertTrue(ms < BOUND_MS, "failed after " + ms + " ms");
        assertTrue(e.getMessage().contains("find the latest version of hello"), e.getMessage());

        redis.resume();
        Await.until("the registry answers again", () -> {
            try {
                return registry.latest("hello").isPresent();
            } catch (RegistryException stillCatchingUp) {
                return false;
            }
        });
    }

    @Test
    void aKilledServerMakesCallsFailFastAndTheClientReconnectsWhenItIsBack() throws Exception {
        registry.deploy("hello", "{}", new byte[] {1});
        redis.kill();

        for (int i = 0; i < 3; i++) {
            long start = System.nanoTime();
            assertThrows(RegistryException.class, () -> registry.version("hello", 1));
            long ms = (System.nanoTime() - start) / 1_000_000;
            assertTrue(ms < BOUND_MS, "failed after " + ms + " ms");
        }

        redis.restart(); // empty: nothing is persisted in this test's server
        Await.until("the client reconnects", () -> {
            try {
                return registry.version("hello", 1).isEmpty();
            } catch (RegistryException notYet) {
                return false;
            }
        });
        assertEquals(Optional.empty(), registry.latest("hello"));
        assertEquals(1, registry.deploy("hello", "{}", new byte[] {2}).version());
    }
}
