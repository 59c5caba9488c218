package dev.thaw.invoker;

import dev.thaw.invoker.kvm.VcpuKick;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.locks.LockSupport;

/**
 * Enforces deadlines: kicks a thread out of KVM_RUN when its guest runs too long.
 *
 * <p>Each thread that runs vCPUs owns a {@link Slot}. Arming costs a volatile write (and an
 * unpark only when the new deadline is earlier than the one the watchdog sleeps towards), so
 * the invoke path never touches a timer queue. The watchdog thread sleeps until the earliest
 * armed deadline, kicks the late ones, and sleeps again.
 */
final class Watchdog implements AutoCloseable {
    private static final long REKICK_NANOS = 10_000_000;

    private final CopyOnWriteArrayList<Slot> slots = new CopyOnWriteArrayList<>();
    private final Thread thread;
    private volatile long nextWake;
    private volatile boolean idle = true; // parked with no deadline at all
    private volatile boolean closed;

    Watchdog() {
        thread = Thread.ofPlatform().name("thaw-watchdog").daemon().start(this::loop);
    }

    /** A vCPU thread's handle on the watchdog. Created on, and used only by, that thread. */
    final class Slot implements AutoCloseable {
        private final int tid = VcpuKick.currentThreadId();
        private final Arena arena = Arena.ofShared();
        private final MemorySegment runMask = VcpuKick.prepareRunnerThread(arena);
        private volatile long deadline;
        private volatile boolean armed;
        private volatile long generation; // one per arm, so a kick is for one deadline
        private long kickedGeneration = -1; // watchdog thread only
        private long kickedAt; // watchdog thread only

        /** The signal mask for the vCPUs this thread runs (see {@link VcpuKick}). */
        MemorySegment runMask() {
            return runMask;
        }

        void arm(long deadlineNanos) {
            deadline = deadlineNanos;
            generation++;
            armed = true;
            if (idle || deadlineNanos - nextWake < 0) {
                LockSupport.unpark(thread);
            }
        }

        void disarm() {
            armed = false;
        }

        @Override
        public void close() {
            slots.remove(this);
            arena.close();
        }
    }

    /** Registers the calling thread; it must be a platform thread that stays the vCPU's thread. */
    Slot register() {
        if (Thread.currentThread().isVirtual()) {
            throw new IllegalStateException("vCPUs must run on platform threads");
        }
        Slot slot = new Slot();
        slots.add(slot);
        return slot;
    }

    private void loop() {
        while (!closed) {
            long now = System.nanoTime();
            boolean any = false;
            long earliest = 0;
            for (Slot s : slots) {
                if (!s.armed) {
                    continue;
                }
                long generation = s.generation;
                long d = s.deadline;
                if (d - now <= 0) {
                    if (s.kickedGeneration != generation || now - s.kickedAt >= REKICK_NANOS) {
                        VcpuKick.kick(s.tid);
                        s.kickedGeneration = generation;
                        s.kickedAt = now;
                    }
                    d = s.kickedAt + REKICK_NANOS; // kick again if the guest is still there
                }
                if (!any || d - earliest < 0) {
                    earliest = d;
                    any = true;
                }
            }
            nextWake = earliest;
            idle = !any;
            // A slot armed while we scanned saw the old nextWake; look again before sleeping.
            if (armedBefore(any, earliest)) {
                continue;
            }
            if (any) {
                LockSupport.parkNanos(this, Math.max(earliest - System.nanoTime(), 1000));
            } else {
                LockSupport.park(this);
            }
        }
    }

    private boolean armedBefore(boolean any, long earliest) {
        for (Slot s : slots) {
            if (s.armed && s.generation != s.kickedGeneration && (!any || s.deadline - earliest < 0)) {
                return true;
            }
        }
        return false;
    }

    @Override
    public void close() {
        closed = true;
        LockSupport.unpark(thread);
    }
}
