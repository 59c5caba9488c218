package dev.thaw.invoker.kvm;

/** Why KVM_RUN returned: a closed set, decoded once from kvm_run, handled by exhaustive switches. */
public sealed interface VmExit {
    /** Port I/O: a hypercall when it is an {@code out} of 4 bytes, count 1. */
    record Io(boolean out, int port, int size, int count, long value) implements VmExit {}

    /** An access to a guest-physical address that no memory slot backs. */
    record Mmio(long address, boolean write, int length) implements VmExit {}

    /** Triple fault: with no IDT, any guest exception ends here. */
    record Shutdown() implements VmExit {}

    record Halt() implements VmExit {}

    record FailEntry(long hardwareReason) implements VmExit {}

    record InternalError(int suberror) implements VmExit {}

    /** KVM_RUN returned EINTR: the vCPU was kicked (a timeout, usually). */
    record Interrupted() implements VmExit {}

    record Other(int reason) implements VmExit {}
}
