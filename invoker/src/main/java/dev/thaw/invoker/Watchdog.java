package dev.thaw.invoker;

import dev.thaw.invoker.kvm.VcpuKick;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.locks.LockSupport;
import java.util.function.IntSupplier;

/**
 * Enforces deadlines and time slices: kicks a thread out of KVM_RUN when its guest has run
 * past its deadline, or past the end of its time slice while other work waits for the thread.
 *
 * <p>Each thread that runs vCPUs owns a {@link Slot}. Arming costs a few volatile writes (and
 * an unpark only when the slot's kick is due before the time the watchdog sleeps towards), so
 * the invoke path never touches a timer queue; with nothing waiting, the slice end is not
 * even looked at. The watchdog thread sleeps until the earliest kick due, kicks, and sleeps
 * again. Work that arrives for a thread whose guest runs wakes the watchdog only when that
 * guest's slice ends before the watchdog's next wake-up ({@link Slot#workArrived()}).
 */
final class Watchdog implements AutoCloseable {
    private static final long REKICK_NANOS = 10_000_000;
    /**
     * After the last armed slot, the watchdog keeps waking every {@link #TICK_NANOS} for this
     * long before it parks for good: a slot armed meanwhile then needs no unpark (its kick is
     * due after the next tick), which saves a wake-up per invocation when invocations come
     * one by one, as on a hosted runner, whose every run has a slice end ({@link Runner}).
     */
    private static final long LINGER_NANOS = 100_000_000;
    private static final long TICK_NANOS = 1_000_000;

    private final CopyOnWriteArrayList<Slot> slots = new CopyOnWriteArrayList<>();
    private final Thread thread;
    private volatile long nextWake;
    private volatile boolean idle = true; // parked with no deadline at all
    private volatile boolean closed;

    Watchdog() {
        thread = Thread.ofPlatform().name("thaw-watchdog").daemon().start(this::loop);
    }

    /** A vCPU thread's handle on the watchdog. Created on, and armed only by, that thread. */
    final class Slot implements AutoCloseable {
        private final int tid = VcpuKick.currentThreadId();
        private final Arena arena = Arena.ofShared();
        private final MemorySegment runMask = VcpuKick.prepareRunnerThread(arena);
        private final IntSupplier waitingWork;
        private volatile long deadline;
        private volatile long sliceEnd;
        private volatile boolean armed;
        private volatile long generation; // one per arm, so a kick is for one run
        private long kickedGeneration = -1; // watchdog thread only
        private long kickedAt; // watchdog thread only

        private Slot(IntSupplier waitingWork) {
            this.waitingWork = waitingWork;
        }

        /** The signal mask for the vCPUs this thread runs (see {@link VcpuKick}). */
        MemorySegment runMask() {
            return runMask;
        }

        /** Arms a run that must end by {@code deadlineNanos}; it is never asked to yield. */
        void arm(long deadlineNanos) {
            arm(deadlineNanos, deadlineNanos);
        }

        /**
         * Arms a run that must end by {@code deadlineNanos} and should yield the thread at
         * {@code sliceEndNanos} if other work waits for it by then.
         */
        void arm(long deadlineNanos, long sliceEndNanos) {
            deadline = deadlineNanos;
            sliceEnd = sliceEndNanos;
            generation++;
            armed = true;
            if (idle || kickAt() - nextWake < 0) {
                LockSupport.unpark(thread);
            }
        }

        void disarm() {
            armed = false;
        }

        /** Whether the running guest's slice is over and other work waits: then it should yield. */
        boolean sliceOver(long now) {
            return now - sliceEnd >= 0 && waitingWork.getAsInt() > 0;
        }

        /**
         * Called by any thread after it queued work for this slot's thread: the watchdog must
         * then wake up in time to end the running guest's slice.
         */
        void workArrived() {
            if (armed && (idle || sliceEnd - nextWake < 0)) {
                LockSupport.unpark(thread);
            }
        }

        /** When the watchdog must kick: the deadline, or the end of the slice when work waits. */
        private long kickAt() {
            long d = deadline;
            long s = sliceEnd;
            return s - d < 0 && waitingWork.getAsInt() > 0 ? s : d;
        }

        @Override
        public void close() {
            slots.remove(this);
            arena.close();
        }
    }

    /** Registers the calling thread, whose guests are never asked to yield it. */
    Slot register() {
        return register(() -> 0);
    }

    /**
     * Registers the calling thread; it must be a platform thread that stays the vCPU's thread.
     * {@code waitingWork} says how much other work waits for it (read by any thread).
     */
    Slot register(IntSupplier waitingWork) {
        if (Thread.currentThread().isVirtual()) {
            throw new IllegalStateException("vCPUs must run on platform threads");
        }
        Slot slot = new Slot(waitingWork);
        slots.add(slot);
        return slot;
    }

    private void loop() {
        long lastArmed = System.nanoTime() - LINGER_NANOS;
        while (!closed) {
            long now = System.nanoTime();
            boolean any = false;
            long earliest = 0;
            for (Slot s : slots) {
                if (!s.armed) {
                    continue;
                }
                long generation = s.generation;
                long d = s.kickAt();
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
            if (any) {
                lastArmed = now;
            } else if (now - lastArmed < LINGER_NANOS) {
                earliest = now + TICK_NANOS; // linger: wake in a tick as if a kick were due
                any = true;
            }
            nextWake = earliest;
            idle = !any;
            // A slot armed, or work that arrived, while we scanned saw the old nextWake; look
            // again before sleeping (each side writes, then reads what the other writes).
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
            if (s.armed && s.generation != s.kickedGeneration && (!any || s.kickAt() - earliest < 0)) {
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
