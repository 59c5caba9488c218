package dev.thaw.snapshotter;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.thaw.invoker.DedicatedShell;
import dev.thaw.invoker.Engine;
import dev.thaw.invoker.Limits;
import dev.thaw.invoker.Result;
import dev.thaw.invoker.ShellPool;
import dev.thaw.invoker.testing.KvmTest;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Nothing one invocation leaves in its VM (registers of any width, protection keys, memory)
 * reaches the next invocation on the same warm shell, nor the next function whose cold start
 * gets the VM back from the reserve.
 */
@KvmTest
class InvocationIsolationTest {
    private static final Limits LIMITS = new Limits(Duration.ofSeconds(5), 1 << 20);

    /** Every invocation of a test runs on one and the same shell, reset in between. */
    private static Result run(DedicatedShell shell, String input) {
        return shell.invoke(input.getBytes(UTF_8), LIMITS);
    }

    /** "name: value" lines of the vector-state guest. */
    private static Map<String, String> report(Result r) {
        assertTrue(r.ok(), () -> r + " " + r.error());
        Map<String, String> lines = new LinkedHashMap<>();
        for (String line : r.stdoutText().split("\n")) {
            int colon = line.indexOf(':');
            lines.put(line.substring(0, colon), line.substring(colon + 1).strip());
        }
        return lines;
    }

    private static boolean hostCpuHas(String flag) throws Exception {
        return Files.readAllLines(Path.of("/proc/cpuinfo")).stream()
                .filter(l -> l.startsWith("flags"))
                .anyMatch(l -> Arrays.asList(l.substring(l.indexOf(':') + 1).trim().split(" ")).contains(flag));
    }

    @Test
    void vectorRegistersMaskRegistersAndProtectionKeysStartFromTheSnapshotOnAWarmShell() throws Exception {
        try (ShellPool pool = TestSnapshots.open("unikernel-base/tests/vector-state");
             DedicatedShell shell = pool.dedicatedShell()) {
            Map<String, String> first = report(run(shell, ""));
            assertEquals("none", first.get("leaked"), first.toString());
            String tested = first.get("tested");
            if (hostCpuHas("avx")) {
                assertTrue(tested.contains("avx"), "the guest could not use AVX on an AVX host: " + tested);
            }
            if (hostCpuHas("avx512f")) {
                assertTrue(tested.contains("avx512"), "the guest could not use AVX-512 on an AVX-512 host: " + tested);
            }
            for (int i = 0; i < 5; i++) {
                Result r = run(shell, "");
                assertTrue(r.timings().warm(), "not on a warm shell: " + r);
                Map<String, String> next = report(r);
                assertEquals("none", next.get("leaked"), "invocation " + (i + 2) + " found what the one before "
                        + "left behind (" + tested + " tested): " + next);
                assertEquals(first, next, "invocation " + (i + 2) + " saw other extended state than the first");
            }
        }
    }

    /**
     * Pages written by invocation after invocation are kept writable (no write-protection
     * fault each time) and copied back at every reset, written or not: what the writers left
     * there must not reach an invocation that only reads them, nor a writer after it.
     */
    @Test
    void pagesEveryInvocationWritesAreRestoredForAnInvocationThatOnlyReadsThem() throws Exception {
        try (ShellPool pool = TestSnapshots.open("unikernel-base/tests/isolation");
             DedicatedShell shell = pool.dedicatedShell()) {
            String snapshotState = run(shell, "read").stdoutText();
            assertTrue(snapshotState.startsWith("bss=0 data=7 heap=0 "), snapshotState);
            int readerPages = run(shell, "read").timings().dirtyPages();
            for (int round = 0; round < 3; round++) {
                for (int i = 0; i < 4; i++) {
                    Result writer = run(shell, "write");
                    assertEquals(snapshotState, writer.stdoutText(), "writer " + i + " of round " + round);
                }
                Result reader = run(shell, "read");
                assertEquals(snapshotState, reader.stdoutText(), "the reader of round " + round
                        + " saw what the writers left on the pages they kept writing");
                assertTrue(reader.timings().dirtyPages() > readerPages, "the writers' pages were not kept writable "
                        + "(the reader's reset restored " + reader.timings().dirtyPages() + " pages, a reader alone "
                        + readerPages + "): this test did not exercise them");
            }
        }
    }

