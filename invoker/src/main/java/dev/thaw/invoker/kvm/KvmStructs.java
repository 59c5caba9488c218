package dev.thaw.invoker.kvm;

import static java.lang.foreign.MemoryLayout.paddingLayout;
import static java.lang.foreign.MemoryLayout.sequenceLayout;
import static java.lang.foreign.MemoryLayout.structLayout;
import static java.lang.foreign.MemoryLayout.unionLayout;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

import java.lang.foreign.GroupLayout;
import java.lang.foreign.MemoryLayout.PathElement;
import java.lang.foreign.StructLayout;

/**
 * The layouts of the {@code <linux/kvm.h>} structs the VMM uses, each defined once.
 * KvmStructsTest compiles a C program against the real header and checks every size and
 * offset here against what gcc reports.
 */
public final class KvmStructs {
    private KvmStructs() {}

    public static final StructLayout KVM_REGS = structLayout(
            JAVA_LONG.withName("rax"), JAVA_LONG.withName("rbx"), JAVA_LONG.withName("rcx"),
            JAVA_LONG.withName("rdx"), JAVA_LONG.withName("rsi"), JAVA_LONG.withName("rdi"),
            JAVA_LONG.withName("rsp"), JAVA_LONG.withName("rbp"), JAVA_LONG.withName("r8"),
            JAVA_LONG.withName("r9"), JAVA_LONG.withName("r10"), JAVA_LONG.withName("r11"),
            JAVA_LONG.withName("r12"), JAVA_LONG.withName("r13"), JAVA_LONG.withName("r14"),
            JAVA_LONG.withName("r15"), JAVA_LONG.withName("rip"), JAVA_LONG.withName("rflags"))
            .withName("kvm_regs");

    public static final StructLayout KVM_SEGMENT = structLayout(
            JAVA_LONG.withName("base"), JAVA_INT.withName("limit"), JAVA_SHORT.withName("selector"),
            JAVA_BYTE.withName("type"), JAVA_BYTE.withName("present"), JAVA_BYTE.withName("dpl"),
            JAVA_BYTE.withName("db"), JAVA_BYTE.withName("s"), JAVA_BYTE.withName("l"),
            JAVA_BYTE.withName("g"), JAVA_BYTE.withName("avl"), JAVA_BYTE.withName("unusable"),
            JAVA_BYTE.withName("padding"))
            .withName("kvm_segment");

    public static final StructLayout KVM_DTABLE = structLayout(
            JAVA_LONG.withName("base"), JAVA_SHORT.withName("limit"), paddingLayout(6))
            .withName("kvm_dtable");

    public static final StructLayout KVM_SREGS = structLayout(
            KVM_SEGMENT.withName("cs"), KVM_SEGMENT.withName("ds"), KVM_SEGMENT.withName("es"),
            KVM_SEGMENT.withName("fs"), KVM_SEGMENT.withName("gs"), KVM_SEGMENT.withName("ss"),
            KVM_SEGMENT.withName("tr"), KVM_SEGMENT.withName("ldt"),
            KVM_DTABLE.withName("gdt"), KVM_DTABLE.withName("idt"),
            JAVA_LONG.withName("cr0"), JAVA_LONG.withName("cr2"), JAVA_LONG.withName("cr3"),
            JAVA_LONG.withName("cr4"), JAVA_LONG.withName("cr8"), JAVA_LONG.withName("efer"),
            JAVA_LONG.withName("apic_base"), sequenceLayout(4, JAVA_LONG).withName("interrupt_bitmap"))
            .withName("kvm_sregs");

    public static final StructLayout KVM_FPU = structLayout(
            sequenceLayout(128, JAVA_BYTE).withName("fpr"), JAVA_SHORT.withName("fcw"),
            JAVA_SHORT.withName("fsw"), JAVA_BYTE.withName("ftwx"), JAVA_BYTE.withName("pad1"),
            JAVA_SHORT.withName("last_opcode"), JAVA_LONG.withName("last_ip"),
            JAVA_LONG.withName("last_dp"), sequenceLayout(256, JAVA_BYTE).withName("xmm"),
            JAVA_INT.withName("mxcsr"), JAVA_INT.withName("pad2"))
            .withName("kvm_fpu");

    public static final StructLayout KVM_USERSPACE_MEMORY_REGION = structLayout(
            JAVA_INT.withName("slot"), JAVA_INT.withName("flags"), JAVA_LONG.withName("guest_phys_addr"),
            JAVA_LONG.withName("memory_size"), JAVA_LONG.withName("userspace_addr"))
            .withName("kvm_userspace_memory_region");

    public static final StructLayout KVM_CPUID_ENTRY2 = structLayout(
            JAVA_INT.withName("function"), JAVA_INT.withName("index"), JAVA_INT.withName("flags"),
            JAVA_INT.withName("eax"), JAVA_INT.withName("ebx"), JAVA_INT.withName("ecx"),
            JAVA_INT.withName("edx"), sequenceLayout(3, JAVA_INT).withName("padding"))
            .withName("kvm_cpuid_entry2");

