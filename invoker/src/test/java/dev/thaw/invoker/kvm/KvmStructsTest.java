package dev.thaw.invoker.kvm;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.thaw.invoker.testing.CProbe;
import dev.thaw.invoker.testing.LayoutProbe;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Every KVM struct laid out by hand is checked against what gcc says of {@code <linux/kvm.h>}. */
class KvmStructsTest {
    @Test
    void structsAndConstantsMatchLinuxKvmH() throws Exception {
        LayoutProbe probe = new LayoutProbe()
                .struct(KvmStructs.KVM_REGS, "kvm_regs", true, Set.of())
                .struct(KvmStructs.KVM_SEGMENT, "kvm_segment", true, Set.of())
                .struct(KvmStructs.KVM_DTABLE, "kvm_dtable", true, Set.of())
                .struct(KvmStructs.KVM_SREGS, "kvm_sregs", true, Set.of())
                .struct(KvmStructs.KVM_FPU, "kvm_fpu", true, Set.of())
                .struct(KvmStructs.KVM_USERSPACE_MEMORY_REGION, "kvm_userspace_memory_region", true, Set.of())
                .struct(KvmStructs.KVM_CPUID_ENTRY2, "kvm_cpuid_entry2", true, Set.of())
                .struct(KvmStructs.KVM_CPUID2, "kvm_cpuid2", true, Set.of())
                .struct(KvmStructs.KVM_DIRTY_LOG, "kvm_dirty_log", true, Set.of())
                .struct(KvmStructs.KVM_SIGNAL_MASK, "kvm_signal_mask", true, Set.of())
                .struct(KvmStructs.KVM_XCR, "kvm_xcr", true, Set.of())
                .struct(KvmStructs.KVM_XCRS, "kvm_xcrs", true, Set.of())
                .struct(KvmStructs.KVM_RUN, "kvm_run", false, Set.of("exit"));
        Object[][] constants = {
            {"KVM_GET_API_VERSION", KvmApi.KVM_GET_API_VERSION}, {"KVM_CREATE_VM", KvmApi.KVM_CREATE_VM},
            {"KVM_CHECK_EXTENSION", KvmApi.KVM_CHECK_EXTENSION}, {"KVM_GET_VCPU_MMAP_SIZE", KvmApi.KVM_GET_VCPU_MMAP_SIZE},
            {"KVM_GET_SUPPORTED_CPUID", KvmApi.KVM_GET_SUPPORTED_CPUID}, {"KVM_CREATE_VCPU", KvmApi.KVM_CREATE_VCPU},
            {"KVM_GET_DIRTY_LOG", KvmApi.KVM_GET_DIRTY_LOG},
            {"KVM_SET_USER_MEMORY_REGION", KvmApi.KVM_SET_USER_MEMORY_REGION}, {"KVM_RUN", KvmApi.KVM_RUN},
            {"KVM_GET_REGS", KvmApi.KVM_GET_REGS}, {"KVM_SET_REGS", KvmApi.KVM_SET_REGS},
            {"KVM_GET_SREGS", KvmApi.KVM_GET_SREGS}, {"KVM_SET_SREGS", KvmApi.KVM_SET_SREGS},
            {"KVM_SET_SIGNAL_MASK", KvmApi.KVM_SET_SIGNAL_MASK}, {"KVM_GET_FPU", KvmApi.KVM_GET_FPU},
            {"KVM_SET_FPU", KvmApi.KVM_SET_FPU}, {"KVM_SET_CPUID2", KvmApi.KVM_SET_CPUID2},
            {"KVM_GET_TSC_KHZ", KvmApi.KVM_GET_TSC_KHZ}, {"KVM_SET_XCRS", KvmApi.KVM_SET_XCRS},
            {"KVM_API_VERSION", (long) KvmApi.API_VERSION},
            {"KVM_EXIT_UNKNOWN", (long) KvmApi.KVM_EXIT_UNKNOWN}, {"KVM_EXIT_EXCEPTION", (long) KvmApi.KVM_EXIT_EXCEPTION},
            {"KVM_EXIT_IO", (long) KvmApi.KVM_EXIT_IO}, {"KVM_EXIT_HLT", (long) KvmApi.KVM_EXIT_HLT},
            {"KVM_EXIT_MMIO", (long) KvmApi.KVM_EXIT_MMIO}, {"KVM_EXIT_SHUTDOWN", (long) KvmApi.KVM_EXIT_SHUTDOWN},
            {"KVM_EXIT_FAIL_ENTRY", (long) KvmApi.KVM_EXIT_FAIL_ENTRY}, {"KVM_EXIT_INTR", (long) KvmApi.KVM_EXIT_INTR},
            {"KVM_EXIT_INTERNAL_ERROR", (long) KvmApi.KVM_EXIT_INTERNAL_ERROR},
            {"KVM_EXIT_IO_IN", (long) KvmApi.KVM_EXIT_IO_IN}, {"KVM_EXIT_IO_OUT", (long) KvmApi.KVM_EXIT_IO_OUT},
            {"KVM_CAP_GET_TSC_KHZ", (long) KvmApi.KVM_CAP_GET_TSC_KHZ}, {"KVM_CAP_SYNC_REGS", (long) KvmApi.KVM_CAP_SYNC_REGS},
            {"KVM_CAP_XCRS", (long) KvmApi.KVM_CAP_XCRS},
            {"KVM_MEM_LOG_DIRTY_PAGES", (long) KvmApi.KVM_MEM_LOG_DIRTY_PAGES},
            {"KVM_SYNC_X86_REGS", KvmApi.KVM_SYNC_X86_REGS}, {"KVM_SYNC_X86_SREGS", KvmApi.KVM_SYNC_X86_SREGS},
        };
        for (Object[] c : constants) {
            probe.constant((String) c[0], (String) c[0], (Long) c[1]);
        }
        Map<String, Long> gcc = CProbe.run(probe.program("linux/kvm.h"));
        assertEquals("", probe.mismatches(gcc));
    }
}
