package dev.thaw.invoker;

import static dev.thaw.invoker.kvm.KvmStructs.KVM_SREGS;
import static dev.thaw.invoker.kvm.KvmStructs.offset;
import static java.lang.foreign.ValueLayout.JAVA_LONG_UNALIGNED;
import static java.lang.foreign.ValueLayout.JAVA_SHORT_UNALIGNED;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.thaw.invoker.abi.Abi;
import dev.thaw.invoker.abi.AbiViolation;
import dev.thaw.invoker.abi.Hypercall;
import dev.thaw.invoker.kvm.GuestMemory;
import dev.thaw.invoker.snapshot.RecvPlacement;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * Fuzzes everything the host does with what a guest hands it: the registers and memory of a
 * hypercall ({@link GuestRun#hypercall}: {@code Hypercall.decode}, the output records into a
 * real {@link Output}, the exit status and signal checks, the set_fs canonical check), and the
 * recv placement check a snapshot load makes ({@link RecvPlacement}, a walk of page tables the
 * fuzzer wrote). The input is a {@link FuzzedGuest}.
 *
 * <p>Nothing may throw: the host answers every guest with a stop or by running on. And every
 * answer must be the one {@link AbiModel} gives: the same stop, the same output bytes, log
 * lines and limit, the same once-only log lines (never more than their bound), the same FS
 * bases set, the same recv placement verdict.
 *
 * <p>A normal test run replays the inputs under {@code HypercallFuzzTestInputs/} (hand-written
 * seeds, see {@link FuzzSeeds}, and past findings); {@code ./bench fuzz} fuzzes.
 */
class HypercallFuzzTest {
    /** Guest RAM as the host sees it: native memory, as a real guest's is. */
    private static final MemorySegment RAM = Arena.global().allocate(FuzzedGuest.RAM, 4096);
    private static final GuestMemory MEMORY = new GuestMemory(RAM);
    private static final byte[] IMAGE = new byte[FuzzedGuest.RAM];

    @FuzzTest(maxDuration = "5m")
    void guestFacingDecodePath(byte[] input) {
        FuzzedGuest guest = FuzzedGuest.parse(input, IMAGE);
        Outcome outcome = run(guest);

        AbiModel model = new AbiModel(IMAGE, guest.outputLimit, guest.reportedOnceLines());
        GuestRun.Stop expected = model.hypercall(guest.firstPort, guest.firstArgument);
        assertSameStop(expected, outcome.first, "first hypercall");
        if (expected == null && guest.secondPort != 0) {
            assertSameStop(model.hypercall(guest.secondPort, guest.secondArgument), outcome.second, "second hypercall");
        }
        assertEquals(model.exceeded(), outcome.output.exceeded(), "output limit reached");
        assertArrayEquals(model.stdout(), outcome.output.stdout(), "stdout");
        assertArrayEquals(model.stderr(), outcome.output.stderr(), "stderr");
        assertEquals(model.logs(), outcome.output.logs(), "log lines");
        assertEquals(model.reportedOnce(), outcome.reportedOnce, "once-only log lines reported");
        assertTrue(outcome.reportedOnce.size() <= Output.ONCE_MAX_LINES, "a guest cannot grow the host's set");
        assertEquals(model.fsBases(), outcome.fsBases, "FS bases set");

        if (outcome.recv != null) {
            Hypercall.Recv recv = outcome.recv;
            boolean writable = model.guestWritable(recv.buf(), recv.cap(), guest.cr3)
                    && model.guestWritable(recv.args(), Abi.RECV.byteSize(), guest.cr3);
            assertEquals(writable, outcome.refusal.isEmpty(), () -> "recv placement of " + recv + ": " + outcome.refusal);
            outcome.refusal.ifPresent(r -> assertTrue(r.contains("recv buffer") || r.contains("recv struct"), r));
            outcome.refusal.ifPresent(r -> assertFalse(r.contains("+-"), "guest lengths are unsigned: " + r));
        }
    }

    /**
     * What the host made of a guest: the stops of its hypercalls (the second runs only when the
     * first runs on, as in GuestRun), its output and FS bases, and, when the first argument
     * address holds a recv, the verdict a snapshot load gives on where it points. The guest's
     * memory is what {@link FuzzedGuest#parse} wrote into {@link #image()}.
     */
    record Outcome(GuestRun.Stop first, GuestRun.Stop second, Output output, Set<String> reportedOnce,
            List<Long> fsBases, Hypercall.Recv recv, Optional<String> refusal) {}

    /** The memory image {@link FuzzedGuest#parse} writes and {@link #run} copies into guest RAM. */
    static byte[] image() {
        return IMAGE;
    }

    static Outcome run(FuzzedGuest guest) {
        MemorySegment.copy(MemorySegment.ofArray(IMAGE), 0, RAM, 0, FuzzedGuest.RAM);
        Set<String> reportedOnce = guest.reportedOnceLines();
        Output output = new Output(guest.outputLimit, reportedOnce);
        List<Long> fsBases = new ArrayList<>();
        GuestRun.Stop first = GuestRun.hypercall(guest.firstPort, guest.firstArgument, MEMORY, output, fsBases::add);
        GuestRun.Stop second = null;
        if (first == null && guest.secondPort != 0) {
            second = GuestRun.hypercall(guest.secondPort, guest.secondArgument, MEMORY, output, fsBases::add);
        }

        // Snapshot.checkedRecv: the recv the snapshot stopped in, and where it lets the host write
        Hypercall.Recv recv = null;
        Optional<String> refusal = Optional.empty();
        try {
            recv = (Hypercall.Recv) Hypercall.decode(Abi.HC_RECV, guest.firstArgument, MEMORY);
            byte[] sregs = new byte[(int) KVM_SREGS.byteSize()];
            MemorySegment s = MemorySegment.ofArray(sregs);
            s.set(JAVA_LONG_UNALIGNED, offset(KVM_SREGS, "cr3"), guest.cr3);
            s.set(JAVA_LONG_UNALIGNED, offset(KVM_SREGS, "gdt", "base"), guest.gdtBase);
            s.set(JAVA_SHORT_UNALIGNED, offset(KVM_SREGS, "gdt", "limit"), (short) guest.gdtLimit);
            s.set(JAVA_LONG_UNALIGNED, offset(KVM_SREGS, "tr", "base"), guest.trBase);
            refusal = RecvPlacement.refusal(MEMORY, s, recv);
        } catch (AbiViolation e) {
            // no recv struct inside memory at that address: the load refuses it before any walk
        }
        return new Outcome(first, second, output, reportedOnce, fsBases, recv, refusal);
    }

    @Test
    void theCommittedSeedsAreTheOnesFuzzSeedsWrites() throws IOException {
        for (Map.Entry<String, byte[]> seed : FuzzSeeds.all().entrySet()) {
            Path file = FuzzSeeds.DIRECTORY.resolve(seed.getKey());
            assertTrue(Files.exists(file), file + " is missing; see FuzzSeeds for how to write the seeds");
            assertArrayEquals(seed.getValue(), Files.readAllBytes(file), file + " differs from FuzzSeeds; rewrite it");
        }
    }

    @Test
    void eachSeedReachesWhatItIsNamedFor() {
        Map<String, byte[]> seeds = FuzzSeeds.all();
        Outcome o = outcome(seeds, "recv-in-the-arena");
        assertEquals(new GuestRun.Stop.Waiting(new Hypercall.Recv(FuzzSeeds.ARENA, FuzzSeeds.ARENA + 0x1000, 0x1000)), o.first);
        assertEquals(Optional.empty(), o.refusal);

        o = outcome(seeds, "recv-on-the-page-tables");
        assertInstanceOf(GuestRun.Stop.Waiting.class, o.first);
        assertTrue(o.refusal.orElseThrow().contains("recv buffer 0x9000+256 lies on the page tables"), o.refusal.get());

        o = outcome(seeds, "flush-then-exit");
        assertEquals(new GuestRun.Stop.Exited(3, 0), o.second);
        assertEquals("hello\nbye\n", text(o.output.stdout()));
        assertEquals("oops", text(o.output.stderr()));
        assertEquals(List.of("a log line"), o.output.logs());

        assertViolation(outcome(seeds, "flush-of-the-largest-length").first, "guest range 0xa100+18446744073709551615 is outside");

        o = outcome(seeds, "exit-over-the-output-limit");
        assertEquals(new GuestRun.Stop.OutputLimit(), o.first);
        assertEquals("hello\n", text(o.output.stdout()), "what fitted is kept");

        assertViolation(outcome(seeds, "exit-with-a-bad-status").first, "exit hypercall with status 256");
        o = outcome(seeds, "exit-with-a-bad-record");
        assertViolation(o.first, "unknown stream 9");
        assertEquals("hello\n", text(o.output.stdout()), "the records before the bad one are kept");

        o = outcome(seeds, "set-fs-then-exit");
        assertEquals(List.of(FuzzSeeds.FS_BASE), o.fsBases);
        assertEquals(new GuestRun.Stop.Exited(0, 0), o.second);
        assertViolation(outcome(seeds, "set-fs-non-canonical").first, "non-canonical base 0x800000000000");

        o = outcome(seeds, "exit-with-a-log-flood");
        assertEquals(new GuestRun.Stop.Exited(0, 0), o.first);
        assertEquals(1001, o.output.logs().size());
        assertTrue(o.output.logs().get(1000).startsWith("[thaw: 100 more log lines dropped"), o.output.logs().get(1000));

        o = outcome(seeds, "exit-with-a-long-log-line");
        assertEquals("€".repeat(1365) + " [thaw: 1905 more bytes of this line dropped]", o.output.logs().getFirst());

        o = outcome(seeds, "exit-with-a-long-binary-log-line");
        assertTrue(o.output.logs().getFirst().endsWith(" [thaw: 907 more bytes of this line dropped]"), o.output.logs().getFirst());

        String pipe2 = Output.ONCE_PREFIX + "pipe2 (293): ENOSYS";
        o = outcome(seeds, "exit-with-once-only-log-lines");
        assertEquals(List.of(pipe2, "a log line"), o.output.logs());
        assertEquals(4, o.reportedOnce.size());
        o = outcome(seeds, "exit-with-the-once-only-set-full");
        assertEquals(List.of(pipe2, pipe2), o.output.logs());
        assertEquals(Output.ONCE_MAX_LINES, o.reportedOnce.size());
    }

    private static Outcome outcome(Map<String, byte[]> seeds, String name) {
        return run(FuzzedGuest.parse(seeds.get(name), IMAGE));
    }

    private static String text(byte[] bytes) {
        return new String(bytes, StandardCharsets.UTF_8);
    }

    private static void assertViolation(GuestRun.Stop stop, String message) {
        GuestRun.Stop.Violated violated = assertInstanceOf(GuestRun.Stop.Violated.class, stop);
        assertTrue(violated.description().contains(message), violated.description());
    }

    private static void assertSameStop(GuestRun.Stop expected, GuestRun.Stop actual, String what) {
        if (expected == AbiModel.VIOLATED) {
            GuestRun.Stop.Violated violated = assertInstanceOf(GuestRun.Stop.Violated.class, actual, what);
            assertFalse(violated.description().isBlank(), what + ": a violation names what was wrong");
            assertFalse(violated.description().contains("+-"), what + ": guest lengths are unsigned: " + violated.description());
        } else {
            assertEquals(expected, actual, what);
        }
    }
}
