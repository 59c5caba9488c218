package dev.thaw.snapshotter;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import dev.thaw.invoker.BootImage;
import dev.thaw.invoker.abi.Abi;
import dev.thaw.invoker.kvm.GuestMemory;
import dev.thaw.invoker.machine.Gdt;
import dev.thaw.invoker.machine.PagePermission;
import dev.thaw.invoker.machine.PageTables;
import dev.thaw.invoker.machine.Tss;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.Arrays;

/** Turns a function binary, its manifest and its file image into a guest ready to boot. */
final class GuestImage {
    private GuestImage() {}

    /**
     * @param files   the file image (FileImage), or an empty array for none
     * @param tscKhz  the guest TSC's frequency, for the clock before the snapshot point
     */
    static BootImage of(ElfImage elf, Manifest manifest, byte[] files, long tscKhz) throws ElfImage.InvalidElfException {
        GuestLayout layout = GuestLayout.of(manifest.memoryMb(), elf.start(), elf.end(), files.length);
        SecureRandom secure = new SecureRandom();
        byte[] random = new byte[16];
        secure.nextBytes(random);
        byte[] bootEntropy = new byte[32];
        secure.nextBytes(bootEntropy);
        InitialStack.Built stack = InitialStack.build(layout.stackHigh(), manifest.name(), manifest.args(),
                manifest.env(), elf, random);
        int flags = manifest.snapshot() == Manifest.SnapshotPoint.READY ? Abi.BOOT_SNAPSHOT_AT_READY : 0;
        PagePermission[] imagePages = imagePermissions(elf, layout);
        BootImage.MemoryWriter writer = memory -> {
            writeBootInfo(memory.hostSlice(GuestLayout.BOOT_INFO, Abi.BOOT_INFO.byteSize()), layout, flags, tscKhz,
                    bootEntropy);
            copy(memory, GuestLayout.GDT, Gdt.table(GuestLayout.TSS));
            copy(memory, GuestLayout.TSS, Tss.table());
            PageTables.build(memory.hostSlice(GuestLayout.PAGE_TABLES, PageTables.size(layout.memorySize())),
                    GuestLayout.PAGE_TABLES, layout.memorySize(), page -> {
                        long address = page * GuestLayout.PAGE;
                        long first = layout.imageStart() & -GuestLayout.PAGE;
                        if (address >= first && address < layout.imageEnd()) {
                            return imagePages[(int) ((address - first) / GuestLayout.PAGE)];
                        }
                        return layout.permissionOutsideImage(address);
                    });
            for (ElfImage.Segment s : elf.segments()) {
                copy(memory, s.vaddr(), elf.contents(s));
            }
            copy(memory, stack.address(), stack.bytes());
            if (files.length > 0) {
                copy(memory, layout.fsImage(), files);
            }
        };
        return new BootImage(layout.memorySize(), writer, elf.entry(), stack.address(),
                GuestLayout.PAGE_TABLES, GuestLayout.GDT, GuestLayout.TSS);
    }

    /** Each image page gets the union of the permissions of the segments on it. */
    private static PagePermission[] imagePermissions(ElfImage elf, GuestLayout layout) {
        long first = layout.imageStart() & -GuestLayout.PAGE;
        PagePermission[] pages = new PagePermission[(int) ((GuestLayout.pageUp(layout.imageEnd()) - first) / GuestLayout.PAGE)];
        Arrays.fill(pages, PagePermission.NONE);
        for (ElfImage.Segment s : elf.segments()) {
            for (long a = s.vaddr() & -GuestLayout.PAGE; a < s.end(); a += GuestLayout.PAGE) {
                int i = (int) ((a - first) / GuestLayout.PAGE);
                pages[i] = pages[i].union(s.permission());
            }
        }
        return pages;
    }

    private static void writeBootInfo(MemorySegment info, GuestLayout layout, int flags, long tscKhz, byte[] entropy) {
        info.set(JAVA_LONG, field("magic"), Abi.BOOT_MAGIC);
        info.set(JAVA_INT, field("abi_version"), Abi.VERSION);
        info.set(JAVA_INT, field("flags"), flags);
        info.set(JAVA_LONG, field("mem_size"), layout.memorySize());
        info.set(JAVA_LONG, field("heap_start"), layout.heapStart());
        info.set(JAVA_LONG, field("mmap_top"), layout.mmapTop());
        info.set(JAVA_LONG, field("io_base"), layout.ioBase());
        info.set(JAVA_LONG, field("io_size"), layout.ioSize());
        info.set(JAVA_LONG, field("stack_low"), layout.stackLow());
        info.set(JAVA_LONG, field("stack_high"), layout.stackHigh());
        info.set(JAVA_LONG, field("fs_image"), layout.fsImage());
        info.set(JAVA_LONG, field("fs_size"), layout.fsSize());
        // The clocks a "snapshot at ready" guest reads during init: deploy time.
        Instant now = Instant.now();
        info.set(JAVA_LONG, field("boot_wall_ns"), now.getEpochSecond() * 1_000_000_000L + now.getNano());
        info.set(JAVA_LONG, field("boot_mono_ns"), System.nanoTime());
        info.set(JAVA_LONG, field("tsc_khz"), tscKhz);
        MemorySegment.copy(entropy, 0, info, JAVA_BYTE, field("boot_entropy"), entropy.length);
    }

    private static long field(String name) {
        return Abi.BOOT_INFO.byteOffset(MemoryLayout.PathElement.groupElement(name));
    }

    private static void copy(GuestMemory memory, long address, byte[] bytes) {
        MemorySegment.copy(MemorySegment.ofArray(bytes), 0, memory.hostSlice(address, bytes.length), 0, bytes.length);
    }
}
