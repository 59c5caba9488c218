package dev.thaw.snapshotter;

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
import java.util.Arrays;

/** Turns a function binary and its manifest into a guest ready to boot. */
final class GuestImage {
    private GuestImage() {}

    static BootImage of(ElfImage elf, Manifest manifest) throws ElfImage.InvalidElfException {
        GuestLayout layout = GuestLayout.of(manifest.memoryMb(), elf.start(), elf.end());
        byte[] random = new byte[16];
        new SecureRandom().nextBytes(random);
        InitialStack.Built stack = InitialStack.build(layout.stackHigh(), manifest.name(), manifest.env(), elf, random);
        PagePermission[] imagePages = imagePermissions(elf, layout);
        BootImage.MemoryWriter writer = memory -> {
            writeBootInfo(memory.hostSlice(GuestLayout.BOOT_INFO, Abi.BOOT_INFO.byteSize()), layout);
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

    private static void writeBootInfo(MemorySegment info, GuestLayout layout) {
        info.set(JAVA_LONG, field("magic"), Abi.BOOT_MAGIC);
        info.set(JAVA_INT, field("abi_version"), Abi.VERSION);
        info.set(JAVA_INT, field("flags"), 0);
        info.set(JAVA_LONG, field("mem_size"), layout.memorySize());
        info.set(JAVA_LONG, field("heap_start"), layout.heapStart());
        info.set(JAVA_LONG, field("mmap_top"), layout.mmapTop());
        info.set(JAVA_LONG, field("io_base"), layout.ioBase());
        info.set(JAVA_LONG, field("io_size"), layout.ioSize());
        info.set(JAVA_LONG, field("stack_low"), layout.stackLow());
        info.set(JAVA_LONG, field("stack_high"), layout.stackHigh());
    }

    private static long field(String name) {
        return Abi.BOOT_INFO.byteOffset(MemoryLayout.PathElement.groupElement(name));
    }

    private static void copy(GuestMemory memory, long address, byte[] bytes) {
        MemorySegment.copy(MemorySegment.ofArray(bytes), 0, memory.hostSlice(address, bytes.length), 0, bytes.length);
    }
}
