package dev.thaw.snapshotter;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.thaw.invoker.Engine;
import dev.thaw.invoker.EngineBusyException;
import dev.thaw.invoker.Limits;
import dev.thaw.invoker.Result;
import dev.thaw.invoker.Result.Status;
import dev.thaw.invoker.ShellPool;
import dev.thaw.invoker.testing.KvmTest;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * How the engine shares its runners: time slices, deadlines counted from admission, bounded
 * queues, and runners that survive whatever one invocation does to the host. Each test has
 * an engine of its own; the guests are the hostile test program ("loop" spins, "ok" prints ok).
 */
@KvmTest
@Timeout(120) // a regression here hangs (a dead runner, a close that waits): fail instead
class EngineSchedulingTest {
    private static final Limits SHORT = new Limits(Duration.ofSeconds(5), 1024);
    private static Path hostile;

    @BeforeAll
    static void build() throws Exception {
        hostile = TestSnapshots.build("unikernel-base/tests/hostile").directory();
    }

    private static CompletableFuture<Result> submit(ShellPool pool, String input, Limits limits) {
        return pool.submit(input.getBytes(UTF_8), limits);
    }

    private static Result await(CompletableFuture<Result> f) throws Exception {
        return f.get(30, TimeUnit.SECONDS);
    }

    private static long ms(long nanos) {
        return nanos / 1_000_000;
    }

    @Test
    void aShortInvocationKeepsItsLatencyBesideSpinningOnes() throws Exception {
        try (Engine engine = Engine.start(2); ShellPool pool = engine.open(hostile)) {
            Limits spin = new Limits(Duration.ofSeconds(2), 1024);
            List<CompletableFuture<Result>> spinners = new ArrayList<>();
            for (int i = 0; i < 8; i++) {
                spinners.add(submit(pool, "loop", spin));
            }
            Thread.sleep(100); // four spinners per runner, taking turns
            List<Long> latencies = new ArrayList<>();
            for (int i = 0; i < 20; i++) {
                long t = System.nanoTime();
                Result r = await(submit(pool, "ok", SHORT));
                latencies.add(ms(System.nanoTime() - t));
                assertTrue(r.ok(), r::toString);
            }
            Collections.sort(latencies);
            // Run to completion, each would wait for the spinners ahead of it: 2 s at least.
            assertTrue(latencies.get(10) < 200, "median latency beside spinners " + latencies + " ms");
            assertTrue(latencies.get(19) < 1000, "latencies beside spinners " + latencies + " ms");
            for (CompletableFuture<Result> f : spinners) {
                Result r = await(f);
                assertEquals(Status.TIMEOUT, r.status(), r::toString);
                assertTrue(ms(r.timings().totalNanos()) < 3000, "a spinner ended long after its deadline: " + r);
                assertTrue(r.timings().runNanos() < r.timings().totalNanos() * 3 / 4,
                        "a spinner was not preempted for the others: " + r);
            }
        }
    }

    @Test
    void anInvocationQueuedBehindOthersPastItsTimeoutEndsAsTimeoutWithoutRunning() throws Exception {
        try (Engine engine = Engine.start(1); ShellPool pool = engine.open(hostile)) {
            List<CompletableFuture<Result>> spinners = new ArrayList<>();
            for (int i = 0; i < 60; i++) { // each runs a whole time slice (5 ms) before the next starts
                spinners.add(submit(pool, "loop", new Limits(Duration.ofSeconds(1), 1024)));
            }
            Result late = await(submit(pool, "ok", new Limits(Duration.ofMillis(100), 1024)));
            assertEquals(Status.TIMEOUT, late.status(), late::toString);
            assertTrue(late.error().startsWith("waited "), late.error());
            assertTrue(late.error().endsWith(" ms for a free runner and reached its timeout of 100 ms before it "
                    + "could start; it did not run"), late.error());
            assertEquals(0, late.timings().runNanos());
            assertEquals(0, late.timings().exits());
            assertTrue(ms(late.timings().totalNanos()) >= 100, late::toString);
            for (CompletableFuture<Result> f : spinners) {
                assertEquals(Status.TIMEOUT, await(f).status());
            }
            assertTrue(await(submit(pool, "ok", SHORT)).ok());
        }
    }

