package dev.thaw.snapshotter;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.thaw.invoker.Limits;
import dev.thaw.invoker.Result;
import dev.thaw.invoker.Result.Status;
import dev.thaw.invoker.ShellPool;
import dev.thaw.invoker.testing.KvmTest;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * A guest that loops, faults, floods or breaks the hypercall ABI ends its own invocation
 * with a clear error; the host and the pool go on serving.
 */
@KvmTest
class HostileGuestTest {
    private static final Limits LIMITS = new Limits(Duration.ofMillis(300), 6L << 20);
    private static ShellPool pool;

    @BeforeAll
    static void open() throws Exception {
        pool = TestSnapshots.open("unikernel-base/tests/hostile");
    }

    @AfterAll
    static void close() {
        pool.close();
    }

    private static Result run(String input) {
        return pool.invoke(input.getBytes(UTF_8), LIMITS);
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', textBlock = """
            badptr    | ABI_VIOLATION | flush hypercall arguments: guest range 0xfffff000+16 is outside guest memory
            badbuf    | ABI_VIOLATION | output records: guest range 0x7ffff000+4096 is outside guest memory
            badrecord | ABI_VIOLATION | claims 1073741824 bytes, 0 remain
            port      | ABI_VIOLATION | unknown hypercall port 0x1234
            in        | ABI_VIOLATION | guest did in of 1 bytes x1 on port 0x7a0
            recv      | ABI_VIOLATION | asked for a request again in the middle of an invocation
            setfs     | ABI_VIOLATION | set_fs hypercall with non-canonical base 0x8000000000000000
            null      | CRASHED       | (null pointer dereference)
            stack     | CRASHED       | (stack overflow)
            text      | CRASHED       | (a write to read-only memory, a jump into data, or an unmapped page)
            hlt       | CRASHED       | hlt, a privileged instruction
            syscall   | CRASHED       | a system call instruction at 0x
            trap      | CRASHED       | ud2 (a trap
            int3      | CRASHED       | an int3 breakpoint at 0x
            int80     | CRASHED       | a 32-bit Linux system call (int $0x80) at 0x
            step      | CRASHED       | a single-step trap (RFLAGS.TF is set)
            status    | ABI_VIOLATION | exit hypercall with status 256; an exit status is 0 to 255
            signal    | ABI_VIOLATION | exit hypercall with signal 65; a signal is 1 to 64, or 0 for none
            flood     | OUTPUT_LIMIT  | wrote more than its output limit of 6291456 bytes
            loop      | TIMEOUT       | ran longer than its timeout of 300 ms and was stopped
            """)
    void misbehaviourEndsTheInvocationWithAClearErrorAndThePoolServesOn(String what, Status status, String message) {
        long discarded = pool.stats().discarded();
        long start = System.nanoTime();
        Result bad = run(what);
        long elapsedMs = (System.nanoTime() - start) / 1_000_000;
        assertEquals(status, bad.status(), bad::toString);
        assertTrue(bad.error().contains(message), "error was: " + bad.error());
        assertTrue(elapsedMs < 2000, "took " + elapsedMs + " ms");
        assertEquals(discarded + 1, pool.stats().discarded(), "the broken shell must be thrown away");
        Result next = run("ok");
        assertTrue(next.ok(), next::toString);
        assertEquals("ok\n", next.stdoutText());
    }

    /** The recv-target guest, with its recv aimed at {@code target}, in a directory of its own. */
    private static Path recvTarget(String target) throws Exception {
        Path dir = Files.createTempDirectory("thaw-recv-target-");
        Files.copy(TestSnapshots.root().resolve("unikernel-base/tests/recv-target/main.c"), dir.resolve("main.c"));
        Files.writeString(dir.resolve("function.json"), """
                {"name": "recv-target", "runtime": "c", "memory_mb": 16, "timeout_ms": 1000, "env": {"TARGET": "%s"}}
                """.formatted(target));
        return dir;
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', textBlock = """
            text          | recv buffer 0x4 | lies on the function's code (page 0x4
            gdt           | recv buffer 0x2000+64 | lies on the GDT (page 0x2000)
            tss           | recv buffer 0x3000+256 | lies on the TSS (page 0x3000)
            page-tables   | recv buffer 0x6000+4096 | lies on the page tables (page 0x6000)
            boot-info     | recv buffer 0x1000+64 | lies on the boot information (page 0x1000)
            rodata-struct | recv struct 0x | lies on read-only memory (page 0x
            """)
    void aRecvTheHostWouldWriteIntoMemoryTheGuestCannotWriteFailsTheBuild(String target, String what, String where)
            throws Exception {
        Path dir = recvTarget(target);
        BuildException e = assertThrows(BuildException.class, () -> TestSnapshots.builder().build(dir));
        assertEquals(BuildException.Stage.BOOT, e.stage(), e::getMessage);
        assertTrue(e.getMessage().startsWith("the function's " + what), e.getMessage());
        assertTrue(e.getMessage().contains(where + ""), e.getMessage());
        assertTrue(e.getMessage().contains("which the guest cannot write"), e.getMessage());
    }

    @Test
    void aRecvBufferInTheFunctionsOwnWritableDataIsAccepted() throws Exception {
        try (ShellPool s = TestSnapshots.engine().open(TestSnapshots.builder().build(recvTarget("bss")).directory())) {
            for (String input : new String[] {"first", "second request"}) {
                Result r = s.invoke(input.getBytes(UTF_8), LIMITS);
                assertTrue(r.ok(), r::toString);
                assertEquals(input, r.stdoutText());
            }
        }
    }

    @Test
    void aFloodOfEmptyLogLinesEndsWithOutputLimitEvenThoughItWritesNoBytes() {
        Result r = pool.invoke("logflood".getBytes(UTF_8), new Limits(Duration.ofSeconds(5), 1 << 20));
        assertEquals(Status.OUTPUT_LIMIT, r.status(), r::toString);
        assertEquals("wrote more than its output limit of 1048576 bytes", r.error());
        assertTrue(r.logs().size() <= 1001, "kept " + r.logs().size() + " log lines");
        assertTrue(run("ok").ok());
    }

    @Test
    void logLinesAreKeptUpToAThousandOfUpTo4KiBEach() {
        Result r = run("loglines");
        assertTrue(r.ok(), r::toString);
        assertEquals(1001, r.logs().size());
        assertEquals("y".repeat(4096) + " [thaw: 5903 more bytes of this line dropped]", r.logs().get(0));
        assertEquals("line 998", r.logs().get(999));
        assertEquals("[thaw: 501 more log lines dropped; at most 1000 are kept per invocation]", r.logs().get(1000));
    }

    @Test
    void aDiscardedShellIsReplacedInTheBackground() throws Exception {
        assertTrue(run("ok").ok());
        long created = pool.stats().created();
        assertEquals(Status.CRASHED, run("null").status());
        long until = System.nanoTime() + 2_000_000_000L;
        while (pool.stats().created() == created && System.nanoTime() < until) {
            Thread.sleep(5);
        }
        assertEquals(created + 1, pool.stats().created(), "no replacement shell was created");
        Result next = run("ok");
        assertTrue(next.ok(), next::toString);
    }

    @Test
    void aClosedShellPoolRefusesWork() throws Exception {
        ShellPool s = TestSnapshots.open("unikernel-base/tests/hostile");
        s.close();
        IllegalStateException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalStateException.class,
                () -> s.invoke("ok".getBytes(UTF_8), LIMITS));
        assertTrue(e.getMessage().contains("is closed"), e.getMessage());
    }

    @Test
    void aTimedOutGuestIsStoppedCloseToItsDeadline() {
        long start = System.nanoTime();
        Result r = pool.invoke("loop".getBytes(UTF_8), new Limits(Duration.ofMillis(100), 1024));
        long ms = (System.nanoTime() - start) / 1_000_000;
        assertEquals(Status.TIMEOUT, r.status());
        assertTrue(ms >= 100 && ms < 1000, "stopped after " + ms + " ms");
        assertTrue(run("ok").ok());
    }
}
