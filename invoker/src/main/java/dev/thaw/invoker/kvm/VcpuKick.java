package dev.thaw.invoker.kvm;

import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * Stops a guest that runs past its deadline: a SIGURG sent to the thread in KVM_RUN makes
 * KVM_RUN return EINTR.
 *
 * <p>Runner threads block SIGURG, and each vCPU's KVM_SET_SIGNAL_MASK unblocks it only while
 * the guest runs. SIGURG is ignored by default and HotSpot does not use it, so a kick that
 * reaches a thread outside KVM_RUN just stays pending until {@link #drain()}; one that reaches
 * any other thread is dropped. No signal handler, nothing native of ours.
 */
public final class VcpuKick {
    private static final int SIGURG = 23;
    private static final int PID = Libc.getpid();

    private VcpuKick() {}

    private static MemorySegment sigset(Arena arena, int... signals) {
        MemorySegment set = arena.allocate(Libc.SIGSET_BYTES, 8);
        for (int s : signals) {
            set.set(JAVA_LONG, 0, set.get(JAVA_LONG, 0) | 1L << (s - 1));
        }
        return set;
    }

    /**
     * Blocks SIGURG in the calling thread (a runner), and returns the 8-byte kernel signal
     * mask its vCPUs should use inside KVM_RUN: the thread's mask without SIGURG.
     */
    public static MemorySegment prepareRunnerThread(Arena arena) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment old = a.allocate(Libc.SIGSET_BYTES, 8);
            int rc = Libc.pthreadSigmask(Libc.SIG_BLOCK, sigset(a, SIGURG), old);
            if (rc != 0) {
                throw new KvmException("pthread_sigmask", rc, "blocking SIGURG");
            }
            MemorySegment runMask = arena.allocate(8, 8);
            runMask.set(JAVA_LONG, 0, old.get(JAVA_LONG, 0) & ~(1L << (SIGURG - 1)));
            return runMask;
        }
    }

    /** The calling thread's kernel id, the address for {@link #kick}. */
    public static int currentThreadId() {
        return Libc.gettid();
    }

    /** Interrupts KVM_RUN on thread {@code tid} (or leaves a pending kick there). */
    public static void kick(int tid) {
        Libc.tgkill(PID, tid, SIGURG);
    }

    /** Consumes a pending kick of the calling thread, so the next KVM_RUN is not cut short. */
    public static boolean drain() {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment zero = a.allocate(16, 8); // struct timespec {0, 0}: do not wait
            return Libc.sigtimedwait(sigset(a, SIGURG), MemorySegment.NULL, zero) == SIGURG;
        }
    }
}
