package dev.thaw.invoker;

import static dev.thaw.invoker.kvm.KvmStructs.KVM_FPU;
import static dev.thaw.invoker.kvm.KvmStructs.KVM_REGS;
import static dev.thaw.invoker.kvm.KvmStructs.KVM_SREGS;
import static dev.thaw.invoker.kvm.KvmStructs.offset;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import dev.thaw.invoker.abi.Abi;
import dev.thaw.invoker.kvm.GuestMemory;
import dev.thaw.invoker.kvm.Kvm;
import dev.thaw.invoker.kvm.Mapping;
import dev.thaw.invoker.kvm.Vcpu;
import dev.thaw.invoker.kvm.Vm;
import dev.thaw.invoker.machine.EntryState;
import dev.thaw.invoker.snapshot.RecvPlacement;
import dev.thaw.invoker.snapshot.SnapshotFormat;
import dev.thaw.invoker.snapshot.SnapshotState;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.Optional;

/**
 * Boots a guest image to its snapshot point (its first recv hypercall) and saves it: guest
 * memory as a sparse file, and the vCPU state with RIP moved past the hypercall's one-byte
 * {@code out}, so that a resumed guest continues as if the hypercall had returned.
 */
final class Booter {
    private static final long BOOT_OUTPUT_LIMIT = 64 * 1024;

    private Booter() {}

    static BootReport boot(Kvm kvm, Watchdog.Slot slot, BootImage image, Path dir, Duration timeout)
            throws BootException {
        long t0 = System.nanoTime();
        try (Mapping ram = Mapping.anonymous(image.memorySize());
             Vm vm = kvm.createVm();
             Arena arena = Arena.ofConfined()) {
            GuestMemory memory = new GuestMemory(ram.segment());
            image.writer().write(memory);
            vm.mapMemory(0, 0, ram.segment(), false);
            try (Vcpu vcpu = vm.createVcpu(0)) {
                MemorySegment regs = arena.allocate(KVM_REGS);
                MemorySegment sregs = arena.allocate(KVM_SREGS);
                MemorySegment fpu = arena.allocate(KVM_FPU);
                vcpu.getSregs(sregs);
                EntryState.sregs(sregs, image.pageTableRoot(), image.gdtBase(), image.tssBase());
                sregs.set(JAVA_LONG, offset(KVM_SREGS, "cr2"), EntryState.CR2_SENTINEL);
                vcpu.setSregs(sregs);
                EntryState.regs(regs, image.entry(), image.stackPointer());
                vcpu.setRegs(regs);
                vcpu.setSignalMask(slot.runMask());

                long t1 = System.nanoTime();
                Output output = new Output(BOOT_OUTPUT_LIMIT, new HashSet<>());
                long deadline = t1 + timeout.toNanos();
                GuestRun run = new GuestRun(vcpu, memory, deadline, output, slot);
                slot.arm(deadline);
                GuestRun.Stop stop;
                try {
                    stop = run.run();
                } finally {
                    slot.disarm();
                }
                long t2 = System.nanoTime();
                if (!(stop instanceof GuestRun.Stop.Waiting waiting)) {
                    throw new BootException(failure(stop, output, timeout));
                }
                vcpu.getRegs(regs);
                vcpu.getSregs(sregs);
                Optional<String> refusal = RecvPlacement.refusal(memory, sregs, waiting.recv());
                if (refusal.isPresent()) {
                    throw new BootException(refusal.get());
                }
                vcpu.getFpu(fpu);
                regs.set(JAVA_LONG, offset(KVM_REGS, "rip"), pastHypercall(memory, regs.get(JAVA_LONG, offset(KVM_REGS, "rip"))));
                SnapshotState state = new SnapshotState(image.memorySize(), waiting.recv().args(),
                        kvm.cpuFingerprint(), regs.toArray(JAVA_BYTE), sregs.toArray(JAVA_BYTE), fpu.toArray(JAVA_BYTE));
                long written = SnapshotFormat.write(dir, state, memory, ram.residentPages());
                return new BootReport(t1 - t0, t2 - t1, System.nanoTime() - t2, run.exits(), written);
            }
        } catch (GuestMemory.OutOfRangeException e) {
            throw new BootException("guest stopped with its instruction pointer outside its memory", e);
        } catch (IOException e) {
            throw new BootException("cannot write the snapshot to " + dir + ": " + e.getMessage(), e);
        }
    }

    /**
     * The resume address: just past the recv's {@code out}. Where RIP is at the exit depends
     * on the host: KVM's fast port-I/O path (VMX/SVM) leaves it on the {@code out} and skips
     * it on the next entry; PVM emulates the instruction and has already moved past it.
     */
    private static long pastHypercall(GuestMemory memory, long rip) throws GuestMemory.OutOfRangeException, BootException {
        if (memory.readByte(rip) == Abi.OUT_DX_EAX) {
            return rip + 1;
        }
        if (memory.readByte(rip - 1) == Abi.OUT_DX_EAX) {
            return rip;
        }
        throw new BootException("guest stopped in a recv hypercall that is not a one-byte out near 0x"
                + Long.toHexString(rip));
    }

    private static String failure(GuestRun.Stop stop, Output output, Duration timeout) {
        String reason = switch (stop) {
            case GuestRun.Stop.Exited e -> "the function exited with status " + e.status()
                    + (e.signal() != 0 ? " (signal " + e.signal() + ")" : "") + " before it read its input";
            case GuestRun.Stop.Crashed c -> "the function crashed while initialising: " + c.description();
            case GuestRun.Stop.Violated v -> "the function broke the hypercall ABI while initialising: " + v.description();
            case GuestRun.Stop.TimedOut t -> "the function did not reach its first read of stdin within "
                    + timeout.toMillis() + " ms";
            case GuestRun.Stop.OutputLimit o -> "the function wrote more than " + BOOT_OUTPUT_LIMIT
                    + " bytes while initialising";
            case GuestRun.Stop.Waiting w -> throw new AssertionError();
            case GuestRun.Stop.Preempted p -> throw new AssertionError("the boot thread has no other work to yield to");
        };
        String stderr = new String(output.stderr(), StandardCharsets.UTF_8).strip();
        return stderr.isEmpty() ? reason : reason + "; stderr: " + tail(stderr);
    }

    private static String tail(String s) {
        return s.length() <= 2000 ? s : "..." + s.substring(s.length() - 2000);
    }
}
