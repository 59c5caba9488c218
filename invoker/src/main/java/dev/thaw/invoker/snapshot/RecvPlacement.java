package dev.thaw.invoker.snapshot;

import static dev.thaw.invoker.kvm.KvmStructs.KVM_SREGS;
import static dev.thaw.invoker.kvm.KvmStructs.offset;
import static java.lang.foreign.ValueLayout.JAVA_LONG_UNALIGNED;
import static java.lang.foreign.ValueLayout.JAVA_SHORT_UNALIGNED;

import dev.thaw.invoker.abi.Abi;
import dev.thaw.invoker.abi.Hypercall;
import dev.thaw.invoker.kvm.GuestMemory;
import dev.thaw.invoker.machine.PagePermission;
import dev.thaw.invoker.machine.PageTables;
import dev.thaw.invoker.machine.Tss;
import java.lang.foreign.MemorySegment;
import java.util.Optional;

/**
 * Where the host may write the answer to the snapshot's recv: only into pages the guest can
 * write itself. The host writes every request into the recv buffer and the clocks and entropy
 * into the recv struct through its own mapping of guest RAM, which ignores the guest's page
 * permissions. A buffer on the function's code, its page tables, GDT or TSS would have each
 * request written there, and on VMX/SVM a writable GDT or TSS is a way to ring 0. So at boot
 * and whenever a snapshot is loaded, every page of both must be present, user and writable
 * at every level of the guest's page tables (which the host built and the guest cannot change).
 */
public final class RecvPlacement {
    private static final long PAGE = 4096;

    private RecvPlacement() {}

    /** Why the host must not write the answer to {@code recv}, or empty when it may. */
    public static Optional<String> refusal(GuestMemory memory, MemorySegment sregs, Hypercall.Recv recv) {
        Optional<String> buffer = refusal(memory, sregs, recv.buf(), recv.cap(), "recv buffer");
        return buffer.isPresent() ? buffer : refusal(memory, sregs, recv.args(), Abi.RECV.byteSize(), "recv struct");
    }

    private static Optional<String> refusal(GuestMemory memory, MemorySegment sregs, long start, long length, String what) {
        String range = what + " 0x" + Long.toHexString(start) + "+" + Long.toUnsignedString(length);
        try {
            memory.slice(start, length);
            long cr3 = sregs.get(JAVA_LONG_UNALIGNED, offset(KVM_SREGS, "cr3"));
            for (long page = start & -PAGE; page < start + length; page += PAGE) {
                PagePermission p = PageTables.permission(memory, cr3, page);
                if (!p.writable()) {
                    return Optional.of("the function's " + range + " lies on " + describe(memory, sregs, page, p)
                            + " (page 0x" + Long.toHexString(page) + "), which the guest cannot write; the host "
                            + "writes into it on every invocation, so it must lie in memory the guest can write, "
                            + "such as the I/O arena");
                }
            }
            return Optional.empty();
        } catch (GuestMemory.OutOfRangeException e) {
            return Optional.of("the function's " + range + " is not inside its page tables and memory: " + e.getMessage());
        }
    }

    /** What lies on a page the guest cannot write. */
    private static String describe(GuestMemory memory, MemorySegment sregs, long page, PagePermission p) {
        long cr3 = sregs.get(JAVA_LONG_UNALIGNED, offset(KVM_SREGS, "cr3")) & -PAGE;
        long gdt = sregs.get(JAVA_LONG_UNALIGNED, offset(KVM_SREGS, "gdt", "base"));
        long gdtEnd = gdt + (sregs.get(JAVA_SHORT_UNALIGNED, offset(KVM_SREGS, "gdt", "limit")) & 0xffff) + 1;
        long tss = sregs.get(JAVA_LONG_UNALIGNED, offset(KVM_SREGS, "tr", "base"));
        if (overlaps(page, gdt, gdtEnd)) {
            return "the GDT";
        }
        if (overlaps(page, tss, tss + Tss.SIZE)) {
            return "the TSS";
        }
        if (overlaps(page, cr3, cr3 + PageTables.size(memory.size()))) {
            return "the page tables";
        }
        if (page == Abi.BOOT_INFO_ADDR) {
            return "the boot information";
        }
        return switch (p) {
            case NONE -> "unmapped memory";
            case READ_EXECUTE -> "the function's code";
            default -> "read-only memory";
        };
    }

    private static boolean overlaps(long page, long start, long end) {
        return page < end && start < page + PAGE;
    }
}
