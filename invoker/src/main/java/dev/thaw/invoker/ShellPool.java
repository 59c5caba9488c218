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
 *
 * <p>Sizing. An invocation that finds no idle shell on its runner creates one from the
 * snapshot on its way (a cold start, {@link Timings#warm()} false); afterwards the shell is
 * kept, up to {@link #max()} shells. {@link #scaleTo} sets how many shells the pool keeps:
 * idle runners create the missing ones in the background (a shell lost to a crash is replaced
 * the same way), and idle shells beyond it are closed at once, least recently used first. The
 * engine's memory budget ({@link Engine#shellMemoryBudget(long)}) may close idle shells too;
 * it takes those beyond {@link #min()} first. Whoever owns the pool decides the sizes; the
 * engine does the work off the invocation path, on the runner threads that own the shells.
 */
public final class ShellPool implements AutoCloseable {
    private final Engine engine;
    private final Snapshot snapshot;
    private final AtomicIntegerArray idleByRunner;
    private final Stats stats = new Stats();
    private final long shellBytes;
    private volatile int min;
    private volatile int target;
    private volatile int max;
    private volatile boolean closed;
    private volatile int recentRuns; // one bit per run, newest lowest: 1 for a long one (see ran())
    private volatile int runs;
    /** Log lines the guest reports in every invocation but the caller needs once (unsupported system calls). */
    private final Set<String> reportedOnce = ConcurrentHashMap.newKeySet();

    /** What this pool did and holds. */
    public static final class Stats {
        final AtomicLong created = new AtomicLong();
        final AtomicLong discarded = new AtomicLong();
        final AtomicLong coldStarts = new AtomicLong();
        final AtomicLong evictions = new AtomicLong();
        final AtomicInteger idle = new AtomicInteger();
        final AtomicInteger shells = new AtomicInteger();
        final AtomicInteger queued = new AtomicInteger();
        final AtomicInteger running = new AtomicInteger();

        /** VMs created from the snapshot so far. */
        public long created() {
            return created.get();
        }

        /** Shells thrown away after a timeout, crash or ABI violation. */
        public long discarded() {
            return discarded.get();
        }

        /** Invocations that waited for a VM to be created because no warm shell was idle. */
        public long coldStarts() {
            return coldStarts.get();
        }

        /** Idle shells closed to keep the engine within its memory budget. */
        public long evictions() {
            return evictions.get();
        }

        /** Warm shells waiting for an invocation now. */
        public int idle() {
            return idle.get();
        }

        /** Shells open now: idle, or serving an invocation. */
        public int shells() {
            return shells.get();
        }

        /** Invocations admitted and waiting for their runner. */
        public int queued() {
            return queued.get();
        }

        /** Invocations on a shell now: running, or preempted and waiting to run on. */
        public int running() {
            return running.get();
        }

        /** Takes one shell off the count if it is above {@code floor}; returns whether it did. */
        boolean releaseAbove(int floor) {
            while (true) {
                int n = shells.get();
                if (n <= floor) {
                    return false;
                }
                if (shells.compareAndSet(n, n - 1)) {
                    return true;
                }
            }
        }
    }

    ShellPool(Engine engine, Snapshot snapshot, int target, int max) {
        this.engine = engine;
        this.snapshot = snapshot;
        this.idleByRunner = new AtomicIntegerArray(engine.runnerCount());
        this.shellBytes = ShellMemory.estimate(snapshot.memorySize(), 0);
        this.target = target;
        this.max = max;
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
        stats.queued.incrementAndGet();
        try {
            engine.admit(this, new Runner.Task.Invoke(this, input, limits, now, deadline, result));
        } catch (RuntimeException e) {
            stats.queued.decrementAndGet();
            throw e;
        }
        return result;
    }

    /** Creates {@code shells} shells now, spread over the runners, and keeps them (at least that many from now on). */
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
        int kept = stats.shells() + shells;
        if (kept > max) {
            max = kept;
        }
        if (kept > target) {
            target = kept;
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

    /**
     * Keeps {@code shells} warm shells (at most {@link #max()}): runners with nothing else to do
     * create the missing ones; idle shells beyond it are closed now, least recently used first.
     * Shells serving invocations are not interrupted: they are closed when they come back if
     * the pool then holds more than {@link #max()}.
     */
    public void scaleTo(int shells) {
        if (shells < 0) {
            throw new IllegalArgumentException("shells must not be negative: " + shells);
        }
        int t = Math.min(shells, max);
        int before = target;
        target = t;
        if (closed || t == before && t == stats.shells()) {
            return;
        }
        for (int r = 0; r < engine.runnerCount(); r++) {
            engine.runner(r).submit(t > stats.shells() ? new Runner.Task.Grow(this) : new Runner.Task.Trim(this));
        }
        if (t < stats.shells()) {
            for (Runner r : engine.hostedRunners()) { // they make shells only for short invocations, never to a target
                r.submit(new Runner.Task.Trim(this));
            }
        }
    }

    /**
     * Bounds the pool: at most {@code max} shells are kept after use, and the memory budget
     * closes this pool's shells beyond {@code min} before it closes any of the last {@code min}.
     * The target is clamped to the new maximum.
     */
    public void bounds(int min, int max) {
        if (min < 0 || max < min) {
            throw new IllegalArgumentException("need 0 <= min <= max, got min " + min + ", max " + max);
        }
        this.min = min;
        this.max = max;
        if (target > max) {
            scaleTo(max);
        }
    }

    /** Warm shells the pool keeps (see {@link #scaleTo}). */
    public int target() {
        return target;
    }

    /** Shells the memory budget spares the longest. */
    public int min() {
        return min;
    }

    /** Most shells kept after use. */
    public int max() {
        return max;
    }

    /** The estimated host memory of one of this pool's shells before it wrote any page (see {@link ShellMemory}). */
    public long shellBytes() {
        return shellBytes;
    }

    boolean closed() {
        return closed;
    }

    int idleOn(int runner) {
        return runner < idleByRunner.length() ? idleByRunner.get(runner) : 0; // hosted runners: not offered queued work
    }

    void idleChanged(int runner, int delta) {
        if (runner < idleByRunner.length()) {
            idleByRunner.addAndGet(runner, delta);
        }
        stats.idle.addAndGet(delta);
    }

    /**
     * A function is short when at most {@link #LONG_RUNS_ALLOWED} of its last 16 runs took
     * longer than this (after at least 16): then a hosted runner may run it on its I/O thread
     * ({@link Engine#hostInvocations}). Counting runs rather than averaging them keeps a run
     * slowed by a busy machine (the thread preempted in KVM_RUN) from sending every
     * invocation back to the runners, while a function that is slow by nature is caught
     * within a few runs. Either way a hosted guest yields its thread after a 1 ms slice.
     */
    static final long SHORT_RUN_NANOS = 500_000;
    static final int LONG_RUNS_ALLOWED = 3;

    /** Records how long an invocation's guest ran (any runner, any thread: a lost update is harmless). */
    void ran(long runNanos) {
        recentRuns = recentRuns << 1 | (runNanos > SHORT_RUN_NANOS ? 1 : 0);
        if (runs < 16) {
            runs++;
        }
    }

    /** Whether the function's recent invocations ran short (see {@link #ran}). */
    boolean runsShort() {
        return runs >= 16 && Integer.bitCount(recentRuns & 0xffff) <= LONG_RUNS_ALLOWED;
    }

    /** Closes every shell of this pool, then the snapshot. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        List<Runner> hosted = List.copyOf(engine.hostedRunners());
        CountDownLatch evicted = new CountDownLatch(engine.runnerCount() + hosted.size());
        for (int r = 0; r < engine.runnerCount(); r++) {
            engine.runner(r).submit(new Runner.Task.Evict(this, evicted));
        }
        for (Runner r : hosted) {
            try {
                r.submit(new Runner.Task.Evict(this, evicted));
                r.runQueuedIfHere(); // closed from the thread hosting it, which cannot wait for itself
            } catch (IllegalStateException stopped) { // its engine is closing: it closes its shells itself
                evicted.countDown();
            }
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
