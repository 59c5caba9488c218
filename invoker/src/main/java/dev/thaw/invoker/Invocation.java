package dev.thaw.invoker;

import java.util.Set;

/**
 * One invocation on one shell, on the thread that owns the shell: the request is written into
 * the guest, the guest runs under the watchdog in one or more time slices, then the output and
 * the dirty pages are collected and the outcome described. The caller resets or discards the
 * shell afterwards ({@link Shell#broken()}).
 */
final class Invocation {
    private final Shell shell;
    private final Limits limits;
    private final long submitted;
    private final long deadline;
    private final long started;
    private final boolean warm;
    private final Output output;
    private final GuestRun run;
    private final VcpuThread thread;
    private long ranNanos;

    private Invocation(Shell shell, Limits limits, long submitted, long deadline, long started, boolean warm,
                       Output output, GuestRun run, VcpuThread thread) {
        this.shell = shell;
        this.limits = limits;
        this.submitted = submitted;
        this.deadline = deadline;
        this.started = started;
        this.warm = warm;
        this.output = output;
        this.run = run;
        this.thread = thread;
    }

    /**
     * Writes the request into the guest; it has not run yet. {@code submitted} is when the
     * caller asked, {@code started} when its runner took it up (before a cold start made its
     * VM) and {@code deadline} when the invocation must be over (System.nanoTime() values).
     * The caller checked that the request fits ({@link Shell#inputCapacity()}).
     */
    static Invocation start(Shell shell, byte[] input, Limits limits, long submitted, long started, long deadline,
                            VcpuThread thread, Set<String> reportedOnce) {
        boolean warm = shell.warm();
        try {
            thread.deliver(shell, input);
        } catch (Throwable t) {
            shell.markBroken();
            throw t;
        }
        Output output = new Output(limits.maxOutputBytes(), reportedOnce);
        return new Invocation(shell, limits, submitted, deadline, started, warm, output,
                shell.newRun(deadline, output, thread.slot()), thread);
    }

    /**
     * Runs the guest until it stops, or until {@code sliceEnd} if other work waits for this
     * thread by then ({@link GuestRun.Stop.Preempted}: call again to continue).
     */
    GuestRun.Stop runSlice(long sliceEnd) {
        Watchdog.Slot slot = thread.slot();
        long t = System.nanoTime();
        slot.arm(deadline, sliceEnd);
        try {
            return shell.run(run);
        } catch (Throwable e) {
            shell.markBroken();
            throw e;
        } finally {
            slot.disarm();
            ranNanos += System.nanoTime() - t;
        }
    }

    /** Past this, the invocation must not run again: it ends as TIMEOUT. */
    long deadline() {
        return deadline;
    }

    /** The result of a guest that stopped for good; collects its dirty pages first. */
    Result finish(GuestRun.Stop stop) {
        long end = System.nanoTime();
        int dirty = shell.broken() ? 0 : shell.collectDirtyPages();
        Timings timings = new Timings(started - submitted, ranNanos, end - submitted, run.exits(), dirty, warm);
        return Outcomes.of(stop, output, limits, deadline - submitted, timings);
    }

    /** Its deadline passed while it was preempted: it ends as TIMEOUT, its guest half-way, discarded. */
    Result timedOut() {
        shell.markBroken();
        return finish(new GuestRun.Stop.TimedOut());
    }
}
