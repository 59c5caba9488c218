package dev.thaw.invoker.kvm;

import static dev.thaw.invoker.kvm.KvmStructs.KVM_DIRTY_LOG;
import static dev.thaw.invoker.kvm.KvmStructs.KVM_USERSPACE_MEMORY_REGION;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/** One KVM virtual machine: its memory slots, its vCPU, its dirty log. Confined to one owner. */
public final class Vm implements AutoCloseable {
    private final Kvm kvm;
    private final int fd;
    private final Arena arena = Arena.ofShared();
    private final MemorySegment dirtyLogArg = arena.allocate(KVM_DIRTY_LOG);

    Vm(Kvm kvm, int fd) {
        this.kvm = kvm;
        this.fd = fd;
    }

    /** Backs guest-physical [guestAddress, guestAddress + host size) with host memory. */
    public void mapMemory(int slot, long guestAddress, MemorySegment host, boolean logDirtyPages) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment r = a.allocate(KVM_USERSPACE_MEMORY_REGION);
            r.set(JAVA_INT, 0, slot);
            r.set(JAVA_INT, 4, logDirtyPages ? KvmApi.KVM_MEM_LOG_DIRTY_PAGES : 0);
            r.set(JAVA_LONG, 8, guestAddress);
            r.set(JAVA_LONG, 16, host.byteSize());
            r.set(JAVA_LONG, 24, host.address());
            KvmException.check(Libc.ioctl(fd, KvmApi.KVM_SET_USER_MEMORY_REGION, r),
                    "KVM_SET_USER_MEMORY_REGION", "slot " + slot);
        }
    }

    /**
     * Deletes a memory slot: KVM drops every mapping of it, and every shadow page of a guest
     * page table in it, so nothing the guest's old memory set up survives.
     */
    public void unmapMemory(int slot) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment r = a.allocate(KVM_USERSPACE_MEMORY_REGION);
            r.set(JAVA_INT, 0, slot); // memory_size 0: delete
            KvmException.check(Libc.ioctl(fd, KvmApi.KVM_SET_USER_MEMORY_REGION, r),
                    "KVM_SET_USER_MEMORY_REGION", "deleting slot " + slot);
        }
    }

    /**
     * Fills {@code bitmap} with the pages of {@code slot} the guest wrote since the last call
     * (one bit per 4 KiB page) and write-protects them again, so the next write is seen too.
     */
    public void dirtyLog(int slot, MemorySegment bitmap) {
        dirtyLogArg.set(JAVA_INT, 0, slot);
        dirtyLogArg.set(JAVA_LONG, 8, bitmap.address());
        KvmException.check(Libc.ioctl(fd, KvmApi.KVM_GET_DIRTY_LOG, dirtyLogArg), "KVM_GET_DIRTY_LOG", "slot " + slot);
    }

    public Vcpu createVcpu(int id) {
        int vcpu = KvmException.check(Libc.ioctl(fd, KvmApi.KVM_CREATE_VCPU, id), "KVM_CREATE_VCPU", "vcpu " + id);
        return new Vcpu(kvm, vcpu, id);
    }

    @Override
    public void close() {
        Libc.close(fd);
        arena.close();
    }
}
