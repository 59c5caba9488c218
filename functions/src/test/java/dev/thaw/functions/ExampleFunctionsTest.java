package dev.thaw.functions;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.thaw.invoker.Engine;
import dev.thaw.invoker.Limits;
import dev.thaw.invoker.Result;
import dev.thaw.invoker.ShellPool;
import dev.thaw.invoker.testing.KvmTest;
import dev.thaw.snapshotter.SnapshotBuilder;
import dev.thaw.snapshotter.TestSnapshots;
import java.security.MessageDigest;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;

/** Every example function, built, snapshotted and invoked as a user would. */
@KvmTest
class ExampleFunctionsTest {
    private static Result invoke(String function, String input) throws Exception {
        SnapshotBuilder.Built built = TestSnapshots.build("functions/" + function);
        try (ShellPool pool = TestSnapshots.engine().open(built.directory())) {
            return pool.invoke(input.getBytes(UTF_8), TestSnapshots.limits(built));
        }
    }

    @Test
    void helloGreetsItsInput() throws Exception {
        assertEquals("Hello, Thaw!\n", invoke("hello", "Thaw\n").stdoutText());
        assertEquals("Hello, world!\n", invoke("hello", "").stdoutText());
    }

    @Test
    void jsonTransformSortsKeysAndCounts() throws Exception {
        Result r = invoke("json-transform", "{\"b\": [1, {\"z\": null, \"a\": \"x\"}], \"a\": true}");
        assertTrue(r.ok(), r::toString);
        assertEquals("{\"_stats\":{\"depth\":3,\"members\":4,\"strings\":1},\"a\":true,\"b\":[1,{\"a\":\"x\",\"z\":null}]}\n",
                r.stdoutText());
        Result bad = invoke("json-transform", "{\"a\": }");
        assertEquals(Result.Status.EXITED, bad.status());
        assertEquals(1, bad.exitCode());
        assertEquals("invalid JSON at byte 6: unexpected character\n", bad.stderrText());
    }

    @Test
    void sha256LoopMatchesJava() throws Exception {
        byte[] d = MessageDigest.getInstance("SHA-256").digest("Thaw".getBytes(UTF_8));
        for (int i = 1; i < 5000; i++) {
            d = MessageDigest.getInstance("SHA-256").digest(d);
        }
        assertEquals(HexFormat.of().formatHex(d) + "\n", invoke("sha256-loop", "5000 Thaw").stdoutText());
        assertEquals(2, invoke("sha256-loop", "zero").exitCode());
    }

    @Test
    void misbehaveFailsTheWayItsInputNamesAndOtherwiseEchoes() throws Exception {
        SnapshotBuilder.Built built = TestSnapshots.build("functions/misbehave");
        try (ShellPool pool = TestSnapshots.engine().open(built.directory())) {
            Limits limits = TestSnapshots.limits(built);
            Result spin = pool.invoke("spin".getBytes(UTF_8), limits);
            assertEquals(Result.Status.TIMEOUT, spin.status(), spin::toString);
            assertEquals(4096, limits.maxOutputBytes());
            // The timeout counts time queued: on a busy machine the next call may wait for the
            // stopped shell's replacement, which must not turn a crash into a timeout here.
            Limits patient = new Limits(java.time.Duration.ofSeconds(10), limits.maxOutputBytes());
            Result crash = pool.invoke("crash".getBytes(UTF_8), patient);
            assertEquals(Result.Status.CRASHED, crash.status(), crash::toString);
            Result flood = pool.invoke("flood".getBytes(UTF_8), patient);
            assertEquals(Result.Status.OUTPUT_LIMIT, flood.status(), flood::toString);
            // the same pool still answers a good call after all three
            assertEquals("echo", pool.invoke("echo".getBytes(UTF_8), patient).stdoutText());
        }
    }

    @Test
    void allocTouchWritesEveryPageItAllocates() throws Exception {
        Result r = invoke("alloc-touch", "16");
        assertTrue(r.ok(), r::toString);
        long sum = 0;
        byte[] word = new byte[8];
        for (long i = 0; i < 16L << 20; i += 8) {
            for (int k = 0; k < 8; k++) {
                word[k] = (byte) ((i + k) * 31 + 7);
            }
            sum = sum * 1099511628211L ^ java.nio.ByteBuffer.wrap(word).order(java.nio.ByteOrder.LITTLE_ENDIAN).getLong();
        }
        assertEquals(String.format("touched 16 MiB (4096 pages), checksum %016x%n", sum), r.stdoutText());
        assertTrue(r.timings().dirtyPages() >= 4096, "dirty pages " + r.timings().dirtyPages());
    }

    @Test
    void aThousandSequentialInvocationsOnOneShellAreAllCorrect() throws Exception {
        SnapshotBuilder.Built built = TestSnapshots.build("functions/hello");
        try (Engine engine = Engine.start(1); ShellPool pool = engine.open(built.directory(), 1)) {
            Limits limits = TestSnapshots.limits(built);
            for (int i = 0; i < 1000; i++) {
                Result r = pool.invoke(("caller " + i).getBytes(UTF_8), limits);
                assertEquals("Hello, caller " + i + "!\n", r.stdoutText(), "invocation " + i);
                assertEquals(1, r.timings().exits());
                assertEquals(i > 0, r.timings().warm());
            }
            assertEquals(1, pool.stats().created(), "all 1000 invocations ran on one shell");
            assertEquals(0, pool.stats().discarded());
        }
    }
}