    @Test
    void anInvocationThatWroteMorePagesThanTheResetCopiesBackLeavesNothingBehind() throws Exception {
        try (ShellPool pool = TestSnapshots.open("unikernel-base/tests/dirty-pages");
             DedicatedShell shell = pool.dedicatedShell()) {
            for (int i = 0; i < 4; i++) {
                Result r = run(shell, "");
                assertTrue(r.ok(), r::toString);
                assertEquals("written=0 counter=7 heap=0\n", r.stdoutText(), "invocation " + (i + 1));
                assertTrue(r.timings().dirtyPages() > 1024, "only " + r.timings().dirtyPages() + " pages dirtied: "
                        + "the pages past the copy-back limit were not exercised");
            }
        }
    }

    @Test
    void aGuestThatLocksItselfOutWithProtectionKeysLeavesTheNextInvocationWorking() throws Exception {
        try (ShellPool pool = TestSnapshots.open("unikernel-base/tests/vector-state");
             DedicatedShell shell = pool.dedicatedShell()) {
            Map<String, String> before = report(run(shell, ""));
            Result locked = run(shell, "lock-pkru");
            assertTrue(locked.ok(), locked::toString);
            Result next = run(shell, "");
            assertTrue(next.timings().warm(), "not on the warm shell the lock-out ran on: " + next);
            assertEquals(before, report(next));
        }
    }

    /**
     * A retired shell's VM serves the next cold start of another function on its runner
     * ({@code Shell.recycle}): that function must find nothing of the first one, in memory or
     * in registers. Two pools of one snapshot are two functions to the engine; each keeps no
     * shell (max 0), so every call is a cold start and every shell is retired after it.
     */
    @Test
    void aVmRecycledFromAnotherFunctionsShellShowsItNothingOfThatFunction() throws Exception {
        Path dirty = TestSnapshots.build("unikernel-base/tests/dirty-pages").directory();
        Path vector = TestSnapshots.build("unikernel-base/tests/vector-state").directory();
        try (Engine engine = Engine.start(1)) {
            try (ShellPool writer = engine.open(dirty, 0); ShellPool reader = engine.open(dirty, 0)) {
                for (int i = 0; i < 3; i++) {
                    long reused = engine.reusedVms();
                    Result wrote = writer.invoke("w".getBytes(UTF_8), LIMITS);
                    assertEquals("written=0 counter=7 heap=0\n", wrote.stdoutText(), wrote::toString);
                    awaitRecycled(engine, 2 * i + 1);
                    Result read = reader.invoke("r".getBytes(UTF_8), LIMITS);
                    assertFalse(read.timings().warm());
                    assertEquals("written=0 counter=7 heap=0\n", read.stdoutText(),
                            "the VM the other function wrote 6 MiB in leaked them: " + read);
                    assertTrue(engine.reusedVms() > reused, "no cold start ran in a recycled VM");
                    awaitRecycled(engine, 2 * i + 2);
                }
            }
            try (ShellPool first = engine.open(vector, 0); ShellPool second = engine.open(vector, 0)) {
                Map<String, String> fresh = report(first.invoke(new byte[0], LIMITS));
                for (int i = 0; i < 3; i++) {
                    long reused = engine.reusedVms();
                    long recycled = engine.recycledVms();
                    report(first.invoke(new byte[0], LIMITS)); // fills every register with its pattern
                    awaitRecycled(engine, recycled + 1);
                    Map<String, String> next = report(second.invoke(new byte[0], LIMITS));
                    assertEquals("none", next.get("leaked"), "registers of the other function's VM: " + next);
                    assertEquals(fresh, next, "other extended state than in a new VM");
                    assertTrue(engine.reusedVms() > reused, "no cold start ran in a recycled VM");
                }
            }
        }
    }

    private static void awaitRecycled(Engine engine, long expected) throws InterruptedException {
        long until = System.nanoTime() + 20_000_000_000L;
        while (engine.recycledVms() < expected && System.nanoTime() < until) {
            Thread.sleep(2);
        }
        assertTrue(engine.recycledVms() >= expected, "retired shells recycled: " + engine.recycledVms() + " of " + expected);
    }
}
