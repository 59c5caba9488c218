package dev.thaw.invoker.snapshot;

/**
 * The vCPU and machine state of a guest stopped at its snapshot point, as stored next to
 * its memory. Register blobs are the kernel's kvm_regs, kvm_sregs and kvm_fpu, byte for byte.
 *
 * @param memorySize    bytes of guest RAM (the memory file's size)
 * @param recvArgs      guest address of the struct thaw_recv the stopped guest waits on
 * @param cpuFingerprint the CPUID fingerprint of the host that built it ({@code Kvm.cpuFingerprint()})
 * @param regs          RIP already past the recv hypercall's {@code out}
 */
public record SnapshotState(long memorySize, long recvArgs, String cpuFingerprint,
                            byte[] regs, byte[] sregs, byte[] fpu) {}
