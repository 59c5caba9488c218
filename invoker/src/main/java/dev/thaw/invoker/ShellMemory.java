package dev.thaw.invoker;

/**
 * What one warm shell costs the host in memory, estimated: the memory budget counts shells
 * with it. Nothing in user space can read the kernel's share of one VM, so this is a model
 * fitted to what {@code ./bench} measures on this project's PVM hosts (docs/BENCHMARKS.md,
 * figure (d), and the bare-VM table below it):
 *
 * <ul>
 * <li>{@link #PER_VM}: the kernel's per-VM and per-vCPU structures (slab, the VM's kernel
 *     thread stack, shadow page tables, KVM's per-vCPU MMU caches), the kvm_run mapping and
 *     the shell's Java objects. Measured 302-649 KiB per idle shell of a 16 MiB guest, of which
 *     the kernel's counters account for ~314 KiB; the rest (MMU caches) varies.</li>
 * <li>{@link #PER_GUEST_MIB}: KVM's reverse map of the memory slot, about 2.5 KiB per MiB of
 *     guest memory (file image included).</li>
 * <li>4 KiB per page the shell keeps private: the copy-back reset keeps each page an
 *     invocation wrote as a private copy (at most {@link Shell#COPY_BACK_LIMIT} of them).</li>
 * </ul>
 * The snapshot's own pages are page cache shared by every shell and are not counted.
 */
public final class ShellMemory {
    public static final long PER_VM = 400L * 1024;
    public static final long PER_GUEST_MIB = 2560;
    static final long PAGE = 4096;

    private ShellMemory() {}

    /** The estimate for a shell of a guest of {@code guestBytes} that keeps {@code privatePages} written pages. */
    public static long estimate(long guestBytes, int privatePages) {
        return PER_VM + (guestBytes >> 20) * PER_GUEST_MIB + privatePages * PAGE;
    }
}
