package dev.thaw.invoker;

import static dev.thaw.invoker.kvm.KvmStructs.KVM_REGS;
import static dev.thaw.invoker.kvm.KvmStructs.KVM_SREGS;
import static dev.thaw.invoker.kvm.KvmStructs.offset;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import dev.thaw.invoker.abi.Abi;
import dev.thaw.invoker.abi.AbiViolation;
import dev.thaw.invoker.abi.Hypercall;
import dev.thaw.invoker.abi.OutputRecords;
import dev.thaw.invoker.kvm.GuestMemory;
import dev.thaw.invoker.kvm.Vcpu;
import dev.thaw.invoker.kvm.VcpuKick;
import dev.thaw.invoker.kvm.VmExit;
import dev.thaw.invoker.machine.EntryState;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.function.LongConsumer;

/**
 * Runs a vCPU until its guest stops: it waits for a request, exits, crashes, breaks the ABI,
 * writes too much, runs out of time, or is preempted at the end of its time slice (then
 * {@link #run()} continues it later). Output flushes and FS-base changes are handled on the
 * way. Used both to boot a guest to its snapshot point and to run an invocation.
 */
final class GuestRun {
    /** Why the guest stopped. */
    sealed interface Stop {
        record Waiting(Hypercall.Recv recv) implements Stop {}

        record Exited(int status, int signal) implements Stop {}

        record Crashed(String description) implements Stop {}

        record Violated(String description) implements Stop {}

        record TimedOut() implements Stop {}

        record OutputLimit() implements Stop {}

        /** Its time slice ended while other work waits: the guest is intact, to be run on later. */
        record Preempted() implements Stop {}
    }

    private static final long CANONICAL_LIMIT = 1L << 47;
    /** What a process's exit status and a Linux signal number can be; callers show them as such. */
    private static final int MAX_STATUS = 255;
    private static final int MAX_SIGNAL = 64;
    private static final long RFLAGS_TF = 1 << 8;

    private final Vcpu vcpu;
    private final GuestMemory memory;
    private final long deadline;
    private final Output output;
    private final Watchdog.Slot slot;
    private int exits;

    /** {@code slot} is the running thread's, armed by the caller; it says when to yield. */
    GuestRun(Vcpu vcpu, GuestMemory memory, long deadlineNanos, Output output, Watchdog.Slot slot) {
        this.vcpu = vcpu;
        this.memory = memory;
        this.deadline = deadlineNanos;
        this.output = output;
        this.slot = slot;
    }

    int exits() {
        return exits;
    }

    Stop run() {
        while (true) {
            VmExit exit = vcpu.run();
            exits++;
            switch (exit) {
                case VmExit.Io io when io.out() && io.size() == 4 && io.count() == 1 -> {
                    Stop stop = hypercall(io.port(), io.value());
                    if (stop != null) {
                        return stop;
                    }
                }
                case VmExit.Io io -> {
                    return new Stop.Violated("guest did " + (io.out() ? "out" : "in") + " of " + io.size()
                            + " bytes x" + io.count() + " on port 0x" + Integer.toHexString(io.port())
                            + "; hypercalls are a 4-byte out");
                }
                case VmExit.Interrupted i -> {
                    VcpuKick.drain();
                    long now = System.nanoTime();
                    if (now - deadline >= 0) {
                        return new Stop.TimedOut();
                    }
                    if (slot.sliceOver(now)) {
                        return new Stop.Preempted();
                    }
                    // else a late kick meant for an earlier run: carry on
                }
                case VmExit.Shutdown s -> {
                    return new Stop.Crashed(describeFault());
                }
                case VmExit.Mmio m -> {
                    return new Stop.Crashed("guest " + (m.write() ? "wrote" : "read") + " guest-physical address 0x"
                            + Long.toHexString(m.address()) + ", outside its " + memory.size() / (1024 * 1024)
                            + " MiB of memory");
                }
                case VmExit.Halt h -> {
                    return new Stop.Crashed("guest halted");
                }
                case VmExit.FailEntry f -> {
                    return new Stop.Crashed("KVM could not enter the guest (hardware reason 0x"
                            + Long.toHexString(f.hardwareReason()) + ")");
                }
                case VmExit.InternalError e -> {
                    return new Stop.Crashed("KVM internal error " + e.suberror() + " while running the guest");
                }
                case VmExit.Other o -> {
                    return new Stop.Crashed("unexpected KVM exit reason " + o.reason());
                }
            }
        }
    }

