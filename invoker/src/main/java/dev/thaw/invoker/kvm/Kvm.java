package dev.thaw.invoker.kvm;

import static dev.thaw.invoker.kvm.KvmStructs.KVM_CPUID2;
import static dev.thaw.invoker.kvm.KvmStructs.KVM_CPUID_ENTRY2;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * The host's KVM: {@code /dev/kvm}, the CPUID every guest gets, and VM creation.
 * Thread-safe; one per process is enough.
 */
public final class Kvm implements AutoCloseable {
    private static final int MAX_CPUID_ENTRIES = 256;
    private static final long ENTRY = KVM_CPUID_ENTRY2.byteSize();
    private static final long XCR0_X87_SSE = 0x3;

    private final int fd;
    private final int vcpuMmapSize;
    private final Arena arena = Arena.ofShared();
    private final MemorySegment cpuid;
    private final long supportedXcr0;
    private final String cpuFingerprint;

    private Kvm(int fd) {
        this.fd = fd;
        int version = KvmException.check(Libc.ioctl(fd, KvmApi.KVM_GET_API_VERSION, 0L), "KVM_GET_API_VERSION", "");
        if (version != KvmApi.API_VERSION) {
            throw new KvmException("KVM API version " + version + ", expected " + KvmApi.API_VERSION);
        }
        for (int cap : new int[] {KvmApi.KVM_CAP_SYNC_REGS, KvmApi.KVM_CAP_GET_TSC_KHZ, KvmApi.KVM_CAP_XCRS}) {
            if (Libc.ioctl(fd, KvmApi.KVM_CHECK_EXTENSION, cap) <= 0) {
                throw new KvmException("this KVM lacks capability " + cap
                        + " (KVM_CAP_SYNC_REGS=74, KVM_CAP_GET_TSC_KHZ=61, KVM_CAP_XCRS=56)");
            }
        }
        this.vcpuMmapSize = KvmException.check(Libc.ioctl(fd, KvmApi.KVM_GET_VCPU_MMAP_SIZE, 0L), "KVM_GET_VCPU_MMAP_SIZE", "");
        this.cpuid = guestCpuid();
        this.supportedXcr0 = supportedXcr0(cpuid);
        if ((supportedXcr0 & XCR0_X87_SSE) != XCR0_X87_SSE) {
            throw new KvmException("this KVM offers guests no XSAVE (XCR0 0x" + Long.toHexString(supportedXcr0)
                    + "); Thaw's guests need it to reset their vector registers between invocations");
        }
        this.cpuFingerprint = fingerprint(cpuid);
    }

    /** Opens /dev/kvm; throws KvmException when it is missing or unusable. */
    public static Kvm open() {
        try (Arena a = Arena.ofConfined()) {
            int fd = KvmException.check(Libc.open(a.allocateFrom("/dev/kvm"), Libc.O_RDWR | Libc.O_CLOEXEC), "open", "/dev/kvm");
            return new Kvm(fd);
        }
    }

    /** Why KVM cannot be used here, or null when it can. */
    public static String unavailableReason() {
        if (!Files.exists(Path.of("/dev/kvm"))) {
            return "/dev/kvm does not exist";
        }
        try (Kvm kvm = open()) {
            return null;
        } catch (KvmException e) {
            return e.getMessage();
        }
    }


    /**
     * KVM_GET_SUPPORTED_CPUID as it is: the guest is told the truth about XSAVE, AVX, AVX-512
     * and the rest, and its XCR0 ({@link #supportedXcr0()}) enables all of it. On PVM the
     * guest's CPUID instruction is not intercepted and its XCR0 is the host's, so it sees and
     * runs with the hardware's features whatever this table says; on VMX/SVM this table and
     * XCR0 are what it gets. Hiding features would only make the two hosts disagree; the
     * guest resets every enabled component itself on each resume (XRSTOR, see io.c).
     * Only the APIC IDs change: KVM reports the one of the host CPU the ioctl ran on, and the
     * guest's one vCPU has ID 0 (otherwise the fingerprint changed from thread to thread).
     */
    private MemorySegment guestCpuid() {
        MemorySegment c = arena.allocate(KVM_CPUID2.byteSize() + MAX_CPUID_ENTRIES * ENTRY, 8);
        c.set(JAVA_INT, 0, MAX_CPUID_ENTRIES);
        KvmException.check(Libc.ioctl(fd, KvmApi.KVM_GET_SUPPORTED_CPUID, c), "KVM_GET_SUPPORTED_CPUID", "");
        int n = c.get(JAVA_INT, 0);
        for (int i = 0; i < n; i++) {
            MemorySegment e = entry(c, i);
            int function = e.get(JAVA_INT, 0);
            if (function == 1) {
                e.set(JAVA_INT, 16, e.get(JAVA_INT, 16) & 0x00ffffff); // initial APIC ID
            }
            if (function == 0xb || function == 0x1f) {
                e.set(JAVA_INT, 24, 0); // x2APIC ID
            }
            if (function == 0x8000001e) {
                e.set(JAVA_INT, 12, 0); // extended APIC ID
            }
        }
        return c.asSlice(0, KVM_CPUID2.byteSize() + n * ENTRY);
    }

    private static MemorySegment entry(MemorySegment cpuid, int i) {
        return cpuid.asSlice(KVM_CPUID2.byteSize() + i * ENTRY, ENTRY);
    }

    /**
     * The XCR0 KVM can give a guest: CPUID leaf 0xD sub-leaf 0, EDX:EAX, or 0 without that
     * leaf (no XSAVE). Without AMX unless the process asked Linux for it (Thaw does not).
     */
    private static long supportedXcr0(MemorySegment cpuid) {
        int n = cpuid.get(JAVA_INT, 0);
        for (int i = 0; i < n; i++) {
            MemorySegment e = entry(cpuid, i);
            if (e.get(JAVA_INT, 0) == 0xd && e.get(JAVA_INT, 4) == 0) {
                return (e.get(JAVA_INT, 12) & 0xffffffffL) | (long) e.get(JAVA_INT, 24) << 32;
            }
        }
        return 0;
    }

    private static String fingerprint(MemorySegment cpuid) {
        try {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            sha.update(cpuid.toArray(JAVA_BYTE));
            return HexFormat.of().formatHex(sha.digest()).substring(0, 32);
        } catch (NoSuchAlgorithmException e) {
            throw new AssertionError(e);
        }
    }

    /** Identifies the CPU features guests see on this host; a snapshot runs only where it matches. */
    public String cpuFingerprint() {
        return cpuFingerprint;
    }

    MemorySegment cpuid() {
        return cpuid;
    }

    /** The XCR0 every vCPU gets: every state component KVM supports here. */
    public long supportedXcr0() {
        return supportedXcr0;
    }

    int vcpuMmapSize() {
        return vcpuMmapSize;
    }

    public Vm createVm() {
        int vm = KvmException.check(Libc.ioctl(fd, KvmApi.KVM_CREATE_VM, 0L), "KVM_CREATE_VM", "");
        return new Vm(this, vm);
    }

    @Override
    public void close() {
        Libc.close(fd);
        arena.close();
    }
}
