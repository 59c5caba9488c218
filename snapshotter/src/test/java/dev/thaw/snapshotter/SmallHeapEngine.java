package dev.thaw.snapshotter;

import static java.nio.charset.StandardCharsets.UTF_8;

import dev.thaw.invoker.Engine;
import dev.thaw.invoker.Limits;
import dev.thaw.invoker.Result;
import dev.thaw.invoker.ShellPool;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Run by {@link EngineSchedulingTest} in a JVM of its own with a small heap: one runner, an
 * invocation allowed the largest output that floods it (the host runs out of memory holding
 * it), then small invocations on the same runner. Prints one line per invocation.
 */
public final class SmallHeapEngine {
    private SmallHeapEngine() {}

    public static void main(String[] args) throws Exception {
        try (Engine engine = Engine.start(1); ShellPool pool = engine.open(Path.of(args[0]), 1)) {
            report(pool, "flood", new Limits(Duration.ofSeconds(20), Limits.MAX_OUTPUT_BYTES), 30);
            for (int i = 0; i < 3; i++) {
                report(pool, "ok", new Limits(Duration.ofSeconds(5), 1024), 10);
            }
        }
    }

    private static void report(ShellPool pool, String input, Limits limits, int waitSeconds) throws InterruptedException {
        try {
            Result r = pool.submit(input.getBytes(UTF_8), limits).get(waitSeconds, TimeUnit.SECONDS);
            System.out.println(input + " -> " + r.status() + (r.ok() ? " " + r.stdoutText().strip() : ": " + r.error()));
        } catch (ExecutionException e) {
            System.out.println(input + " -> failed: " + e.getCause().getMessage());
        } catch (TimeoutException e) {
            System.out.println(input + " -> no answer within " + waitSeconds + " s");
        }
    }
}