    /** Handles one hypercall; returns a stop, or null to run on. */
    private Stop hypercall(int port, long argAddress) {
        return hypercall(port, argAddress, memory, output, this::setFsBase);
    }

    /**
     * Everything a hypercall does but touch the vCPU: decodes it, reads a flush's or exit's
     * output records into {@code output}, checks the values the guest passed, and hands a valid
     * set_fs base to {@code setFsBase}. Returns why the guest stops, or null to run on. Static,
     * so that HypercallFuzzTest can drive it over arbitrary guest memory without KVM.
     */
    static Stop hypercall(int port, long argAddress, GuestMemory memory, Output output, LongConsumer setFsBase) {
        try {
            switch (Hypercall.decode(port, argAddress, memory)) {
                case Hypercall.Recv recv -> {
                    return new Stop.Waiting(recv);
                }
                case Hypercall.Flush flush -> {
                    OutputRecords.read(memory, flush.buf(), flush.len(), output);
                    return output.exceeded() ? new Stop.OutputLimit() : null;
                }
                case Hypercall.Exit exit -> {
                    OutputRecords.read(memory, exit.buf(), exit.len(), output);
                    if (output.exceeded()) {
                        return new Stop.OutputLimit();
                    }
                    if (exit.status() < 0 || exit.status() > MAX_STATUS) {
                        return new Stop.Violated("exit hypercall with status " + exit.status()
                                + "; an exit status is 0 to " + MAX_STATUS);
                    }
                    if (exit.signal() < 0 || exit.signal() > MAX_SIGNAL) {
                        return new Stop.Violated("exit hypercall with signal " + exit.signal()
                                + "; a signal is 1 to " + MAX_SIGNAL + ", or 0 for none");
                    }
                    return new Stop.Exited(exit.status(), exit.signal());
                }
                case Hypercall.SetFs setFs -> {
                    if (setFs.base() < 0 || setFs.base() >= CANONICAL_LIMIT) {
                        return new Stop.Violated("set_fs hypercall with non-canonical base 0x" + Long.toHexString(setFs.base()));
                    }
                    setFsBase.accept(setFs.base());
                    return null;
                }
            }
        } catch (AbiViolation e) {
            return new Stop.Violated(e.getMessage());
        }
    }

