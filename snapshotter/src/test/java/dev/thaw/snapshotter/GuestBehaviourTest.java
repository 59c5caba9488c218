package dev.thaw.snapshotter;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.thaw.invoker.Limits;
import dev.thaw.invoker.Result;
import dev.thaw.invoker.ShellPool;
import dev.thaw.invoker.testing.KvmTest;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** What a function sees of the library OS, invocation after invocation of one snapshot. */
@KvmTest
class GuestBehaviourTest {
    private static final Limits LIMITS = new Limits(Duration.ofSeconds(5), 32L << 20);

    private static Result run(ShellPool pool, String input) {
        return pool.invoke(input.getBytes(UTF_8), LIMITS);
    }

    @Test
    void everyInvocationStartsFromTheSnapshotNotFromThePreviousInvocation() throws Exception {
        try (ShellPool pool = TestSnapshots.open("unikernel-base/tests/isolation")) {
            String first = run(pool, "").stdoutText();
            assertTrue(first.startsWith("bss=0 data=7 heap=0 mxcsr=1f80 fcw=37f "), first);
            for (int i = 0; i < 50; i++) {
                Result r = run(pool, "");
                assertTrue(r.ok(), r::toString);
                assertEquals(first, r.stdoutText(), "invocation " + i + " saw what an earlier one left behind");
            }
        }
    }

    @Test
    void randomBytesDifferBetweenInvocationsOfOneSnapshot() throws Exception {
        try (ShellPool pool = TestSnapshots.open("unikernel-base/tests/random")) {
            Set<String> seen = new HashSet<>();
            for (int i = 0; i < 200; i++) {
                String hex = run(pool, "").stdoutText().strip();
                assertEquals(32, hex.length(), hex);
                assertTrue(seen.add(hex), "getrandom repeated " + hex);
            }
        }
    }

    @Test
    void theClockIsTheHostsAfterEveryResume() throws Exception {
        try (ShellPool pool = TestSnapshots.open("unikernel-base/tests/clock")) {
            for (int i = 0; i < 3; i++) {
                Thread.sleep(300); // the snapshot's own clock would now be stale
                long before = System.currentTimeMillis() * 1_000_000;
                String[] out = run(pool, "").stdoutText().strip().split(" ");
                long after = System.currentTimeMillis() * 1_000_000 + 1_000_000;
                long guest = Long.parseLong(out[0]);
                long slack = 50_000_000;
                assertTrue(guest >= before - slack && guest <= after + slack,
                        "guest clock " + guest + " not within 50 ms of the host's [" + before + ", " + after + "]");
                assertEquals(guest / 1_000_000_000, Long.parseLong(out[1]), 1);
            }
        }
    }

    @Test
    void largeInputAndOutputTravelIntactThroughFlushes() throws Exception {
        try (ShellPool pool = TestSnapshots.open("unikernel-base/tests/echo")) {
            byte[] input = new byte[6 << 20];
            new Random(7).nextBytes(input);
            Result r = pool.invoke(input, LIMITS);
            assertTrue(r.ok(), r::toString);
            assertArrayEquals(input, r.stdout());
            assertEquals("echoed " + input.length + " bytes\n", r.stderrText());
            assertEquals(List.of("echo: " + input.length + " bytes"), r.logs());
            assertTrue(r.timings().exits() > 1, "6 MiB of output cannot fit the arena behind 6 MiB of input");
            Result small = run(pool, "tiny");
            assertEquals("tiny", small.stdoutText());
            assertEquals(1, small.timings().exits());
        }
    }

    @Test
    void aRequestLargerThanTheInputBufferIsRefusedWithoutRunning() throws Exception {
        try (ShellPool pool = TestSnapshots.open("unikernel-base/tests/echo")) {
            Result r = pool.invoke(new byte[9 << 20], LIMITS);
            assertEquals(Result.Status.INPUT_TOO_LARGE, r.status());
            assertTrue(r.error().startsWith("request of 9437184 bytes exceeds the function's input buffer of "), r.error());
            assertEquals("next", run(pool, "next").stdoutText());
        }
    }

    @Test
    void argvAndEnvironmentComeFromTheManifest() throws Exception {
        try (ShellPool pool = TestSnapshots.open("unikernel-base/tests/env")) {
            assertEquals("argv0=env GREETING=hej EMPTY=[] HOME=(unset)\n", run(pool, "").stdoutText());
        }
    }

    @Test
    void mallocCallocReallocAndMmapBehave() throws Exception {
        try (ShellPool pool = TestSnapshots.open("unikernel-base/tests/memory")) {
            Result first = run(pool, "");
            assertTrue(first.ok() && first.stdoutText().startsWith("ok "), first + " " + first.stdoutText());
            assertEquals(first.stdoutText(), run(pool, "").stdoutText());
        }
    }

    @Test
    void aFunctionThatNeverReadsStdinIsSnapshottedAtItsFirstContactWithTheWorld() throws Exception {
        try (ShellPool pool = TestSnapshots.open("unikernel-base/tests/no-input")) {
            for (int i = 0; i < 3; i++) {
                Result r = run(pool, "ignored");
                assertEquals(Result.Status.EXITED, r.status());
                assertEquals(3, r.exitCode());
                assertEquals("no input needed\n", r.stdoutText());
            }
        }
    }

    @Test
    void theStandardStreamsWorkFromTheArenaAndExitFlushesThem() throws Exception {
        try (ShellPool pool = TestSnapshots.open("unikernel-base/tests/stdio")) {
            String lines = "0123456" + "89\n";
            String expected = "first=line one sum=60 same=1\n" + lines.repeat(40) + "frames=1\n"
                    + "left in the buffer at exit" + "atexit ran\n" + "destructor ran\n";
            for (int i = 0; i < 3; i++) { // the same from the snapshot every time
                Result r = run(pool, "line one\n10 20\n30\n");
                assertTrue(r.ok(), r::toString);
                assertEquals(expected, r.stdoutText());
                assertEquals("err:unbuffered\n", r.stderrText());
            }
        }
    }

    /** Everything hello writes (its stack, stdio's state, the request and the output) is on one page. */
    @Test
    void helloDirtiesOnePagePerInvocation() throws Exception {
        try (ShellPool pool = TestSnapshots.open("functions/hello")) {
            for (int i = 0; i < 5; i++) {
                Result r = run(pool, "Thaw");
                assertEquals("Hello, Thaw!\n", r.stdoutText());
                assertEquals(1, r.timings().dirtyPages(), "pages written by invocation " + i);
            }
        }
    }

    @Test
    void exitStatusAndAbortReachTheCaller() throws Exception {
        try (ShellPool pool = TestSnapshots.open("unikernel-base/tests/hostile")) {
            Result exit3 = run(pool, "exit3");
            assertEquals(Result.Status.EXITED, exit3.status());
            assertEquals(3, exit3.exitCode());
            Result abort = run(pool, "abort");
            assertEquals(Result.Status.EXITED, abort.status());
            assertEquals(134, abort.exitCode());
            assertEquals(6, abort.signal());
            assertEquals("terminated by signal 6 (SIGABRT)", abort.error());
            assertEquals("about to abort\n", abort.stderrText());
        }
    }
}
