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
    /** CPUID.1:ECX FMA(12) XSAVE(26) OSXSAVE(27) AVX(28) F16C(29). */
    private static final int LEAF1_ECX_HIDDEN = bits(12, 26, 27, 28, 29);
    /** CPUID.7.0:EBX AVX2(5) and AVX-512 F DQ IFMA PF ER CD BW VL. */
    private static final int LEAF7_EBX_HIDDEN = bits(5, 16, 17, 21, 26, 27, 28, 30, 31);

    private final int fd;
    private final int vcpuMmapSize;
    private final Arena arena = Arena.ofShared();
    private final MemorySegment cpuid;
    private final String cpuFingerprint;

    private Kvm(int fd) {
        this.fd = fd;
        int version = KvmException.check(Libc.ioctl(fd, KvmApi.KVM_GET_API_VERSION, 0L), "KVM_GET_API_VERSION", "");
        if (version != KvmApi.API_VERSION) {
            throw new KvmException("KVM API version " + version + ", expected " + KvmApi.API_VERSION);
        }
        for (int cap : new int[] {KvmApi.KVM_CAP_SYNC_REGS, KvmApi.KVM_CAP_GET_TSC_KHZ}) {
            if (Libc.ioctl(fd, KvmApi.KVM_CHECK_EXTENSION, cap) <= 0) {
                throw new KvmException("this KVM lacks capability " + cap + " (KVM_CAP_SYNC_REGS=74, KVM_CAP_GET_TSC_KHZ=61)");
            }
        }
        this.vcpuMmapSize = KvmException.check(Libc.ioctl(fd, KvmApi.KVM_GET_VCPU_MMAP_SIZE, 0L), "KVM_GET_VCPU_MMAP_SIZE", "");
        this.cpuid = guestCpuid();
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
     * KVM_GET_SUPPORTED_CPUID with the extended FPU state hidden: the guest runs with
     * CR4.OSXSAVE clear, so its whole FPU/SSE state is what FXSAVE/FXRSTOR cover. Hiding
     * XSAVE and AVX tells guest code what is true, the cleared CR4 bit enforces it.
     * KVM reports the APIC ID of the host CPU the ioctl ran on; the guest's one vCPU has ID 0.
     */
    private MemorySegment guestCpuid() {
        MemorySegment c = arena.allocate(KVM_CPUID2.byteSize() + MAX_CPUID_ENTRIES * ENTRY, 8);
        c.set(JAVA_INT, 0, MAX_CPUID_ENTRIES);
        KvmException.check(Libc.ioctl(fd, KvmApi.KVM_GET_SUPPORTED_CPUID, c), "KVM_GET_SUPPORTED_CPUID", "");
        int n = c.get(JAVA_INT, 0);
        int kept = 0;
        for (int i = 0; i < n; i++) {
            MemorySegment e = c.asSlice(KVM_CPUID2.byteSize() + i * ENTRY, ENTRY);
            int function = e.get(JAVA_INT, 0);
            int index = e.get(JAVA_INT, 4);
            if (function == 0xd) {
                continue; // the XSAVE leaf
            }
            if (function == 1) {
                e.set(JAVA_INT, 20, e.get(JAVA_INT, 20) & ~LEAF1_ECX_HIDDEN);
                e.set(JAVA_INT, 16, e.get(JAVA_INT, 16) & 0x00ffffff); // initial APIC ID: vCPU 0's, not the host CPU's
            }
            if (function == 0xb || function == 0x1f) {
                e.set(JAVA_INT, 24, 0); // x2APIC ID, likewise
            }
            if (function == 0x8000001e) {
                e.set(JAVA_INT, 12, 0); // extended APIC ID, likewise
            }
            if (function == 7 && index == 0) {
                e.set(JAVA_INT, 16, e.get(JAVA_INT, 16) & ~LEAF7_EBX_HIDDEN);
            }
            MemorySegment.copy(e, 0, c, KVM_CPUID2.byteSize() + kept * ENTRY, ENTRY);
            kept++;
        }
        c.set(JAVA_INT, 0, kept);
        return c.asSlice(0, KVM_CPUID2.byteSize() + kept * ENTRY);
    }

    private static int bits(int... positions) {
        int mask = 0;
        for (int p : positions) {
            mask |= 1 << p;
        }
        return mask;
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