    private void setFsBase(long base) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment sregs = a.allocate(KVM_SREGS);
            vcpu.getSregs(sregs);
            sregs.set(JAVA_LONG, EntryState.fsBaseOffset(), base);
            vcpu.setSregs(sregs);
        }
    }

    /**
     * Explains a triple fault from RIP, CR2 and the instruction bytes. CR2 is loaded with a
     * non-canonical sentinel on entry, which no page fault can produce, so an unchanged CR2
     * means the fault was not a page fault.
     */
    private String describeFault() {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment regs = a.allocate(KVM_REGS);
            MemorySegment sregs = a.allocate(KVM_SREGS);
            vcpu.getRegs(regs);
            vcpu.getSregs(sregs);
            long rip = regs.get(JAVA_LONG, offset(KVM_REGS, "rip"));
            long rsp = regs.get(JAVA_LONG, offset(KVM_REGS, "rsp"));
            long cr2 = sregs.get(JAVA_LONG, offset(KVM_SREGS, "cr2"));
            String where = "guest crashed at rip=0x" + Long.toHexString(rip);
            String syscall = systemCallHint(rip, regs.get(JAVA_LONG, offset(KVM_REGS, "rcx")));
            if (syscall != null) {
                return where + ": " + syscall;
            }
            if (cr2 != EntryState.CR2_SENTINEL) {
                return where + ": page fault at address 0x" + Long.toHexString(cr2) + " (" + explainAddress(cr2, rsp) + ")";
            }
            if ((regs.get(JAVA_LONG, offset(KVM_REGS, "rflags")) & RFLAGS_TF) != 0) {
                // a trap: RIP is already past the instruction that ran with the flag set
                return where + ": a single-step trap (RFLAGS.TF is set): the instruction before it ran under single-stepping";
            }
            return where + ": " + instructionHint(rip);
        }
    }

    /**
     * On PVM a CPL3 {@code syscall} is delivered to the guest kernel entry (LSTAR, 0 here), so
     * the guest faults at address 0 with RCX holding the address after the instruction. On
     * VMX/SVM it raises #UD at the instruction itself (EFER.SCE is off), found by
     * {@link #instructionHint}.
     */
    private String systemCallHint(long rip, long rcx) {
        try {
            if (rip == 0 && rcx >= 2 && memory.readByte(rcx - 2) == 0x0f && memory.readByte(rcx - 1) == 0x05) {
                return "a system call instruction at 0x" + Long.toHexString(rcx - 2)
                        + "; Thaw functions must be built with thaw-cc";
            }
        } catch (GuestMemory.OutOfRangeException e) {
            // not a system call then
        }
        return null;
    }

    private String explainAddress(long address, long rsp) {
        if (address >= 0 && address < 4096) {
            return "null pointer dereference";
        }
        if (address < 0 || address >= memory.size()) {
            return "address outside guest memory";
        }
        try { // the stack's lower end, from the boot information (a hint only: the guest could change it)
            long stackLow = memory.readLong(Abi.BOOT_INFO_ADDR + offset(Abi.BOOT_INFO, "stack_low"));
            if (address < stackLow && (stackLow - address <= Abi.STACK_GUARD || rsp < stackLow)) {
                return "stack overflow";
            }
        } catch (GuestMemory.OutOfRangeException e) {
            // no hint then
        }
        return "a write to read-only memory, a jump into data, or an unmapped page";
    }

    private String instructionHint(long rip) {
        try {
            int b0 = memory.readByte(rip) & 0xff;
            int b1 = memory.readByte(rip + 1) & 0xff;
            if (b0 == 0x0f && b1 == 0x0b) {
                return "ud2 (a trap: __builtin_trap or a failed check)";
            }
            if (b0 == 0xf4) {
                return "hlt, a privileged instruction (a crash in libc, or stack protector)";
            }
            if (b0 == 0x0f && (b1 == 0x05 || b1 == 0x34)) {
                return "a system call instruction at 0x" + Long.toHexString(rip) + "; Thaw functions must be built with thaw-cc";
            }
            if (b0 == 0xcd && b1 == 0x80) {
                return "a 32-bit Linux system call (int $0x80) at 0x" + Long.toHexString(rip)
                        + "; Thaw functions must be built with thaw-cc";
            }
            // Breakpoints are traps: RIP is already past them when the guest stops.
            if ((memory.readByte(rip - 1) & 0xff) == 0xcc) {
                return "an int3 breakpoint at 0x" + Long.toHexString(rip - 1);
            }
            if ((memory.readByte(rip - 2) & 0xff) == 0xcd && memory.readByte(rip - 1) == 3) {
                return "an int3 breakpoint (int $3) at 0x" + Long.toHexString(rip - 2);
            }
            return "general protection fault or invalid instruction (opcode 0x" + Integer.toHexString(b0) + ")";
        } catch (GuestMemory.OutOfRangeException e) {
            return "instruction pointer outside guest memory";
        }
    }
}
