package dev.thaw.invoker;

import java.time.Duration;

/**
 * A shell run directly by the calling platform thread: no queue, no hand-off between
 * threads. For benchmarks, and for callers that keep a thread per function. Every call must
 * come from the thread that created it (KVM ties a vCPU to its thread).
 */
public final class DedicatedShell implements AutoCloseable {
    private final Engine engine;
    private final ShellPool pool;
    private final Thread owner = Thread.currentThread();
    private final VcpuThread vcpu;
    private Shell shell;
    private long lastResetNanos;
    private long lastAnsweredNanos;

    DedicatedShell(Engine engine, ShellPool pool) {
        this.engine = engine;
        this.pool = pool;
        this.vcpu = new VcpuThread(engine.watchdog(), engine.tscKhz(), () -> 0);
    }

    /** Invokes on this thread's warm shell (created on first use), then resets it. */
    public Result invoke(byte[] input, Limits limits) {
        checkThread();
        if (shell == null) {
            shell = newShell();
        }
        Result r = runAndRelease(shell, input, limits);
        if (shell.broken()) {
            shell = null;
        }
        return r;
    }

    /** Invokes on a brand-new VM from the snapshot, closed afterwards off this thread. */
    public Result invokeFresh(byte[] input, Limits limits) {
        checkThread();
        long submitted = System.nanoTime();
        Shell fresh = newShell();
        try {
            Result r = vcpu.runToEnd(fresh, input, limits, submitted, pool.reportedOnce());
            lastAnsweredNanos = System.nanoTime();
            return r;
        } finally {
            engine.closeLater(fresh);
            engine.vmReserve().replenish();
        }
    }

    /**
     * When the last {@link #invokeFresh} had its result ({@link System#nanoTime}), before it
     * handed its VM to the closer and woke the reserve's filler. A cold start in a pool keeps
     * its VM and answers before any such work; on 2 cores the woken threads can preempt the
     * caller before it returns (up to ~0.9 ms measured), so a benchmark of the cold start
     * itself stops its clock here.
     */
    public long lastAnsweredNanos() {
        return lastAnsweredNanos;
    }

    /**
     * Waits until the work {@link #invokeFresh} leaves to other threads is done: the last
     * fresh VM closed, and the engine's VM reserve made up again. A benchmark calls it between
     * fresh invocations to time a cold start on a host that is not closing and making VMs at
     * the same moment, as a cold start after a quiet spell finds it.
     */
    public void awaitBackgroundWork(Duration timeout) throws InterruptedException {
        engine.awaitClosed(timeout);
        if (!engine.vmReserve().awaitSettled(timeout)) {
            throw new IllegalStateException("the VM reserve was not made up within " + timeout);
        }
    }

    /** How long resetting the shell took after the last {@link #invoke}. */
    public long lastResetNanos() {
        return lastResetNanos;
    }

    private Shell newShell() {
        pool.stats().created.incrementAndGet();
        return Shell.create(engine.vmReserve().take(pool.snapshot().memorySize(), VmReserve.ANY_THREAD), pool.snapshot(), vcpu.slot().runMask());
    }

    private Result runAndRelease(Shell s, byte[] input, Limits limits) {
        Result r;
        try {
            r = vcpu.runToEnd(s, input, limits, System.nanoTime(), pool.reportedOnce());
        } catch (RuntimeException e) {
            engine.closeLater(s);
            throw e;
        }
        if (s.broken()) {
            pool.stats().discarded.incrementAndGet();
            engine.closeLater(s);
        } else {
            long t = System.nanoTime();
            s.reset();
            lastResetNanos = System.nanoTime() - t;
        }
        return r;
    }

    private void checkThread() {
        if (Thread.currentThread() != owner) {
            throw new IllegalStateException("a DedicatedShell is used only by the thread that created it");
        }
    }

    @Override
    public void close() {
        checkThread();
        if (shell != null) {
            shell.close();
            shell = null;
        }
        vcpu.close();
    }
}
