package dev.thaw.invoker.kvm;

import static dev.thaw.invoker.kvm.KvmStructs.KVM_CLEAR_DIRTY_LOG;
import static dev.thaw.invoker.kvm.KvmStructs.KVM_DIRTY_LOG;
import static dev.thaw.invoker.kvm.KvmStructs.KVM_ENABLE_CAP;
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
    private final MemorySegment clearLogArg = arena.allocate(KVM_CLEAR_DIRTY_LOG);
    private boolean manualProtect;

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
     * Makes {@link #dirtyLog} only read the log: a page stays marked, and writable without a
     * fault, until {@link #clearDirtyLog} clears its bit (KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2).
     * Call before any dirty-logged slot is made; false when this KVM cannot.
     */
    public boolean enableManualDirtyProtect() {
        if (Libc.ioctl(fd, KvmApi.KVM_CHECK_EXTENSION, KvmApi.KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2) <= 0) {
            return false;
        }
        try (Arena a = Arena.ofConfined()) {
            MemorySegment cap = a.allocate(KVM_ENABLE_CAP);
            cap.set(JAVA_INT, 0, KvmApi.KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2);
            cap.set(JAVA_LONG, 8, KvmApi.KVM_DIRTY_LOG_MANUAL_PROTECT_ENABLE);
            KvmException.check(Libc.ioctl(fd, KvmApi.KVM_ENABLE_CAP, cap), "KVM_ENABLE_CAP", "MANUAL_DIRTY_LOG_PROTECT2");
        }
        manualProtect = true;
        return true;
    }

    /** Whether {@link #enableManualDirtyProtect} took effect. */
    public boolean manualDirtyProtect() {
        return manualProtect;
    }

    /**
     * Clears the marks of the pages set in {@code bitmap} (pages {@code 0 .. pages-1} of
     * {@code slot}) and write-protects those pages again, so their next write is seen. Only
     * with {@link #enableManualDirtyProtect}.
     */
    public void clearDirtyLog(int slot, MemorySegment bitmap, long pages) {
        clearLogArg.set(JAVA_INT, 0, slot);
        clearLogArg.set(JAVA_INT, 4, (int) pages);
        clearLogArg.set(JAVA_LONG, 8, 0L);
        clearLogArg.set(JAVA_LONG, 16, bitmap.address());
        KvmException.check(Libc.ioctl(fd, KvmApi.KVM_CLEAR_DIRTY_LOG, clearLogArg), "KVM_CLEAR_DIRTY_LOG", "slot " + slot);
    }

    /**
     * Fills {@code bitmap} with the pages of {@code slot} the guest wrote since the last call
     * (one bit per 4 KiB page) and write-protects them again, so the next write is seen too.
     * With {@link #enableManualDirtyProtect}: the pages marked now, not cleared or protected.
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
