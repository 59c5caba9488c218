package dev.thaw.invoker.service;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.thaw.invoker.Engine;
import dev.thaw.invoker.testing.KvmTest;
import dev.thaw.invoker.testing.OpenVms;
import dev.thaw.protocol.BuildOutcome;
import dev.thaw.protocol.Bundle;
import dev.thaw.protocol.InvocationResult;
import dev.thaw.registry.FunctionVersion;
import dev.thaw.registry.LocalFunctionRegistry;
import dev.thaw.snapshotter.SnapshotStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Warm shells that follow demand, on a real engine: scale to zero after the idle timeout and
 * a cold (flagged) start after it, min_warm kept through idleness, and a burst of callers
 * that grows the pool. The host samples demand every 100 ms over windows of 2 s (stable) and
 * 1 s (panic) instead of Knative's 60 s and 6 s, so that a test takes seconds.
 */
@KvmTest
@Timeout(180)
class PoolScalingTest {
    /** Spins for the number of loop iterations its input names, then prints it. */
    private static final String SPINNER = "#include <stdio.h>\n#include <stdlib.h>\n"
            + "int main(void){char b[32]={0};fread(b,1,31,stdin);unsigned long k=strtoul(b,0,10);"
            + "volatile unsigned long n=0;for(unsigned long i=0;i<k;i++)n++;printf(\"%lu\\n\",(unsigned long)n);return 0;}\n";

    @TempDir
    Path dir;

    private Engine engine;
    private LocalFunctionRegistry registry;
    private FunctionHost host;

    @BeforeEach
    void start() throws Exception {
        engine = Engine.start(2);
        registry = new LocalFunctionRegistry(dir.resolve("registry"));
        host = new FunctionHost(engine, new SnapshotStore(dir.resolve("snapshots")), registry, dir.resolve("work"),
                Duration.ofMillis(100), Duration.ofSeconds(2), Duration.ofSeconds(1));
    }

    @AfterEach
    void stop() {
        host.close();
        engine.close();
    }

    private FunctionVersion deploy(String name, String manifestMembers) throws Exception {
        Path src = Files.createDirectories(dir.resolve("src-" + name));
        Files.writeString(src.resolve("function.json"), "{\"name\": \"" + name + "\", \"memory_mb\": 16" + manifestMembers + "}");
        Files.writeString(src.resolve("main.c"), SPINNER);
        byte[] bundle = Bundle.pack(src).bytes();
        BuildOutcome built = host.build(name, bundle);
        return registry.deploy(name, built.manifestJson(), bundle);
    }

    private InvocationResult call(FunctionVersion v, long spins) {
        InvocationResult r = host.invoke(v, Long.toString(spins).getBytes(UTF_8)).join();
        assertTrue(r.ok(), r.toString());
        assertEquals(spins + "\n", r.stdoutText());
        return r;
    }

    /** Waits up to 20 s (a busy machine) until {@code value} is {@code expected}. */
    private static void await(String what, long expected, Callable<Long> value) throws Exception {
        long until = System.nanoTime() + 20_000_000_000L;
        long v = value.call();
        while (v != expected && System.nanoTime() < until) {
            Thread.sleep(20);
            v = value.call();
        }
        assertEquals(expected, v, what);
    }

    @Test
    void anIdleFunctionScalesToZeroAndItsNextCallIsAFlaggedColdStart() throws Exception {
        await("empty VMs in the reserve", 2, () -> (long) engine.reservedVms());
        long before = OpenVms.shells(engine);
        FunctionVersion v = deploy("idler", ", \"idle_timeout_s\": 1");
        assertEquals(1, host.pool("idler").shells(), "a deploy warms one shell for the first call");
        assertTrue(call(v, 0).timings().warm(), "the first call after the deploy is warm");

        await("warm shells after the idle timeout", 0, () -> (long) host.pool("idler").shells());
        await("VMs after the idle timeout", before, () -> OpenVms.shells(engine));
        await("pools sized after the idle timeout", 0, () -> (long) host.activePools());

        InvocationResult cold = call(v, 0);
        assertFalse(cold.timings().warm(), "the call after scaling to zero created its VM: cold");
        assertEquals(1, host.pool("idler").coldStarts());
        assertTrue(call(v, 0).timings().warm(), "the next call finds the shell the cold start left");
        assertEquals(1, host.pool("idler").coldStarts());
        assertEquals(1, host.activePools(), "sized again from its first call");
    }

