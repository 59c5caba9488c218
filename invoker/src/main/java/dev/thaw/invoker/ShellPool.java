package dev.thaw.invoker;

import dev.thaw.invoker.snapshot.Snapshot;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicLong;

/**
 * One snapshot, ready to invoke: every invocation runs in its own instance of the snapshot,
 * taken from a pool of warm VM shells spread over the engine's runner threads.
 * Thread-safe.
 */
public final class ShellPool implements AutoCloseable {
    private final Engine engine;
    private final Snapshot snapshot;
    private final AtomicIntegerArray idleByRunner;
    private final Stats stats = new Stats();
    private volatile int maxIdlePerRunner;
    private volatile boolean closed;
    /** Log lines the guest reports in every invocation but the caller needs once (unsupported system calls). */
    private final Set<String> reportedOnce = ConcurrentHashMap.newKeySet();

    /** Counters of this pool's pool. */
    public static final class Stats {
        final AtomicLong created = new AtomicLong();
        final AtomicLong discarded = new AtomicLong();
        final AtomicInteger idle = new AtomicInteger();

        /** VMs created from the snapshot so far. */
        public long created() {
            return created.get();
        }

        /** Shells thrown away after a timeout, crash or ABI violation. */
        public long discarded() {
            return discarded.get();
        }

        /** Warm shells waiting for an invocation now. */
        public int idle() {
            return idle.get();
        }
    }

    ShellPool(Engine engine, Snapshot snapshot, int maxIdlePerRunner) {
        this.engine = engine;
        this.snapshot = snapshot;
        this.idleByRunner = new AtomicIntegerArray(engine.runnerCount());
        this.maxIdlePerRunner = maxIdlePerRunner;
    }

    /** Log lines the guest repeats in every invocation that the caller sees once (see {@link Output}). */
    Set<String> reportedOnce() {
        return reportedOnce;
    }

    /** Runs one invocation and waits for it; throws {@link EngineBusyException} like {@link #submit}. */
    public Result invoke(byte[] input, Limits limits) {
        try {
            return submit(input, limits).get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for an invocation", e);
        } catch (ExecutionException e) {
            throw e.getCause() instanceof RuntimeException r ? r : new CompletionException(e.getCause());
        }
    }

    /**
     * Queues one invocation, which must be over within its timeout from now; see
     * {@link #submit(byte[], Limits, long)}.
     */
    public CompletableFuture<Result> submit(byte[] input, Limits limits) {
        long now = System.nanoTime();
        return admit(input, limits, now, now + limits.timeout().toNanos());
    }

    /**
     * Queues one invocation on the least loaded runner, preferring one with a warm shell. It
     * must be over by {@code deadlineNanos} (a {@link System#nanoTime()} value, such as the
     * time a request that waited elsewhere has left), or by now plus the timeout if that is
     * sooner. Time spent queued counts: when the deadline passes before the invocation starts,
     * it ends as TIMEOUT without running; when it passes while the guest runs (or waits for
     * its next time slice), the guest is stopped. {@code input} is read when the invocation
     * starts, not copied here: leave it unchanged until the result completes.
     *
     * @throws EngineBusyException when every runner already has
     *         {@link Engine#queueCapacity()} invocations waiting: nothing was queued
     */
    public CompletableFuture<Result> submit(byte[] input, Limits limits, long deadlineNanos) {
        long now = System.nanoTime();
        long byTimeout = now + limits.timeout().toNanos();
        return admit(input, limits, now, deadlineNanos - byTimeout < 0 ? deadlineNanos : byTimeout);
    }

    private CompletableFuture<Result> admit(byte[] input, Limits limits, long now, long deadline) {
        if (closed) {
            throw new IllegalStateException("the shell pool of snapshot " + snapshot.directory() + " is closed");
        }
        CompletableFuture<Result> result = new CompletableFuture<>();
        engine.admit(this, new Runner.Task.Invoke(this, input, limits, now, deadline, result));
        return result;
    }

    /** Creates {@code shells} shells now, spread over the runners, and keeps them. */
    public void prewarm(int shells) {
        prewarm(shells, null);
    }

    /**
     * Creates {@code shells} shells and, when {@code warmupInput} is not null, runs one
     * invocation with it on each (then resets it), so that each shell's page mappings exist
     * before the first real request. Functions have no effects outside their VM, so the
     * warm-up is invisible; its result is discarded.
     */
    public void prewarm(int shells, byte[] warmupInput) {
        int runners = engine.runnerCount();
        int perRunner = (shells + runners - 1) / runners;
        if (perRunner > maxIdlePerRunner) {
            maxIdlePerRunner = perRunner;
        }
        List<CompletableFuture<Void>> done = new ArrayList<>();
        for (int r = 0; r < runners && shells > 0; r++) {
            int n = Math.min(perRunner, shells);
            shells -= n;
            CompletableFuture<Void> f = new CompletableFuture<>();
            engine.runner(r).submit(new Runner.Task.Prewarm(this, n, warmupInput, f));
            done.add(f);
        }
        CompletableFuture.allOf(done.toArray(CompletableFuture[]::new)).join();
    }

    /** A shell of this pool run by the calling platform thread itself (see {@link DedicatedShell}). */
    public DedicatedShell dedicatedShell() {
        return new DedicatedShell(engine, this);
    }

    public Stats stats() {
        return stats;
    }

    public Snapshot snapshot() {
        return snapshot;
    }

    int maxIdlePerRunner() {
        return maxIdlePerRunner;
    }

    /** Idle shells a runner that serves this pool keeps ready, created when it has nothing else to do. */
    int minIdlePerRunner() {
        return Math.min(1, maxIdlePerRunner);
    }

    boolean closed() {
        return closed;
    }

    int idleOn(int runner) {
        return idleByRunner.get(runner);
    }

    void idleChanged(int runner, int delta) {
        idleByRunner.addAndGet(runner, delta);
        stats.idle.addAndGet(delta);
    }

    /** Closes every shell of this pool, then the snapshot. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        CountDownLatch evicted = new CountDownLatch(engine.runnerCount());
        for (int r = 0; r < engine.runnerCount(); r++) {
            engine.runner(r).submit(new Runner.Task.Evict(this, evicted));
        }
        try {
            evicted.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        engine.forget(this);
        snapshot.close();
    }
}