    /** The header of kvm_cpuid2; {@code nent} entries follow it. */
    public static final StructLayout KVM_CPUID2 = structLayout(
            JAVA_INT.withName("nent"), JAVA_INT.withName("padding"))
            .withName("kvm_cpuid2");

    public static final StructLayout KVM_DIRTY_LOG = structLayout(
            JAVA_INT.withName("slot"), JAVA_INT.withName("padding1"), JAVA_LONG.withName("dirty_bitmap"))
            .withName("kvm_dirty_log");

    public static final StructLayout KVM_CLEAR_DIRTY_LOG = structLayout(
            JAVA_INT.withName("slot"), JAVA_INT.withName("num_pages"), JAVA_LONG.withName("first_page"),
            JAVA_LONG.withName("dirty_bitmap"))
            .withName("kvm_clear_dirty_log");

    public static final StructLayout KVM_ENABLE_CAP = structLayout(
            JAVA_INT.withName("cap"), JAVA_INT.withName("flags"), sequenceLayout(4, JAVA_LONG).withName("args"),
            sequenceLayout(64, JAVA_BYTE).withName("pad"))
            .withName("kvm_enable_cap");

    public static final StructLayout KVM_XCR = structLayout(
            JAVA_INT.withName("xcr"), JAVA_INT.withName("reserved"), JAVA_LONG.withName("value"))
            .withName("kvm_xcr");

    /** Extended control registers; XCR0 is the only one x86 has. */
    public static final StructLayout KVM_XCRS = structLayout(
            JAVA_INT.withName("nr_xcrs"), JAVA_INT.withName("flags"),
            sequenceLayout(16, KVM_XCR).withName("xcrs"), sequenceLayout(16, JAVA_LONG).withName("padding"))
            .withName("kvm_xcrs");

    /** The header of kvm_signal_mask; {@code len} bytes of sigset follow it. */
    public static final StructLayout KVM_SIGNAL_MASK = structLayout(JAVA_INT.withName("len"))
            .withName("kvm_signal_mask");

    private static final StructLayout IO = structLayout(
            JAVA_BYTE.withName("direction"), JAVA_BYTE.withName("size"), JAVA_SHORT.withName("port"),
            JAVA_INT.withName("count"), JAVA_LONG.withName("data_offset"));

    private static final StructLayout MMIO = structLayout(
            JAVA_LONG.withName("phys_addr"), sequenceLayout(8, JAVA_BYTE).withName("data"),
            JAVA_INT.withName("len"), JAVA_BYTE.withName("is_write"), paddingLayout(3));

    private static final StructLayout FAIL_ENTRY = structLayout(
            JAVA_LONG.withName("hardware_entry_failure_reason"), JAVA_INT.withName("cpu"), paddingLayout(4));

    private static final StructLayout INTERNAL = structLayout(
            JAVA_INT.withName("suberror"), JAVA_INT.withName("ndata"), sequenceLayout(16, JAVA_LONG).withName("data"));

    /** kvm_sync_regs; the VMM does not sync vCPU events, so they stay opaque bytes. */
    private static final StructLayout SYNC_REGS = structLayout(
            KVM_REGS.withName("regs"), KVM_SREGS.withName("sregs"), sequenceLayout(64, JAVA_BYTE).withName("events"));

    /** The part of kvm_run the VMM reads and writes (the real struct is longer). */
    public static final StructLayout KVM_RUN = structLayout(
            JAVA_BYTE.withName("request_interrupt_window"), JAVA_BYTE.withName("immediate_exit"),
            paddingLayout(6), JAVA_INT.withName("exit_reason"),
            JAVA_BYTE.withName("ready_for_interrupt_injection"), JAVA_BYTE.withName("if_flag"),
            JAVA_SHORT.withName("flags"), JAVA_LONG.withName("cr8"), JAVA_LONG.withName("apic_base"),
            unionLayout(IO.withName("io"), MMIO.withName("mmio"), FAIL_ENTRY.withName("fail_entry"),
                    INTERNAL.withName("internal"), sequenceLayout(256, JAVA_BYTE).withName("padding"))
                    .withName("exit"),
            JAVA_LONG.withName("kvm_valid_regs"), JAVA_LONG.withName("kvm_dirty_regs"),
            unionLayout(SYNC_REGS.withName("regs"), sequenceLayout(2048, JAVA_BYTE).withName("padding"))
                    .withName("s"))
            .withName("kvm_run");

    /** Byte offset of a (possibly nested) field, e.g. {@code offset(KVM_SREGS, "cs", "selector")}. */
    public static long offset(GroupLayout layout, String... path) {
        PathElement[] elements = new PathElement[path.length];
        for (int i = 0; i < path.length; i++) {
            elements[i] = PathElement.groupElement(path[i]);
        }
        return layout.byteOffset(elements);
    }

}