    @Test
    void minWarmKeepsShellsThroughIdleness() throws Exception {
        FunctionVersion v = deploy("kept", ", \"idle_timeout_s\": 1, \"min_warm\": 2");
        assertEquals(2, host.pool("kept").shells(), "min_warm shells from the deploy");
        call(v, 0);
        Thread.sleep(3000); // three idle timeouts and 30 decisions
        assertEquals(2, host.pool("kept").shells(), "min_warm shells after idling");
        assertTrue(call(v, 0).timings().warm());
        assertEquals(0, host.pool("kept").coldStarts());
    }

    @Test
    void aBurstFromOneToFiftyCallersGrowsTheWarmShellsAndSettles() throws Exception {
        FunctionVersion v = deploy("bursty", ", \"idle_timeout_s\": 1");
        long spins = 2_000_000; // a few ms: runners time-slice between invocations, each holding a shell
        for (int i = 0; i < 20; i++) {
            call(v, spins); // one caller at a time
        }
        int oneCaller = host.pool("bursty").shells();
        assertTrue(oneCaller <= 2, "one caller at a time needs one shell, got " + oneCaller);

        int callers = 50;
        long burstNanos = Duration.ofSeconds(4).toNanos();
        long start = System.nanoTime();
        List<long[]> calls = Collections.synchronizedList(new ArrayList<>()); // {start offset, latency, cold}
        try (ExecutorService pool = Executors.newFixedThreadPool(callers)) {
            List<Future<?>> done = new ArrayList<>();
            for (int c = 0; c < callers; c++) {
                done.add(pool.submit(() -> {
                    while (System.nanoTime() - start < burstNanos) {
                        long t = System.nanoTime();
                        InvocationResult r = call(v, spins);
                        calls.add(new long[] {t - start, System.nanoTime() - t, r.timings().warm() ? 0 : 1});
                    }
                    return null;
                }));
            }
            for (Future<?> f : done) {
                f.get();
            }
        }
        int grown = host.pool("bursty").shells();
        assertTrue(grown >= 10, "50 callers kept only " + grown + " warm shells");

        // Cold starts happen while the pool grows; in the second half most calls find a warm shell.
        long half = burstNanos / 2;
        long[] firstHalf = stats(calls, c -> c[0] < half);
        long[] secondHalf = stats(calls, c -> c[0] >= half);
        String summary = "first half: " + firstHalf[0] + " calls, " + firstHalf[1] + " cold, p99 " + firstHalf[2] / 1000
                + " us; second half: " + secondHalf[0] + " calls, " + secondHalf[1] + " cold, p99 " + secondHalf[2] / 1000 + " us";
        System.out.println("burst: " + summary + "; warm shells " + oneCaller + " -> " + grown);
        assertTrue(firstHalf[1] > 0, "growing needs cold starts: " + summary);
        assertTrue(secondHalf[1] * 10 <= secondHalf[0], "more than 1 in 10 calls cold once grown: " + summary);

        // Demand gone: after the stable window and the idle timeout, no shell is left.
        await("warm shells after the burst", 0, () -> (long) host.pool("bursty").shells());
    }

    /** Calls, cold calls and the p99 latency (ns) of the calls that {@code which} selects. */
    private static long[] stats(List<long[]> calls, java.util.function.Predicate<long[]> which) {
        List<long[]> chosen;
        synchronized (calls) {
            chosen = calls.stream().filter(which).toList();
        }
        long cold = chosen.stream().filter(c -> c[2] == 1).count();
        long[] latencies = chosen.stream().mapToLong(c -> c[1]).sorted().toArray();
        long p99 = latencies.length == 0 ? 0 : latencies[Math.min(latencies.length - 1, (int) (latencies.length * 0.99))];
        return new long[] {chosen.size(), cold, p99};
    }
}
