package dev.thaw.snapshotter;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.thaw.invoker.Engine;
import dev.thaw.invoker.Limits;
import dev.thaw.invoker.Result;
import dev.thaw.invoker.ShellPool;
import dev.thaw.invoker.testing.KvmTest;
import dev.thaw.invoker.testing.OpenVms;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * How the engine sizes pools: a target it grows to in the background and trims to, a cold
 * start when no shell is idle, and a memory budget over all pools that closes the least
 * recently used idle shells. Each test has an engine of its own and counts the real VMs
 * (KVM file descriptors) the process holds.
 */
@KvmTest
@Timeout(180)
class ShellPoolSizingTest {
    private static final Limits SHORT = new Limits(Duration.ofSeconds(5), 1024);
    private static Path hostile;

    @BeforeAll
    static void build() throws Exception {
        hostile = TestSnapshots.build("unikernel-base/tests/hostile").directory();
    }

    private static Result ok(ShellPool pool) throws Exception {
        Result r = pool.submit("ok".getBytes(UTF_8), SHORT).get(30, TimeUnit.SECONDS);
        assertTrue(r.ok(), r::toString);
        return r;
    }

    /** Waits (20 s at most: closes and background creation run on other threads) until {@code value} is {@code expected}. */
    private static void await(String what, long expected, Callable<Long> value) throws Exception {
        long until = System.nanoTime() + 20_000_000_000L;
        long v = value.call();
        while (v != expected && System.nanoTime() < until) {
            Thread.sleep(10);
            v = value.call();
        }
        assertEquals(expected, v, what);
    }

    @Test
    void aPoolGrowsToItsTargetInTheBackgroundAndTrimsToZeroThenStartsCold() throws Exception {
        try (Engine engine = Engine.start(2); ShellPool pool = engine.open(hostile, 0)) {
            await("empty VMs in the reserve", 2, () -> (long) engine.reservedVms());
            long before = OpenVms.shells(engine);
            pool.bounds(0, 8);
            pool.scaleTo(4);
            await("shells after scaleTo(4)", 4, () -> (long) pool.stats().shells());
            await("idle shells after scaleTo(4)", 4, () -> (long) pool.stats().idle());
            await("VMs after scaleTo(4)", before + 4, () -> OpenVms.shells(engine));
            assertTrue(ok(pool).timings().warm(), "a shell created in the background serves warm");
            assertEquals(0, pool.stats().coldStarts());

            pool.scaleTo(0);
            await("shells after scaleTo(0)", 0, () -> (long) pool.stats().shells());
            await("VMs after scaleTo(0)", before, () -> OpenVms.shells(engine));
            await("the snapshot unmapped with its last shell", 0, () -> pool.snapshot().mapped() ? 1L : 0L);

            Result cold = ok(pool);
            assertFalse(cold.timings().warm(), "no shell was idle: the VM was created for this call");
            await("the snapshot mapped again for the shell's first reset", 1, () -> pool.snapshot().mapped() ? 1L : 0L);
            // The four trimmed shells' VMs went back to the reserve (recycled), not closed.
            assertTrue(engine.recycledVms() >= 4, "recycled VMs: " + engine.recycledVms());
            await("the reserve holds a VM per runner after the cold start", 1, () -> engine.reservedVms() >= 2 ? 1L : 0L);
            assertEquals(1, pool.stats().coldStarts());
            assertTrue(ok(pool).timings().warm(), "the shell a cold start created is kept for the next call");
        }
    }

    @Test
    void theMemoryBudgetHoldsOverTwoThousandFunctions() throws Exception {
        int functions = 2000;
        int shellsInBudget = 40;
        try (Engine engine = Engine.start(2)) {
            await("empty VMs in the reserve", 2, () -> (long) engine.reservedVms());
            long before = OpenVms.shells(engine);
            List<ShellPool> pools = new ArrayList<>();
            for (int i = 0; i < functions; i++) {
                pools.add(engine.open(hostile)); // each its own pool, as distinct functions are
            }
            long budget = shellsInBudget * pools.getFirst().shellBytes() + shellsInBudget * 64L * 1024; // room for written pages
            engine.shellMemoryBudget(budget);
            for (ShellPool pool : pools) {
                ok(pool);
                assertTrue(engine.shellMemory() <= budget + 2 * pool.shellBytes() + 2 * 64L * 1024,
                        "shell memory " + engine.shellMemory() + " beyond the budget " + budget + " (and a shell per runner)");
            }
            // Every shell is idle again now: the estimate is within the budget, and so are the real VMs.
            await("shell memory within the budget", 1, () -> engine.shellMemory() <= budget ? 1L : 0L);
            long evictions = 0;
            long shells = 0;
            for (ShellPool pool : pools) {
                evictions += pool.stats().evictions();
                shells += pool.stats().shells();
            }
            long fit = budget / pools.getFirst().shellBytes(); // shells that keep no written page
            assertTrue(shells <= fit && shells >= shellsInBudget / 2, shells + " shells kept in a budget for " + fit);
            assertTrue(evictions >= functions - fit, "evictions: " + evictions);
            long kept = shells;
            await("VMs open", before + kept, () -> OpenVms.shells(engine));
            // An evicted function keeps no mapping of its snapshot (creating a VM costs time linear in them).
            await("snapshots mapped beyond the functions with shells", 0,
                    () -> pools.stream().filter(p -> p.snapshot().mapped() && p.stats().shells() == 0).count());

            // The least recently used went first: the first function's shell is gone, its
            // next call a cold start (not an error); the last one's is still warm.
            assertEquals(0, pools.getFirst().stats().shells());
            assertFalse(ok(pools.getFirst()).timings().warm(), "the first function's shell was evicted");
            assertTrue(ok(pools.getLast()).timings().warm(), "the most recently used function kept its shell");
            for (ShellPool pool : pools) {
                pool.close();
            }
        }
    }
}
