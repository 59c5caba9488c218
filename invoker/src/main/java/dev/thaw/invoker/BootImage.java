package dev.thaw.invoker;

import dev.thaw.invoker.kvm.GuestMemory;

/**
 * A guest ready to boot: how much RAM, what to put in it, and where the CPU starts. The
 * snapshotter builds it (ELF, page tables, GDT, stack); the engine runs it.
 *
 * @param pageTableRoot CR3: guest address of the PML4
 * @param gdtBase       guest address of the GDT from {@link dev.thaw.invoker.machine.Gdt#table}
 * @param tssBase       guest address of the TSS from {@link dev.thaw.invoker.machine.Tss#table}
 */
public record BootImage(long memorySize, MemoryWriter writer, long entry, long stackPointer,
                        long pageTableRoot, long gdtBase, long tssBase) {

    /** Fills zeroed guest RAM before the first instruction. */
    @FunctionalInterface
    public interface MemoryWriter {
        void write(GuestMemory memory);
    }
}
