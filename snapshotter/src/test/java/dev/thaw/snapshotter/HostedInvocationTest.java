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
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Invocations run on the I/O thread that submits them (Engine.hostInvocations), as an event
 * loop of the gateway or the invoker does: a short function's result is there when submit
 * returns; a guest that outruns its slice does not hold the thread; closing works from
 * elsewhere.
 */
@KvmTest
@Timeout(120)
class HostedInvocationTest {
    private static final Limits LIMITS = new Limits(Duration.ofSeconds(5), 1 << 20);

    private Engine engine;
    private ShellPool pool;
    private ExecutorService loop; // stands for an event loop: one platform thread running tasks in order

    @BeforeEach
    void start() throws Exception {
        Path snapshot = TestSnapshots.build("unikernel-base/tests/hostile").directory();
        engine = Engine.start(1);
        pool = engine.open(snapshot);
        loop = Executors.newSingleThreadExecutor(r -> Thread.ofPlatform().name("test-event-loop").unstarted(r));
        onLoop(() -> engine.hostInvocations(loop));
    }

    @AfterEach
    void stop() throws Exception {
        pool.close();
        engine.close();
        loop.shutdown();
        assertTrue(loop.awaitTermination(10, TimeUnit.SECONDS));
    }

    private <T> T onLoop(java.util.concurrent.Callable<T> task) throws Exception {
        return loop.submit(task).get(30, TimeUnit.SECONDS);
    }

    private void onLoop(Runnable task) throws Exception {
        loop.submit(task).get(30, TimeUnit.SECONDS);
    }

    /**
     * Submits from the loop; returns whether it ran there (counted by the engine, and complete
     * when submit returned: a runner can also finish one before the loop looks), and the result.
     */
    private record Submitted(boolean doneAtOnce, Result result) {}

    private Submitted submitOnLoop(String input, Limits limits) throws Exception {
        CompletableFuture<Result>[] f = new CompletableFuture[1];
        boolean done = onLoop(() -> {
            long ranOnLoops = engine.invocationsRunOnCallers();
            f[0] = pool.submit(input.getBytes(UTF_8), limits);
            return f[0].isDone() && engine.invocationsRunOnCallers() > ranOnLoops;
        });
        return new Submitted(done, f[0].get(30, TimeUnit.SECONDS));
    }

    /**
     * Invokes from the loop until an invocation runs there: enough short runs in a row that
     * the function counts as short, then the loop's own shell made (on a loaded machine a run
     * may come out long and start the count again, hence the loop).
     */
    private void makeShort() throws Exception {
        for (int i = 0; i < 500; i++) {
            Submitted s = submitOnLoop("ok", LIMITS);
            assertEquals("ok\n", s.result().stdoutText(), s.result()::toString);
            if (s.doneAtOnce()) {
                return;
            }
        }
        throw new AssertionError("500 short invocations from the loop and none ran there");
    }

    @Test
    void aShortFunctionsResultIsCompleteWhenSubmitReturnsOnTheLoop() throws Exception {
        Submitted first = submitOnLoop("ok", LIMITS);
        assertFalse(first.doneAtOnce(), "a function not yet known to be short goes to a runner thread");
        makeShort();
        int here = 0;
        for (int i = 0; i < 50; i++) {
            Submitted s = submitOnLoop("ok", LIMITS);
            here += s.doneAtOnce() ? 1 : 0;
            assertTrue(s.result().ok(), s.result()::toString);
            assertEquals("ok\n", s.result().stdoutText());
            assertTrue(s.result().timings().warm());
        }
        // A run slowed down by a loaded machine may send a few to the runners for a while.
        assertTrue(here >= 25, "only " + here + " of 50 invocations ran on the submitting thread");
        // From a thread that hosts no runner, the same function still goes to the runners.
        CompletableFuture<Result> elsewhere = pool.submit("ok".getBytes(UTF_8), LIMITS);
        assertEquals("ok\n", elsewhere.get(30, TimeUnit.SECONDS).stdoutText());
    }

    @Test
    void aGuestThatOutrunsItsSliceDoesNotHoldTheLoopAndStillMeetsItsDeadline() throws Exception {
        CompletableFuture<Result>[] f = new CompletableFuture[1];
        long start;
        for (int attempt = 1; ; attempt++) {
            makeShort();
            long ranOnLoops = engine.invocationsRunOnCallers();
            start = System.nanoTime();
            boolean done = onLoop(() -> {
                f[0] = pool.submit("loop".getBytes(UTF_8), new Limits(Duration.ofMillis(400), 1 << 20));
                return f[0].isDone();
            });
            assertFalse(done, "a looping guest ran to its deadline on the loop in one go");
            if (engine.invocationsRunOnCallers() > ranOnLoops) {
                break; // it started on the loop, as this test needs
            }
            // A run slowed down by a loaded machine made the function long for a moment, and
            // the looping guest went to a runner: let it time out there and try again.
            assertEquals(Result.Status.TIMEOUT, f[0].get(30, TimeUnit.SECONDS).status());
            assertTrue(attempt < 5, "in 5 attempts the looping guest never started on the loop");
        }
        // The loop serves other work while the guest waits for its next slice.
        long served = System.nanoTime();
        onLoop(() -> { });
        long waitedMs = (System.nanoTime() - served) / 1_000_000;
        assertTrue(waitedMs < 200, "the loop took " + waitedMs + " ms to run a task while a guest looped on it");
        Result r = f[0].get(30, TimeUnit.SECONDS);
        long tookMs = (System.nanoTime() - start) / 1_000_000;
        assertEquals(Result.Status.TIMEOUT, r.status(), r::toString);
        assertTrue(tookMs < 2_000, "the 400 ms deadline ended the guest after " + tookMs + " ms");
        // The loop's shell went with the timed-out guest: the next invocation goes to a runner, and answers.
        Submitted after = submitOnLoop("ok", LIMITS);
        assertFalse(after.doneAtOnce());
        assertEquals("ok\n", after.result().stdoutText());
    }

    @Test
    void closingThePoolFromAnotherThreadClosesTheLoopsShells() throws Exception {
        makeShort(); // it returns once an invocation ran on the loop, which therefore holds a shell
        assertTrue(pool.stats().shells() >= 2, "the runner's shell and the loop's");
        pool.close();
        assertEquals(0, pool.stats().shells(), "shells left open after close");
        assertEquals(0, pool.stats().idle());
    }
}
