package dev.thaw.invoker.kvm;

import static dev.thaw.invoker.kvm.KvmStructs.KVM_CPUID2;
import static dev.thaw.invoker.kvm.KvmStructs.KVM_DIRTY_LOG;
import static dev.thaw.invoker.kvm.KvmStructs.KVM_FPU;
import static dev.thaw.invoker.kvm.KvmStructs.KVM_REGS;
import static dev.thaw.invoker.kvm.KvmStructs.KVM_SIGNAL_MASK;
import static dev.thaw.invoker.kvm.KvmStructs.KVM_SREGS;
import static dev.thaw.invoker.kvm.KvmStructs.KVM_USERSPACE_MEMORY_REGION;
import static dev.thaw.invoker.kvm.KvmStructs.KVM_XCRS;

/**
 * The numbers of the KVM API: ioctl requests (encoded like the kernel's _IO/_IOR/_IOW macros,
 * from the struct sizes in {@link KvmStructs}), exit reasons, capabilities and flags.
 * KvmStructsTest checks each against {@code <linux/kvm.h>}.
 */
public final class KvmApi {
    private KvmApi() {}

    private static final int KVMIO = 0xAE;

    private static long ioc(int dir, int nr, long size) {
        return ((long) dir << 30) | (size << 16) | ((long) KVMIO << 8) | nr;
    }

    private static long io(int nr) { return ioc(0, nr, 0); }
    private static long iow(int nr, long size) { return ioc(1, nr, size); }
    private static long ior(int nr, long size) { return ioc(2, nr, size); }
    private static long iowr(int nr, long size) { return ioc(3, nr, size); }

    public static final int API_VERSION = 12;

    public static final long KVM_GET_API_VERSION = io(0x00);
    public static final long KVM_CREATE_VM = io(0x01);
    public static final long KVM_CHECK_EXTENSION = io(0x03);
    public static final long KVM_GET_VCPU_MMAP_SIZE = io(0x04);
    public static final long KVM_GET_SUPPORTED_CPUID = iowr(0x05, KVM_CPUID2.byteSize());
    public static final long KVM_CREATE_VCPU = io(0x41);
    public static final long KVM_GET_DIRTY_LOG = iow(0x42, KVM_DIRTY_LOG.byteSize());
    public static final long KVM_SET_USER_MEMORY_REGION = iow(0x46, KVM_USERSPACE_MEMORY_REGION.byteSize());
    public static final long KVM_RUN = io(0x80);
    public static final long KVM_GET_REGS = ior(0x81, KVM_REGS.byteSize());
    public static final long KVM_SET_REGS = iow(0x82, KVM_REGS.byteSize());
    public static final long KVM_GET_SREGS = ior(0x83, KVM_SREGS.byteSize());
    public static final long KVM_SET_SREGS = iow(0x84, KVM_SREGS.byteSize());
    public static final long KVM_SET_SIGNAL_MASK = iow(0x8b, KVM_SIGNAL_MASK.byteSize());
    public static final long KVM_GET_FPU = ior(0x8c, KVM_FPU.byteSize());
    public static final long KVM_SET_FPU = iow(0x8d, KVM_FPU.byteSize());
    public static final long KVM_SET_CPUID2 = iow(0x90, KVM_CPUID2.byteSize());
    public static final long KVM_GET_TSC_KHZ = io(0xa3);
    public static final long KVM_SET_XCRS = iow(0xa7, KVM_XCRS.byteSize());
    public static final long KVM_ENABLE_CAP = iow(0xa3, KvmStructs.KVM_ENABLE_CAP.byteSize());
    public static final long KVM_CLEAR_DIRTY_LOG = iowr(0xc0, KvmStructs.KVM_CLEAR_DIRTY_LOG.byteSize());

    public static final int KVM_EXIT_UNKNOWN = 0;
    public static final int KVM_EXIT_EXCEPTION = 1;
    public static final int KVM_EXIT_IO = 2;
    public static final int KVM_EXIT_HLT = 5;
    public static final int KVM_EXIT_MMIO = 6;
    public static final int KVM_EXIT_SHUTDOWN = 8;
    public static final int KVM_EXIT_FAIL_ENTRY = 9;
    public static final int KVM_EXIT_INTR = 10;
    public static final int KVM_EXIT_INTERNAL_ERROR = 17;

    public static final int KVM_EXIT_IO_IN = 0;
    public static final int KVM_EXIT_IO_OUT = 1;

    public static final int KVM_CAP_XCRS = 56;
    public static final int KVM_CAP_GET_TSC_KHZ = 61;
    public static final int KVM_CAP_SYNC_REGS = 74;
    public static final int KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2 = 168;
    public static final long KVM_DIRTY_LOG_MANUAL_PROTECT_ENABLE = 1;

    public static final int KVM_MEM_LOG_DIRTY_PAGES = 1;

    public static final long KVM_SYNC_X86_REGS = 1;
    public static final long KVM_SYNC_X86_SREGS = 2;
}