    @Test
    void theDeadlineACallerPassesCountsAndIsReportedAsTheTimeBudget() throws Exception {
        try (Engine engine = Engine.start(1); ShellPool pool = engine.open(hostile)) {
            Result expired = await(pool.submit("ok".getBytes(UTF_8), SHORT, System.nanoTime() - 1));
            assertEquals(Status.TIMEOUT, expired.status(), expired::toString);
            assertTrue(expired.error().contains("reached its time budget of 0 ms (timeout 5000 ms) before it could start"),
                    expired.error());
            long start = System.nanoTime();
            Result spun = await(pool.submit("loop".getBytes(UTF_8), SHORT, start + 200_000_000L));
            assertEquals(Status.TIMEOUT, spun.status(), spun::toString);
            assertTrue(spun.error().matches("did not finish within the 1?\\d\\d ms left of its time budget "
                    + "\\(timeout 5000 ms\\) and was stopped"), spun.error());
            assertTrue(ms(System.nanoTime() - start) < 1000, "stopped after " + ms(System.nanoTime() - start) + " ms");
        }
    }

    @Test
    void aFullRunnerQueueRefusesAtOnceAndServesAgainOnceItDrains() throws Exception {
        try (Engine engine = Engine.start(1, 4); ShellPool pool = engine.open(hostile)) {
            List<CompletableFuture<Result>> accepted = new ArrayList<>();
            EngineBusyException busy = null;
            Limits spin = new Limits(Duration.ofMillis(500), 1024);
            long start = System.nanoTime();
            for (int i = 0; i < 100 && busy == null; i++) {
                try {
                    accepted.add(submit(pool, "loop", spin));
                } catch (EngineBusyException e) {
                    busy = e;
                }
            }
            long refusedAfterMs = ms(System.nanoTime() - start);
            // A runner starts at most one spinner per 5 ms time slice, so a quick loop fills its queue.
            assertTrue(busy != null, accepted.size() + " invocations queued without a refusal");
            assertEquals("the engine is busy: its runner has 4 invocations waiting; try again later", busy.getMessage());
            assertTrue(refusedAfterMs < 1000, "refused only after " + refusedAfterMs + " ms");
            for (CompletableFuture<Result> f : accepted) {
                assertEquals(Status.TIMEOUT, await(f).status());
            }
            assertTrue(await(submit(pool, "ok", SHORT)).ok());
        }
    }

    @Test
    void closingThePoolEndsItsInvocationsQueuedOrPreempted() throws Exception {
        Engine engine = Engine.start(1);
        try {
            ShellPool pool = engine.open(hostile);
            List<CompletableFuture<Result>> spinners = new ArrayList<>();
            for (int i = 0; i < 4; i++) {
                spinners.add(submit(pool, "loop", new Limits(Duration.ofMinutes(10), 1024)));
            }
            Thread.sleep(50);
            long start = System.nanoTime();
            pool.close();
            assertTrue(ms(System.nanoTime() - start) < 2000, "closing took " + ms(System.nanoTime() - start) + " ms");
            for (CompletableFuture<Result> f : spinners) {
                Throwable e = assertThrows(ExecutionException.class, () -> f.get(5, TimeUnit.SECONDS)).getCause();
                assertTrue(e.getMessage().contains("was closed"), e.getMessage());
            }
        } finally {
            engine.close();
        }
    }

    @Test
    void aRunnerThatRunsOutOfMemoryFailsThatInvocationAndServesOn() throws Exception {
        Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--enable-native-access=ALL-UNNAMED", "-Xmx64m", "-cp", System.getProperty("java.class.path"),
                SmallHeapEngine.class.getName(), hostile.toString())
                .redirectErrorStream(true).start();
        boolean exited = p.waitFor(100, TimeUnit.SECONDS); // four lines of output: the pipe never fills
        if (!exited) {
            p.destroyForcibly().waitFor();
        }
        String out = new String(p.getInputStream().readAllBytes(), UTF_8);
        assertTrue(exited, "the engine hung (an invocation never answered, or closing waited for a dead runner): " + out);
        assertEquals(List.of(
                "flood -> failed: the invocation failed on the host (java.lang.OutOfMemoryError: Java heap space); "
                        + "its VM was discarded",
                "ok -> EXITED ok", "ok -> EXITED ok", "ok -> EXITED ok"), out.lines().toList(), out);
        assertEquals(0, p.exitValue(), out);
    }
}
