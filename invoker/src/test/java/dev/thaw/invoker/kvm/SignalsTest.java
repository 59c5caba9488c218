package dev.thaw.invoker.kvm;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

/**
 * (Without the retry, KVM_CREATE_VM fails with EINTR within the first few VMs here.)
 * A signal with a handler that reaches a thread inside a KVM ioctl other than KVM_RUN (a
 * profiler's, a sampler's) can make the kernel answer EINTR; the VMM retries instead of
 * failing a cold start.
 */
@dev.thaw.invoker.testing.KvmTest
class SignalsTest {
    /** HotSpot handles SIGPIPE (and ignores it there), so it interrupts a system call and harms nothing. */
    private static final int SIGPIPE = 13;

    @Test
    void vmsAreMadeAndClosedWhileAnotherThreadSignalsTheirThreadWithoutPause() throws Exception {
        int tid = Libc.gettid();
        AtomicBoolean done = new AtomicBoolean();
        int[] sent = {0};
        Thread signaller = Thread.ofPlatform().start(() -> {
            while (!done.get()) {
                Libc.tgkill(Libc.getpid(), tid, SIGPIPE);
                sent[0]++;
            }
        });
        int made = 0;
        try (Kvm kvm = Kvm.open(); Arena arena = Arena.ofConfined()) {
            MemorySegment memory = arena.allocate(2 << 20, 4096);
            long until = System.nanoTime() + Duration.ofSeconds(3).toNanos();
            while (System.nanoTime() < until) {
                try (Vm vm = kvm.createVm()) {
                    vm.enableManualDirtyProtect();
                    vm.mapMemory(0, 0, memory, true);
                    vm.createVcpu(0).close();
                    vm.unmapMemory(0);
                }
                made++;
            }
        } finally {
            done.set(true);
            signaller.join();
        }
        assertTrue(sent[0] > made, "the signaller sent " + sent[0] + " signals for " + made + " VMs");
        assertTrue(made > 20, "only " + made + " VMs in 3 s");
    }
}
