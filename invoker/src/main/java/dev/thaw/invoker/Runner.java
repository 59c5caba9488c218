package dev.thaw.invoker;

import java.util.ArrayDeque;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executor;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A platform thread that runs vCPUs, with its own warm shells. KVM ties a vCPU to the thread
 * that last ran it (switching costs a synchronize_rcu()), so a shell never leaves its runner:
 * invocations come to the runner, not the other way round.
 *
 * <p>Scheduling. Invocations are admitted into a bounded queue ({@link #offer}) and started in
 * the order they arrived. While other work waits, a guest runs for at most one time slice
 * ({@link #QUANTUM_NANOS}): the watchdog kicks it out of KVM_RUN, and the runner parks the
 * invocation (its shell, run, output and deadline) and takes the next task. Parked invocations
 * run on, in turn, when nothing new is queued, or ahead of new work once one has waited
 * {@link #MAX_PARKED_NANOS}. A vCPU never changes threads: a parked invocation resumes on its
 * runner. A guest alone on its runner is never interrupted. Every invocation keeps the deadline
 * it was admitted with: still queued or parked when it passes, it ends as TIMEOUT without
 * running again.
 *
 * <p>Shells. The runner's idle shells are kept per pool in least-recently-used order. With
 * nothing queued it creates shells for pools below their target ({@link ShellPool#scaleTo}),
 * one at a time, checking for work between them. It accounts the estimated memory of every
 * shell it owns ({@link ShellMemory}); over its share of the engine's budget it closes idle
 * shells, least recently used pools first, sparing each pool's minimum until nothing else is
 * left. Shells are closed on the engine's closer thread.
 *
 * <p>Every task runs under a catch of everything: an invocation that fails on the host, even
 * with an Error such as OutOfMemoryError, fails alone; its shell is discarded and the runner
 * serves on.
 *
 * <p>Hosted runners. A runner may instead live on a thread that is not its own: an I/O event
 * loop that received the request ({@link Engine#hostInvocations}). It runs an invocation of
 * a function known to be short right there, to its end, when it holds an idle shell of it
 * ({@link #tryRunHere}): no queue, no thread hand-off either way. Its other tasks run as
 * tasks of the host ({@link #drain}); a guest that outruns a short time slice is parked and
 * runs on in later host tasks, between the host's other work. It keeps only shells made for
 * such invocations ({@link #prepareFor}), none proactively.
 */
final class Runner {
    /** Work for a runner, executed on its thread. */
    sealed interface Task {
        /** {@code submitted} and {@code deadline} are System.nanoTime() values. */
        record Invoke(ShellPool pool, byte[] input, Limits limits, long submitted, long deadline,
                      CompletableFuture<Result> result) implements Task {}

        record Prewarm(ShellPool pool, int shells, byte[] warmupInput, CompletableFuture<Void> done) implements Task {}

        record Evict(ShellPool pool, CountDownLatch done) implements Task {}

        /** The pool's target rose (or it lost a shell): create shells when there is nothing else to do. */
        record Grow(ShellPool pool) implements Task {}

        /** The pool's target fell: close idle shells beyond it. */
        record Trim(ShellPool pool) implements Task {}

        /** The engine's memory budget changed. */
        record Budget() implements Task {}

        record Stop() implements Task {}
    }

    /**
     * The longest a guest keeps its runner while other work waits. Short enough that a short
     * invocation behind CPU-bound ones waits at most a few of these; long enough that the kick,
     * exit and re-entry (~50 us on this PVM host) cost about 1% of a busy runner.
     */
    static final long QUANTUM_NANOS = 5_000_000;
    /** The time slice on a hosted runner: its host has I/O of other requests to serve. */
    static final long HOSTED_QUANTUM_NANOS = 1_000_000;
    /** How long a parked invocation may be passed over by newer work before it runs again. */
    static final long MAX_PARKED_NANOS = 50_000_000;
    private static final long SPIN_NANOS = 20_000;
    private static final System.Logger LOG = System.getLogger(Runner.class.getName());

    /** An invocation whose guest was preempted: everything needed to run it on. */
    private static final class Parked {
        final Task.Invoke task;
        final Shell shell;
        final Invocation invocation;
        long since;

        Parked(Task.Invoke task, Shell shell, Invocation invocation) {
            this.task = task;
            this.shell = shell;
            this.invocation = invocation;
        }
    }

    private final Engine engine;
    private final int index;
    private final int capacity;
    private final LinkedBlockingQueue<Task> queue = new LinkedBlockingQueue<>();
    private final AtomicInteger queued = new AtomicInteger(); // admitted invocations not started yet
    private final AtomicInteger load = new AtomicInteger(); // admitted invocations not finished yet
    /** Idle shells by pool, least recently used pool first, most recently used shell first; runner thread only. */
    private final LinkedHashMap<ShellPool, ArrayDeque<Shell>> idle = new LinkedHashMap<>(16, 0.75f, true);
    /** Pools that want more shells than they have; runner thread only. */
    private final LinkedHashSet<ShellPool> growing = new LinkedHashSet<>();
    private long shellBytes; // estimated memory of the shells this runner owns; runner thread only
    private volatile long shellBytesView; // the same, for other threads
    private final ArrayDeque<Parked> parked = new ArrayDeque<>(); // runner thread only
    private volatile int parkedCount;
    private volatile boolean stopped;
    private volatile Watchdog.Slot slot;
    private final Thread thread;
    private VcpuThread vcpu;
    /** Hosted runners only: the executor of the thread that hosts it, and whether a drain is queued there. */
    private final Executor host;
    private final AtomicBoolean drainQueued = new AtomicBoolean();
    private final CountDownLatch hostedStopped = new CountDownLatch(1);
    private final Set<ShellPool> preparing = new HashSet<>(); // hosted, host thread only
    private final AtomicInteger handedOff = new AtomicInteger(); // hosted: this host's invocations on runner threads now
    private final long quantumNanos;

    Runner(Engine engine, int index, int capacity) {
        this.engine = engine;
        this.index = index;
        this.capacity = capacity;
        this.host = null;
        this.quantumNanos = QUANTUM_NANOS;
        this.thread = Thread.ofPlatform().name("thaw-runner-" + index).daemon().start(this::loop);
    }

    /**
     * A runner hosted by the calling thread, whose tasks {@code host} runs (on this thread, in
     * order). Its guests always yield at the end of a short slice: the host has other work.
     */
    Runner(Engine engine, int index, Executor host) {
        this.engine = engine;
        this.index = index;
        this.capacity = 0; // it is offered no queued invocations
        this.host = host;
        this.quantumNanos = HOSTED_QUANTUM_NANOS;
        this.thread = Thread.currentThread();
        this.vcpu = new VcpuThread(engine.watchdog(), engine.tscKhz(), () -> 1);
        this.slot = vcpu.slot();
    }

    int index() {
        return index;
    }

    /** The estimated memory of the shells this runner owns (see {@link ShellMemory}). */
    long shellMemory() {
        return shellBytesView;
    }

    /** Admitted invocations not finished yet: queued, running and parked. */
    int load() {
        return load.get();
    }

    /** Queues an invocation unless {@code capacity} invocations wait already; returns whether it did. */
    boolean offer(Task.Invoke task) {
        int q;
        do {
            q = queued.get();
            if (q >= capacity) {
                return false;
            }
        } while (!queued.compareAndSet(q, q + 1));
        load.incrementAndGet();
        try {
            enqueue(task);
        } catch (IllegalStateException e) {
            queued.decrementAndGet();
            load.decrementAndGet();
            throw e;
        }
        return true;
    }

    /** Queues a task that is not an invocation (prewarm, evict, stop); these are not bounded. */
    void submit(Task task) {
        enqueue(task);
    }

    private void enqueue(Task task) {
        queue.add(task);
        if (stopped && queue.remove(task)) { // the runner has drained its queue for the last time
            throw new IllegalStateException("the engine is closed");
        }
        if (host != null) {
            queueDrain();
            return;
        }
        Watchdog.Slot s = slot;
        if (s != null) {
            s.workArrived();
        }
    }

    /** Tasks that wait for this runner while its guest runs: what makes the guest yield. */
    private int waitingWork() {
        return queue.size() + parkedCount;
    }

    /** On a hosted runner's own host thread, runs its queued tasks now (a caller there cannot wait for them). */
    void runQueuedIfHere() {
        if (host != null && Thread.currentThread() == thread) {
            drain();
        }
    }

    void join() throws InterruptedException {
        if (host != null) {
            runQueuedIfHere();
            if (!hostedStopped.await(10, TimeUnit.SECONDS)) {
                LOG.log(System.Logger.Level.WARNING, "the thread hosting runner " + index + " did not stop it within 10 s");
            }
            return;
        }
        thread.join();
    }

    /** Asks the host to run {@link #drain} (once, however many tasks arrive meanwhile). */
    private void queueDrain() {
        if (drainQueued.compareAndSet(false, true)) {
            try {
                host.execute(this::drain);
            } catch (RejectedExecutionException e) { // the host shuts down: nothing more runs there
                drainQueued.set(false);
                if (!stopped) {
                    LOG.log(System.Logger.Level.WARNING, "the thread hosting runner " + index + " refused its tasks; stopping it here");
                }
                stopHosted();
            }
        }
    }

    /**
     * Stops a hosted runner, once: on its host, at a Stop task; or, when the host is gone and
     * its tasks cannot run there any more, on the calling thread, which then owns what the
     * host did (its guests are not running: the host is not).
     */
    private synchronized void stopHosted() {
        if (hostedStopped.getCount() == 0) {
            return;
        }
        stop();
        vcpu.close();
        hostedStopped.countDown();
    }

    /** A hosted runner's turn on its host: its tasks so far, then one slice of a parked guest. */
    private void drain() {
        drainQueued.set(false);
        if (hostedStopped.getCount() == 0) {
            return;
        }
        for (Task task = queue.poll(); task != null; task = queue.poll()) {
            try {
                if (task instanceof Task.Stop) {
                    stopHosted();
                    return;
                }
                execute(task);
            } catch (Throwable t) {
                LOG.log(System.Logger.Level.ERROR, "runner " + index + " failed between tasks", t);
            }
        }
        Parked p = takeParked();
        if (p != null) {
            resume(p);
        }
        if (!parked.isEmpty()) {
            queueDrain();
        }
    }

    /**
     * On a hosted runner's host thread: runs the invocation here and now, if this runner
     * holds an idle shell of its pool and nothing of its own waits; returns whether it did
     * (then the result is complete, or the guest is parked and runs on in later host tasks).
     * Otherwise it asks the host to make a shell of the pool for the next such invocation.
     */
    boolean tryRunHere(Task.Invoke task) {
        if (stopped || !queue.isEmpty() || !parked.isEmpty() || handedOff.get() > 0) {
            return false;
        }
        ArrayDeque<Shell> shells = idle.get(task.pool());
        if (shells == null || shells.isEmpty()) {
            prepareFor(task.pool());
            return false;
        }
        queued.incrementAndGet();
        load.incrementAndGet();
        start(task);
        if (!parked.isEmpty()) {
            queueDrain();
        }
        return true;
    }

    /**
     * On a hosted runner's host thread: {@code task} goes to the runner threads instead.
     * While any such invocation of this host is unfinished, the host runs none itself: it is
     * serving several requests at once, and then a runner running the guest while the host
     * reads and answers the others does more in the same time than the host doing both in turn
     * (measured: ~15% more requests per second at 16 connections on 2 cores). With one
     * request at a time, nothing is handed off and every short one runs here.
     */
    void handingOff(Task.Invoke task) {
        handedOff.incrementAndGet();
        task.result().whenComplete((r, e) -> handedOff.decrementAndGet());
    }

    /** Asks the host, once per pool at a time, to make one shell of {@code pool} here, after its current work. */
    private void prepareFor(ShellPool pool) {
        if (!preparing.add(pool)) {
            return;
        }
        try {
            host.execute(() -> {
                preparing.remove(pool);
                ArrayDeque<Shell> shells = idle.get(pool);
                if (stopped || pool.closed() || shells != null && !shells.isEmpty() || pool.stats().shells() >= pool.max()
                        || shellBytes + pool.shellBytes() > engine.shellMemoryShare()) {
                    return;
                }
                try {
                    giveBack(pool, create(pool));
                    // No request waits on this shell, and a host thread never goes idle the
                    // way a runner does (which replenishes then): the reserve may refill now.
                    engine.vmReserve().replenish();
                } catch (Throwable t) { // out of memory or descriptors: the runners serve it meanwhile
                    LOG.log(System.Logger.Level.WARNING, "runner " + index + " could not make a shell: " + t);
                }
            });
        } catch (RejectedExecutionException e) {
            preparing.remove(pool);
        }
    }

    private void loop() {
        vcpu = new VcpuThread(engine.watchdog(), engine.tscKhz(), this::waitingWork);
        slot = vcpu.slot();
        try {
            while (true) {
                Task task = next();
                try {
                    if (task == null) {
                        resume(takeParked());
                    } else if (task instanceof Task.Stop) {
                        stop();
                        return;
                    } else {
                        execute(task);
                    }
                } catch (Throwable t) { // the tasks catch their own; this keeps the runner alive regardless
                    LOG.log(System.Logger.Level.ERROR, "runner " + index + " failed between tasks", t);
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            vcpu.close();
        }
    }

    /**
     * The next task, or null to resume the parked invocation that has waited longest. With
     * nothing to do, waits ~20 us spinning (under load the next request usually comes within
     * that, and finding it costs no futex wake-up), then creates the shells pools want, then blocks.
     */
    private Task next() throws InterruptedException {
        Parked oldest = parked.peekFirst();
        if (oldest != null) {
            return System.nanoTime() - oldest.since >= MAX_PARKED_NANOS ? null : queue.poll();
        }
        long until = System.nanoTime() + SPIN_NANOS;
        do {
            Task task = queue.poll();
            if (task != null) {
                return task;
            }
            Thread.onSpinWait();
        } while (System.nanoTime() - until < 0);
        engine.vmReserve().replenish(); // idle now: VMs made for the reserve stall no one's page faults
        while (grow()) {
            Task task = queue.poll();
            if (task != null) {
                return task;
            }
        }
        return queue.take();
    }

    private void execute(Task task) {
        switch (task) {
            case Task.Invoke invoke -> start(invoke);
            case Task.Prewarm prewarm -> prewarm(prewarm);
            case Task.Evict evict -> evict(evict.pool(), evict.done());
            case Task.Grow grow -> growing.add(grow.pool());
            case Task.Trim trim -> trim(trim.pool());
            case Task.Budget budget -> keepWithinBudget();
            case Task.Stop stop -> throw new AssertionError("handled by the loop");
        }
    }

    private void start(Task.Invoke task) {
        queued.decrementAndGet();
        ShellPool.Stats stats = task.pool().stats();
        stats.queued.decrementAndGet();
        stats.running.incrementAndGet();
        Shell shell = null;
        try {
            ShellPool pool = task.pool();
            if (pool.closed()) { // its snapshot may be unmapped already; the evict came first
                fail(task, null, new IllegalStateException("the shell pool of snapshot " + pool.snapshot().directory()
                        + " was closed before the invocation ran"));
                return;
            }
            if (System.nanoTime() - task.deadline() >= 0) {
                complete(task, Outcomes.timedOutBeforeStart(task.limits(), task.deadline() - task.submitted(),
                        task.submitted()));
                return;
            }
            long capacity = pool.snapshot().recv().cap();
            if (task.input().length > capacity) {
                complete(task, Outcomes.inputTooLarge(task.input().length, capacity, task.submitted()));
                return;
            }
            long started = System.nanoTime(); // before a cold start's VM: queue time is only the wait
            shell = takeShell(pool);
            Invocation invocation = Invocation.start(shell, task.input(), task.limits(), task.submitted(), started,
                    task.deadline(), vcpu, pool.reportedOnce());
            slice(new Parked(task, shell, invocation));
        } catch (Throwable t) {
            fail(task, shell, t);
        }
    }

    private Parked takeParked() {
        Parked p = parked.pollFirst();
        parkedCount = parked.size();
        return p;
    }

    private void resume(Parked p) {
        try {
            if (p.task.pool().closed()) {
                fail(p.task, p.shell, new IllegalStateException("the shell pool of snapshot " + p.task.pool().snapshot().directory()
                        + " was closed while the invocation ran"));
            } else if (System.nanoTime() - p.invocation.deadline() >= 0) {
                finish(p, p.invocation.timedOut());
            } else {
                slice(p);
            }
        } catch (Throwable t) {
            fail(p.task, p.shell, t);
        }
    }

    /** Runs the guest for one time slice; it then either finished or is parked. */
    private void slice(Parked p) {
        GuestRun.Stop stop = p.invocation.runSlice(System.nanoTime() + quantumNanos);
        if (stop instanceof GuestRun.Stop.Preempted) {
            p.since = System.nanoTime();
            parked.addLast(p);
            parkedCount = parked.size();
            return;
        }
        finish(p, p.invocation.finish(stop));
    }

    private void finish(Parked p, Result result) {
        ShellPool pool = p.task.pool();
        if (!p.shell.firstRun()) { // a shell's first run is slow for reasons of its own (shadow page tables)
            pool.ran(result.timings().runNanos());
        }
        if (p.shell.broken()) {
            pool.stats().discarded.incrementAndGet();
        }
        complete(p.task, result);
        if (p.shell.broken()) {
            lose(pool, p.shell);
        } else {
            p.shell.reset();
            giveBack(pool, p.shell);
        }
    }

    private void complete(Task.Invoke task, Result result) {
        load.decrementAndGet();
        task.pool().stats().running.decrementAndGet();
        task.result().complete(result);
    }

    /**
     * The invocation failed on the host: its caller gets the exception (an Error wrapped with
     * a sentence), its shell, if it had one, is discarded.
     */
    private void fail(Task.Invoke task, Shell shell, Throwable t) {
        load.decrementAndGet();
        task.pool().stats().running.decrementAndGet();
        if (shell != null) {
            shell.markBroken();
            task.pool().stats().discarded.incrementAndGet();
            lose(task.pool(), shell);
        }
        task.result().completeExceptionally(t instanceof RuntimeException ? t
                : new IllegalStateException("the invocation failed on the host (" + t + "); its VM was discarded", t));
    }

    /** An idle shell of the pool, or a new one created now: a cold start. */
    private Shell takeShell(ShellPool pool) {
        ArrayDeque<Shell> shells = idle.get(pool); // also marks the pool as the most recently used
        Shell shell = shells == null ? null : shells.pollFirst();
        if (shell != null) {
            pool.idleChanged(index, -1);
            return shell;
        }
        shell = create(pool);
        pool.stats().coldStarts.incrementAndGet();
        keepWithinBudget(); // it is not idle: others make room for it
        return shell;
    }

    /** A new shell of the pool, counted and accounted here. */
    private Shell create(ShellPool pool) {
        Shell shell = Shell.create(engine.vmReserve().take(pool.snapshot().memorySize(), index), pool.snapshot(), slot.runMask());
        pool.stats().created.incrementAndGet();
        pool.stats().shells.incrementAndGet();
        shell.accountedBytes = pool.shellBytes();
        account(shell.accountedBytes);
        return shell;
    }

    /** Closes a shell of the pool (off this thread) that the pool's count still includes. */
    private void close(ShellPool pool, Shell shell) {
        pool.stats().shells.decrementAndGet();
        closeUncounted(shell);
    }

    /** Closes a shell (off this thread) already taken off its pool's count; its VM may serve another cold start here. */
    private void closeUncounted(Shell shell) {
        account(-shell.accountedBytes);
        engine.retire(shell, index);
    }

    /** A shell discarded (broken): closed, and replaced in the background if the pool wants it. */
    private void lose(ShellPool pool, Shell shell) {
        close(pool, shell);
        if (!pool.closed() && pool.stats().shells() < pool.target()) {
            growing.add(pool);
        }
    }

    private void account(long bytes) {
        shellBytes += bytes;
        shellBytesView = shellBytes;
    }

    private void giveBack(ShellPool pool, Shell shell) {
        if (pool.closed() || pool.stats().shells() > pool.max()) {
            close(pool, shell);
            return;
        }
        long bytes = pool.shellBytes() + shell.privatePages() * ShellMemory.PAGE;
        if (bytes != shell.accountedBytes) {
            account(bytes - shell.accountedBytes);
            shell.accountedBytes = bytes;
        }
        shell.markReady();
        ArrayDeque<Shell> shells = idle.get(pool);
        if (shells == null) {
            shells = new ArrayDeque<>(4);
            idle.put(pool, shells);
        }
        shells.addFirst(shell); // most recently used first: its pages are the warmest
        pool.idleChanged(index, +1);
        if (shellBytes > engine.shellMemoryShare()) {
            keepWithinBudget();
        }
    }

    /**
     * With nothing queued, creates one shell for a pool that wants more than it has, if this
     * runner holds no more than its share of the pool's target and its memory budget has room.
     * Returns whether it created one.
     */
    private boolean grow() {
        for (Iterator<ShellPool> it = growing.iterator(); it.hasNext(); ) {
            ShellPool pool = it.next();
            int share = (pool.target() + engine.runnerCount() - 1) / engine.runnerCount();
            if (pool.closed() || pool.idleOn(index) >= share || shellBytes + pool.shellBytes() > engine.shellMemoryShare()) {
                it.remove(); // satisfied here, or no room: the next rise or loss asks again
                continue;
            }
            int n = pool.stats().shells();
            if (n >= pool.target()) {
                it.remove();
                continue;
            }
            try {
                giveBack(pool, create(pool));
                return true;
            } catch (Throwable t) {
                it.remove();
                return false; // out of memory or descriptors: serve requests, try again later
            }
        }
        return false;
    }

    /** Closes idle shells of the pool while it has more than its target, least recently used first. */
    private void trim(ShellPool pool) {
        ArrayDeque<Shell> shells = idle.get(pool);
        while (shells != null && !shells.isEmpty() && pool.stats().releaseAbove(pool.target())) {
            pool.idleChanged(index, -1);
            closeUncounted(shells.pollLast());
        }
        if (shells != null && shells.isEmpty()) {
            idle.remove(pool);
        }
    }

    /**
     * Over this runner's share of the memory budget, closes idle shells: of the least recently
     * used pools first, and first only those beyond their pool's minimum.
     */
    private void keepWithinBudget() {
        long share = engine.shellMemoryShare();
        for (int pass = 0; pass < 2 && shellBytes > share; pass++) {
            for (Iterator<Map.Entry<ShellPool, ArrayDeque<Shell>>> it = idle.entrySet().iterator();
                 it.hasNext() && shellBytes > share; ) {
                Map.Entry<ShellPool, ArrayDeque<Shell>> e = it.next();
                ShellPool pool = e.getKey();
                ArrayDeque<Shell> shells = e.getValue();
                while (!shells.isEmpty() && shellBytes > share && pool.stats().releaseAbove(pass == 0 ? pool.min() : 0)) {
                    pool.idleChanged(index, -1);
                    pool.stats().evictions.incrementAndGet();
                    closeUncounted(shells.pollLast());
                }
                if (shells.isEmpty()) {
                    it.remove();
                }
            }
        }
    }

    private void prewarm(Task.Prewarm task) {
        if (task.pool().closed()) {
            task.done().completeExceptionally(new IllegalStateException("the shell pool is closed"));
            return;
        }
        try {
            for (int i = 0; i < task.shells(); i++) {
                Shell shell = create(task.pool());
                if (task.warmupInput() != null) {
                    try {
                        vcpu.runToEnd(shell, task.warmupInput(), Limits.DEFAULT, System.nanoTime(),
                                new java.util.HashSet<>()); // its result is dropped: report nothing as done
                    } catch (Throwable t) {
                        shell.markBroken();
                        throw t;
                    } finally {
                        if (shell.broken()) {
                            close(task.pool(), shell);
                        }
                    }
                    if (shell.broken()) {
                        throw new IllegalStateException("warming a shell failed: the warm-up invocation did not exit");
                    }
                    shell.reset();
                }
                giveBack(task.pool(), shell);
            }
            task.done().complete(null);
        } catch (Throwable t) {
            task.done().completeExceptionally(t);
        }
    }

    /** Closes this runner's shells of {@code pool}, idle or parked mid-invocation. */
    private void evict(ShellPool pool, CountDownLatch done) {
        try {
            growing.remove(pool);
            ArrayDeque<Shell> shells = idle.remove(pool);
            if (shells != null) {
                for (Shell s : shells) {
                    pool.idleChanged(index, -1);
                    pool.stats().shells.decrementAndGet();
                    account(-s.accountedBytes);
                    s.close();
                }
            }
            for (Iterator<Parked> it = parked.iterator(); it.hasNext(); ) {
                Parked p = it.next();
                if (p.task.pool() == pool) {
                    it.remove();
                    fail(p.task, p.shell, new IllegalStateException("the shell pool of snapshot " + pool.snapshot().directory()
                            + " was closed while the invocation ran"));
                }
            }
            parkedCount = parked.size();
        } finally {
            if (done != null) {
                done.countDown();
            }
        }
    }

    /** The engine closes: every invocation still here fails, every shell is closed. */
    private void stop() {
        stopped = true;
        IllegalStateException closed = new IllegalStateException("the engine was closed");
        while (!parked.isEmpty()) {
            Parked p = takeParked();
            fail(p.task, p.shell, closed);
        }
        for (ShellPool s : idle.keySet().toArray(ShellPool[]::new)) {
            evict(s, null);
        }
        for (Task t = queue.poll(); t != null; t = queue.poll()) {
            switch (t) {
                case Task.Invoke invoke -> {
                    queued.decrementAndGet();
                    invoke.pool().stats().queued.decrementAndGet();
                    invoke.pool().stats().running.incrementAndGet(); // fail() counts it as ended
                    fail(invoke, null, closed);
                }
                case Task.Prewarm prewarm -> prewarm.done().completeExceptionally(closed);
                case Task.Evict evict -> evict.done().countDown();
                case Task.Grow grow -> { }
                case Task.Trim trim -> { }
                case Task.Budget budget -> { }
                case Task.Stop stop -> { }
            }
        }
    }
}
