package dev.thaw.invoker.kvm;

import static dev.thaw.invoker.kvm.KvmStructs.KVM_FPU;
import static dev.thaw.invoker.kvm.KvmStructs.KVM_REGS;
import static dev.thaw.invoker.kvm.KvmStructs.KVM_RUN;
import static dev.thaw.invoker.kvm.KvmStructs.KVM_SIGNAL_MASK;
import static dev.thaw.invoker.kvm.KvmStructs.KVM_SREGS;
import static dev.thaw.invoker.kvm.KvmStructs.KVM_XCRS;
import static dev.thaw.invoker.kvm.KvmStructs.offset;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_INT_UNALIGNED;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

import java.lang.foreign.Arena;
import java.lang.foreign.MemoryLayout.PathElement;
import java.lang.foreign.MemorySegment;

/**
 * One virtual CPU and its shared kvm_run page. Not thread-safe: KVM binds a vCPU to the
 * thread that runs it, and moving it to another thread costs a synchronize_rcu() (ms), so
 * each vCPU is only ever run by one runner thread.
 */
public final class Vcpu implements AutoCloseable {
    private static final long EXIT_REASON = offset(KVM_RUN, "exit_reason");
    private static final long VALID_REGS = offset(KVM_RUN, "kvm_valid_regs");
    private static final long DIRTY_REGS = offset(KVM_RUN, "kvm_dirty_regs");
    private static final long SYNC_REGS = offset(KVM_RUN, "s", "regs", "regs");
    private static final long SYNC_SREGS = offset(KVM_RUN, "s", "regs", "sregs");
    private static final long IO_DIRECTION = offset(KVM_RUN, "exit", "io", "direction");
    private static final long IO_SIZE = offset(KVM_RUN, "exit", "io", "size");
    private static final long IO_PORT = offset(KVM_RUN, "exit", "io", "port");
    private static final long IO_COUNT = offset(KVM_RUN, "exit", "io", "count");
    private static final long IO_DATA_OFFSET = offset(KVM_RUN, "exit", "io", "data_offset");
    private static final long MMIO_ADDRESS = offset(KVM_RUN, "exit", "mmio", "phys_addr");
    private static final long MMIO_LEN = offset(KVM_RUN, "exit", "mmio", "len");
    private static final long MMIO_IS_WRITE = offset(KVM_RUN, "exit", "mmio", "is_write");
    private static final long FAIL_ENTRY_REASON = offset(KVM_RUN, "exit", "fail_entry", "hardware_entry_failure_reason");
    private static final long INTERNAL_SUBERROR = offset(KVM_RUN, "exit", "internal", "suberror");
    private static final long XCR0_VALUE = KVM_XCRS.byteOffset(PathElement.groupElement("xcrs"),
            PathElement.sequenceElement(0), PathElement.groupElement("value"));

    private final int fd;
    private final MemorySegment run;
    private final String name;

    Vcpu(Kvm kvm, int fd, int id) {
        this.fd = fd;
        this.name = "vcpu " + id;
        MemorySegment address = Libc.mmap(kvm.vcpuMmapSize(), Libc.PROT_READ | Libc.PROT_WRITE, Libc.MAP_SHARED, fd, 0);
        if (address.address() == Libc.MAP_FAILED) {
            int errno = Libc.errno();
            Libc.close(fd);
            throw new KvmException("mmap(kvm_run)", errno, name);
        }
        this.run = address.reinterpret(kvm.vcpuMmapSize());
        try {
            KvmException.check(Libc.ioctl(fd, KvmApi.KVM_SET_CPUID2, kvm.cpuid()), "KVM_SET_CPUID2", name);
            setXcr0(kvm.supportedXcr0());
        } catch (KvmException e) {
            close();
            throw e;
        }
        run.set(JAVA_LONG, VALID_REGS, 0L); // nothing is copied out on exit; reads are explicit
    }

    public void getRegs(MemorySegment regs) { ioctl(KvmApi.KVM_GET_REGS, regs, "KVM_GET_REGS"); }
    public void setRegs(MemorySegment regs) { ioctl(KvmApi.KVM_SET_REGS, regs, "KVM_SET_REGS"); }
    public void getSregs(MemorySegment sregs) { ioctl(KvmApi.KVM_GET_SREGS, sregs, "KVM_GET_SREGS"); }
    public void setSregs(MemorySegment sregs) { ioctl(KvmApi.KVM_SET_SREGS, sregs, "KVM_SET_SREGS"); }
    public void getFpu(MemorySegment fpu) { ioctl(KvmApi.KVM_GET_FPU, fpu, "KVM_GET_FPU"); }
    public void setFpu(MemorySegment fpu) { ioctl(KvmApi.KVM_SET_FPU, fpu, "KVM_SET_FPU"); }

