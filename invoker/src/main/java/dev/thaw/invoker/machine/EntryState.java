package dev.thaw.invoker.machine;

import static dev.thaw.invoker.kvm.KvmStructs.KVM_REGS;
import static dev.thaw.invoker.kvm.KvmStructs.KVM_SREGS;
import static dev.thaw.invoker.kvm.KvmStructs.offset;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

import java.lang.foreign.MemorySegment;

/**
 * The CPU state a Thaw guest starts in: 64-bit mode, paging on, already at CPL3, IOPL 3 so
 * that {@code out} (the hypercall) is allowed (PVM checks the {@link Tss} bitmap instead),
 * interrupts off. No IDT: any exception
 * triple-faults, which the VMM reports with RIP and CR2.
 */
public final class EntryState {
    private EntryState() {}

    /** PE MP ET NE WP AM PG. */
    public static final long CR0 = 0x80050033L;
    /**
     * PAE OSFXSR OSXMMEXCPT OSXSAVE: the guest uses XSAVE/XRSTOR, and the vector registers XCR0
     * enables. Not TSD: rdtsc works at CPL3. Not PKE: protection keys would be the guest's to
     * set (PVM ignores this and runs the guest with the host's CR4; see io.c for PKRU).
     */
    public static final long CR4 = 0x40620L;
    /** LME LMA NXE. Not SCE: `syscall` faults (Thaw's libc calls the library OS instead). */
    public static final long EFER = 0xd00L;
    /**
     * CR2 as loaded on every entry: non-canonical, so no page fault can leave it there. After
     * a crash, a CR2 still equal to it means the fault was not a page fault.
     */
    public static final long CR2_SENTINEL = 0xdead000000000000L;
    /** IOPL=3, reserved bit 1; IF clear. */
    public static final long RFLAGS = 0x3002L;

    /** Sets segments, control registers and descriptor tables in a kvm_sregs read from a new vCPU. */
    public static void sregs(MemorySegment sregs, long cr3, long gdtBase, long tssBase) {
        segment(sregs, "cs", Gdt.USER_CODE_SELECTOR, 11, true);
        for (String data : new String[] {"ds", "es", "fs", "gs", "ss"}) {
            segment(sregs, data, Gdt.USER_DATA_SELECTOR, 3, false);
        }
        segment(sregs, "tr", Tss.SELECTOR, Tss.TYPE_BUSY, false);
        sregs.set(JAVA_LONG, offset(KVM_SREGS, "tr", "base"), tssBase);
        sregs.set(JAVA_INT, offset(KVM_SREGS, "tr", "limit"), Tss.SIZE - 1);
        sregs.set(JAVA_BYTE, offset(KVM_SREGS, "tr", "dpl"), (byte) 0);
        sregs.set(JAVA_BYTE, offset(KVM_SREGS, "tr", "s"), (byte) 0);
        sregs.set(JAVA_BYTE, offset(KVM_SREGS, "tr", "db"), (byte) 0);
        sregs.set(JAVA_BYTE, offset(KVM_SREGS, "tr", "g"), (byte) 0);
        sregs.set(JAVA_LONG, offset(KVM_SREGS, "gdt", "base"), gdtBase);
        sregs.set(JAVA_SHORT, offset(KVM_SREGS, "gdt", "limit"), (short) Gdt.LIMIT);
        sregs.set(JAVA_LONG, offset(KVM_SREGS, "idt", "base"), 0L);
        sregs.set(JAVA_SHORT, offset(KVM_SREGS, "idt", "limit"), (short) 0);
        sregs.set(JAVA_LONG, offset(KVM_SREGS, "cr0"), CR0);
        sregs.set(JAVA_LONG, offset(KVM_SREGS, "cr3"), cr3);
        sregs.set(JAVA_LONG, offset(KVM_SREGS, "cr4"), CR4);
        sregs.set(JAVA_LONG, offset(KVM_SREGS, "efer"), EFER);
    }

    private static void segment(MemorySegment sregs, String name, int selector, int type, boolean code) {
        sregs.set(JAVA_LONG, offset(KVM_SREGS, name, "base"), 0L);
        sregs.set(JAVA_INT, offset(KVM_SREGS, name, "limit"), 0xffffffff);
        sregs.set(JAVA_SHORT, offset(KVM_SREGS, name, "selector"), (short) selector);
        sregs.set(JAVA_BYTE, offset(KVM_SREGS, name, "type"), (byte) type);
        sregs.set(JAVA_BYTE, offset(KVM_SREGS, name, "present"), (byte) 1);
        sregs.set(JAVA_BYTE, offset(KVM_SREGS, name, "dpl"), (byte) 3);
        sregs.set(JAVA_BYTE, offset(KVM_SREGS, name, "db"), (byte) (code ? 0 : 1));
        sregs.set(JAVA_BYTE, offset(KVM_SREGS, name, "s"), (byte) 1);
        sregs.set(JAVA_BYTE, offset(KVM_SREGS, name, "l"), (byte) (code ? 1 : 0));
        sregs.set(JAVA_BYTE, offset(KVM_SREGS, name, "g"), (byte) 1);
        sregs.set(JAVA_BYTE, offset(KVM_SREGS, name, "avl"), (byte) 0);
        sregs.set(JAVA_BYTE, offset(KVM_SREGS, name, "unusable"), (byte) 0);
    }

    /** General registers at entry: only RIP, RSP and RFLAGS are non-zero. */
    public static void regs(MemorySegment regs, long rip, long rsp) {
        regs.fill((byte) 0);
        regs.set(JAVA_LONG, offset(KVM_REGS, "rip"), rip);
        regs.set(JAVA_LONG, offset(KVM_REGS, "rsp"), rsp);
        regs.set(JAVA_LONG, offset(KVM_REGS, "rflags"), RFLAGS);
    }

    public static long fsBaseOffset() {
        return offset(KVM_SREGS, "fs", "base");
    }
}
