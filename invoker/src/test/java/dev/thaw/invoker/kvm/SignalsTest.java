package dev.thaw.invoker.kvm;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A signal with a handler that reaches a thread inside a KVM ioctl other than KVM_RUN (a
 * profiler's, a sampler's) can make the kernel answer EINTR; the VMM retries instead of
 * failing a cold start.
 */
@dev.thaw.invoker.testing.KvmTest
class SignalsTest {
    /** HotSpot handles SIGPIPE (and ignores it there), so it interrupts a system call and harms nothing. */
    private static final int SIGPIPE = 13;

    /**
     * How long VMs are made under the flood: without the retry, KVM_CREATE_VM answers EINTR
     * within the first few dozen VMs here, and a quiet machine makes ~50 a second (a loaded
     * one a few), so the time, not a count, is what bounds the test.
     */
    private static final Duration FLOOD = Duration.ofSeconds(5);

    @Test
    @Timeout(120)
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
            long until = System.nanoTime() + FLOOD.toNanos();
            for (; System.nanoTime() < until; made++) {
                try (Vm vm = kvm.createVm()) {
                    vm.enableManualDirtyProtect();
                    vm.mapMemory(0, 0, memory, true);
                    vm.createVcpu(0).close();
                    vm.unmapMemory(0);
                }
            }
        } finally {
            done.set(true);
            signaller.join();
        }
        assertTrue(sent[0] > made, "the signaller sent " + sent[0] + " signals while " + made + " VMs were made");
    }
}