    /**
     * XCR0, the XSAVE components the guest may use (a new vCPU has x87 only). Set after
     * CPUID, which KVM checks it against. On PVM the guest runs with the host's XCR0 anyway.
     */
    private void setXcr0(long xcr0) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment xcrs = a.allocate(KVM_XCRS);
            xcrs.set(JAVA_INT, offset(KVM_XCRS, "nr_xcrs"), 1);
            xcrs.set(JAVA_LONG, XCR0_VALUE, xcr0); // xcrs[0].xcr stays 0: XCR0
            KvmException.check(Libc.ioctl(fd, KvmApi.KVM_SET_XCRS, xcrs), "KVM_SET_XCRS",
                    name + ", XCR0 0x" + Long.toHexString(xcr0));
        }
    }

    public long tscKhz() {
        return KvmException.check(Libc.ioctl(fd, KvmApi.KVM_GET_TSC_KHZ, 0L), "KVM_GET_TSC_KHZ", name);
    }

    /** The signal mask in force while this vCPU is in KVM_RUN (8 bytes of kernel sigset). */
    public void setSignalMask(MemorySegment kernelSigset) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment m = a.allocate(KVM_SIGNAL_MASK.byteSize() + kernelSigset.byteSize(), 4);
            m.set(JAVA_INT, 0, (int) kernelSigset.byteSize());
            MemorySegment.copy(kernelSigset, 0, m, KVM_SIGNAL_MASK.byteSize(), kernelSigset.byteSize());
            ioctl(KvmApi.KVM_SET_SIGNAL_MASK, m, "KVM_SET_SIGNAL_MASK");
        }
    }

    /**
     * Loads general and segment registers on the next KVM_RUN through the kvm_run page
     * (KVM_CAP_SYNC_REGS): two memory copies instead of two ioctls of about 3 us each.
     */
    public void loadOnEntry(MemorySegment regs, MemorySegment sregs) {
        MemorySegment.copy(regs, 0, run, SYNC_REGS, KVM_REGS.byteSize());
        MemorySegment.copy(sregs, 0, run, SYNC_SREGS, KVM_SREGS.byteSize());
        run.set(JAVA_LONG, DIRTY_REGS, KvmApi.KVM_SYNC_X86_REGS | KvmApi.KVM_SYNC_X86_SREGS);
    }

    /** Runs the guest until it exits to us, and says why. */
    public VmExit run() {
        if (Libc.ioctlOnce(fd, KvmApi.KVM_RUN, 0L) == -1) {
            int errno = Libc.errno();
            if (errno == Libc.EINTR || errno == Libc.EAGAIN) {
                return new VmExit.Interrupted();
            }
            throw new KvmException("KVM_RUN", errno, name);
        }
        int reason = run.get(JAVA_INT, EXIT_REASON);
        return switch (reason) {
            case KvmApi.KVM_EXIT_IO -> {
                boolean out = run.get(JAVA_BYTE, IO_DIRECTION) == KvmApi.KVM_EXIT_IO_OUT;
                int size = run.get(JAVA_BYTE, IO_SIZE) & 0xff;
                int port = run.get(JAVA_SHORT, IO_PORT) & 0xffff;
                int count = run.get(JAVA_INT, IO_COUNT);
                long dataOffset = run.get(JAVA_LONG, IO_DATA_OFFSET);
                long value = 0;
                if (out && size == 4 && dataOffset >= 0 && dataOffset <= run.byteSize() - 4) {
                    value = run.get(JAVA_INT_UNALIGNED, dataOffset) & 0xffffffffL;
                }
                yield new VmExit.Io(out, port, size, count, value);
            }
            case KvmApi.KVM_EXIT_MMIO -> new VmExit.Mmio(run.get(JAVA_LONG, MMIO_ADDRESS),
                    run.get(JAVA_BYTE, MMIO_IS_WRITE) != 0, run.get(JAVA_INT, MMIO_LEN));
            case KvmApi.KVM_EXIT_SHUTDOWN -> new VmExit.Shutdown();
            case KvmApi.KVM_EXIT_HLT -> new VmExit.Halt();
            case KvmApi.KVM_EXIT_FAIL_ENTRY -> new VmExit.FailEntry(run.get(JAVA_LONG, FAIL_ENTRY_REASON));
            case KvmApi.KVM_EXIT_INTERNAL_ERROR -> new VmExit.InternalError(run.get(JAVA_INT, INTERNAL_SUBERROR));
            case KvmApi.KVM_EXIT_INTR -> new VmExit.Interrupted();
            default -> new VmExit.Other(reason);
        };
    }

    private void ioctl(long request, MemorySegment arg, String operation) {
        KvmException.check(Libc.ioctl(fd, request, arg), operation, name);
    }

    @Override
    public void close() {
        Libc.munmap(run, run.byteSize());
        Libc.close(fd);
    }

    /** Sizes of the state blobs, for callers that allocate them. */
    public static final long REGS_BYTES = KVM_REGS.byteSize();
    public static final long SREGS_BYTES = KVM_SREGS.byteSize();
    public static final long FPU_BYTES = KVM_FPU.byteSize();
}
