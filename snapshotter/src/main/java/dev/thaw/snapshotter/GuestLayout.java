package dev.thaw.snapshotter;

import dev.thaw.invoker.abi.Abi;
import dev.thaw.invoker.machine.PagePermission;
import dev.thaw.invoker.machine.PageTables;
import dev.thaw.invoker.machine.Tss;

/**
 * Where everything lives in guest memory (guest-virtual == guest-physical):
 * <pre>
 *   0x0000  -           null page, unmapped: a null dereference faults
 *   0x1000  R           struct thaw_boot_info
 *   0x2000  R           GDT
 *   0x3000  R           TSS and its I/O permission bitmap (3 pages)
 *   0x6000  R           page tables (PML4, PDPT, PD, one PT per 2 MiB)
 *           -           unmapped up to the image
 *   image   per segment the function (text RX, rodata R, data and bss RW)
 *           -           64 KiB unmapped: the stack guard
 *   stack   RW          1 MiB, growing down towards the guard
 *   io      RW          the I/O arena: request in, output records out; it begins 2 KiB into
 *                       the page that holds the top of the stack
 *           -           one unmapped page
 *   heap    RW          brk grows up from here ... anonymous mmap grows down to here
 *   mmapTop             = memory_mb MiB: the function's own memory ends here
 *   fs      R           the read-only file image (FileImage), if any, to the end of RAM
 * </pre>
 * Everything that is not code is not executable. The VMM's own structures are read-only
 * to the guest, which runs at CPL3 and so cannot change its own page tables or GDT.
 *
 * <p>Every page an invocation writes costs a copy-on-write or write-protection fault and a
 * reset, so the layout packs what every invocation writes: the top of the stack and the
 * head of the I/O arena (the request, the library OS's state, small outputs) share one
 * page, next to the image's data. Being close together, they also need few host and shadow
 * page-table pages per shell.
 *
 * <p>The file image lies above the function's memory_mb, so a runtime's library does not
 * eat into the memory the function asked for. It is read-only: no invocation can dirty it,
 * and every shell shares its pages.
 */
public record GuestLayout(long memorySize, long imageStart, long imageEnd, long heapStart, long mmapTop,
                          long ioBase, long ioSize, long stackLow, long stackHigh, long fsImage, long fsSize) {

    /** Bump when the layout changes: it is part of every snapshot's address. */
    public static final int VERSION = 4;
    public static final long PAGE = 4096;
    public static final long BOOT_INFO = Abi.BOOT_INFO_ADDR;
    public static final long GDT = 0x2000;
    public static final long TSS = 0x3000;
    public static final long PAGE_TABLES = 0x6000;
    public static final long STACK_SIZE = 1024 * 1024;
    /** Bytes of the stack's top page left to the stack; the I/O arena takes the rest. */
    public static final long STACK_TOP_SHARE = 2048;
    public static final long MIN_HEAP = 1024 * 1024;

    /**
     * Lays out {@code memoryMb} MiB of RAM around an image occupying [imageStart, imageEnd),
     * with a file image of {@code fsBytes} (0: none) above it.
     */
    public static GuestLayout of(int memoryMb, long imageStart, long imageEnd, long fsBytes) throws ElfImage.InvalidElfException {
        long memory = (long) memoryMb * 1024 * 1024;
        long fsImage = fsBytes > 0 ? memory : 0;
        long total = memory + pageUp(fsBytes);
        if (total > PageTables.MAX_MEMORY) {
            throw new ElfImage.InvalidElfException("memory_mb (" + memoryMb + " MiB) and the file image ("
                    + (fsBytes >> 20) + " MiB) together exceed the " + (PageTables.MAX_MEMORY >> 20) + " MiB a guest can have");
        }
        long tablesEnd = PAGE_TABLES + PageTables.size(total);
        if (imageStart < tablesEnd) {
            throw new ElfImage.InvalidElfException("the binary starts at 0x" + Long.toHexString(imageStart)
                    + ", inside the VMM's area below 0x" + Long.toHexString(tablesEnd) + " (link it with thaw-cc)");
        }
        long ioSize = Math.clamp(memory / 8, 1024 * 1024, 64 * 1024 * 1024);
        long stackLow = pageUp(imageEnd) + Abi.STACK_GUARD;
        long stackHigh = stackLow + STACK_SIZE - PAGE + STACK_TOP_SHARE;
        long ioBase = stackHigh;
        long heapStart = pageUp(ioBase + ioSize) + PAGE;
        long mmapTop = memory;
        if (imageEnd > memory || mmapTop < heapStart || mmapTop - heapStart < MIN_HEAP) {
            throw new ElfImage.InvalidElfException("the binary (up to 0x" + Long.toHexString(imageEnd)
                    + ") does not leave room for stack, I/O and heap in " + memoryMb + " MiB; raise memory_mb");
        }
        return new GuestLayout(total, imageStart, imageEnd, heapStart, mmapTop, ioBase, ioSize, stackLow, stackHigh,
                fsImage, fsBytes);
    }

    static long pageUp(long x) {
        return (x + PAGE - 1) & -PAGE;
    }

    /** Permissions of the pages that are not the image's (the image's come from its segments). */
    public PagePermission permissionOutsideImage(long address) {
        if (address == BOOT_INFO || address == GDT || address >= TSS && address < TSS + Tss.SIZE) {
            return PagePermission.READ;
        }
        if (address >= PAGE_TABLES && address < PAGE_TABLES + PageTables.size(memorySize)) {
            return PagePermission.READ;
        }
        if (fsSize > 0 && address >= fsImage && address < memorySize) {
            return PagePermission.READ;
        }
        if (address >= heapStart && address < mmapTop
                || address >= stackLow && address < ioBase + ioSize) { // the stack, then the arena
            return PagePermission.READ_WRITE;
        }
        return PagePermission.NONE;
    }
}
