package dev.thaw.invoker;

import dev.thaw.invoker.kvm.Kvm;
import dev.thaw.invoker.kvm.Vcpu;
import dev.thaw.invoker.kvm.Vm;
import dev.thaw.invoker.snapshot.Snapshot;
import dev.thaw.invoker.snapshot.SnapshotException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Thaw's VMM: owns /dev/kvm, the runner threads that run vCPUs, the watchdog that enforces
 * deadlines and time slices, and, off the invocation path, a thread that makes empty VMs ahead
 * of cold starts ({@link VmReserve}) and one that closes discarded VMs.
 */
public final class Engine implements AutoCloseable {
    /**
     * Invocations one runner accepts waiting, by default: at tens of microseconds for a small
     * function this is milliseconds of work; beyond it a caller is better told to come back.
     */
    public static final int DEFAULT_QUEUE_CAPACITY = 256;

    private final Kvm kvm;
    private final long tscKhz;
    private final Watchdog watchdog = new Watchdog();
    private final Runner[] runners;
    /** Runners that live on I/O threads ({@link #hostInvocations}), and the one of the calling thread. */
    private final List<Runner> hosted = new CopyOnWriteArrayList<>();
    private final ThreadLocal<Runner> hostedHere = new ThreadLocal<>();
    private final AtomicLong ranOnCallers = new AtomicLong();
    /** The most I/O threads that may host a runner (each holds a watchdog slot and its own shells). */
    static final int MAX_HOSTED = 64;
    private final VmReserve vmReserve;
    private final int queueCapacity;
    private final ExecutorService closer = Executors.newSingleThreadExecutor(
            r -> Thread.ofPlatform().name("thaw-closer").daemon().unstarted(r));
    private final ExecutorService booter = Executors.newSingleThreadExecutor(
            r -> Thread.ofPlatform().name("thaw-boot").daemon().unstarted(r));
    private final Set<ShellPool> pools = ConcurrentHashMap.newKeySet();
    private volatile long shellMemoryBudget = Long.MAX_VALUE;
    private Watchdog.Slot bootSlot; // boot thread only

    private Engine(int runnerCount, int queueCapacity) {
        this.kvm = Kvm.open();
        try (Vm vm = kvm.createVm(); Vcpu vcpu = vm.createVcpu(0)) {
            this.tscKhz = vcpu.tscKhz();
        }
        this.vmReserve = new VmReserve(kvm, runnerCount);
        this.queueCapacity = queueCapacity;
        this.runners = new Runner[runnerCount];
        for (int i = 0; i < runnerCount; i++) {
            runners[i] = new Runner(this, i, queueCapacity);
        }
    }

    /** Starts an engine with one runner thread per CPU. */
    public static Engine start() {
        return start(Runtime.getRuntime().availableProcessors());
    }

    public static Engine start(int runners) {
        return start(runners, DEFAULT_QUEUE_CAPACITY);
    }

    /**
     * Starts an engine with {@code runners} runner threads, each accepting up to
     * {@code queueCapacity} invocations waiting to start; beyond that, {@link ShellPool#submit}
     * throws {@link EngineBusyException}.
     */
    public static Engine start(int runners, int queueCapacity) {
        if (runners < 1) {
            throw new IllegalArgumentException("runners must be at least 1: " + runners);
        }
        if (queueCapacity < 1) {
            throw new IllegalArgumentException("queueCapacity must be at least 1: " + queueCapacity);
        }
        return new Engine(runners, queueCapacity);
    }

    /**
     * Loads a snapshot and returns its pool, with no shell yet: invocations create them, and it
     * keeps up to two per runner, and replaces lost ones up to one per runner.
     */
    public ShellPool open(Path snapshotDir) throws SnapshotException {
        return open(snapshotDir, runners.length, 2 * runners.length);
    }

    /** Loads a snapshot and returns its pool, with no shell yet; it keeps up to {@code shells} of them. */
    public ShellPool open(Path snapshotDir, int shells) throws SnapshotException {
        return open(snapshotDir, shells, shells);
    }

    private ShellPool open(Path snapshotDir, int target, int max) throws SnapshotException {
        ShellPool pool = new ShellPool(this, Snapshot.load(snapshotDir, kvm.cpuFingerprint()), target, max);
        pools.add(pool);
        return pool;
    }

    /**
     * Bounds the estimated host memory of all shells ({@link ShellMemory}), shared equally by
     * the runners: a runner over its share closes its least recently used idle shells, sparing
     * each pool's {@link ShellPool#min()} until nothing else is left, and creates none in the
     * background. Shells serving invocations are never closed for it, and an invocation that
     * needs a new VM always gets one. {@code Long.MAX_VALUE}: no budget (the default).
     */
    public void shellMemoryBudget(long bytes) {
        if (bytes <= 0) {
            throw new IllegalArgumentException("the shell memory budget must be positive: " + bytes);
        }
        shellMemoryBudget = bytes;
        for (Runner r : runners) {
            r.submit(new Runner.Task.Budget());
        }
        for (Runner r : hosted) {
            r.submit(new Runner.Task.Budget());
        }
    }

    public long shellMemoryBudget() {
        return shellMemoryBudget;
    }

    /** Each runner's share of the budget. */
    long shellMemoryShare() {
        long b = shellMemoryBudget;
        return b == Long.MAX_VALUE ? b : b / (runners.length + hosted.size());
    }

    /** The estimated host memory of every shell open now (see {@link ShellMemory}). */
    public long shellMemory() {
        long sum = 0;
        for (Runner r : runners) {
            sum += r.shellMemory();
        }
        for (Runner r : hosted) {
            sum += r.shellMemory();
        }
        return sum;
    }

    /**
     * Boots {@code image} to its snapshot point and writes the snapshot into {@code dir}, an
     * existing empty directory. Runs on the engine's boot thread.
     */
    public BootReport boot(BootImage image, Path dir, Duration timeout) throws BootException {
        Future<BootReport> report = booter.submit(() -> {
            if (bootSlot == null) {
                bootSlot = watchdog.register();
            }
            return Booter.boot(kvm, bootSlot, image, dir, timeout);
        });
        try {
            return report.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new BootException("interrupted while booting", e);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof BootException b) {
                throw b;
            }
            throw e.getCause() instanceof RuntimeException r ? r : new IllegalStateException(e.getCause());
        }
    }

    /** The CPU fingerprint snapshots built here carry, and must match to run here. */
    public String cpuFingerprint() {
        return kvm.cpuFingerprint();
    }

    public int runnerCount() {
        return runners.length;
    }

    /** Invocations each runner accepts waiting to start. */
    public int queueCapacity() {
        return queueCapacity;
    }

    Kvm kvm() {
        return kvm;
    }

    /** The guest TSC's frequency in kHz (what the library OS scales its clocks by). */
    public long tscKhz() {
        return tscKhz;
    }

    Watchdog watchdog() {
        return watchdog;
    }

    /** Empty VMs made ahead of cold starts. */
    VmReserve vmReserve() {
        return vmReserve;
    }

    /**
     * Empty VMs waiting for cold starts now ({@link VmReserve}): KVM VMs this process holds
     * that are no function's shell.
     */
    public int reservedVms() {
        return vmReserve.available();
    }

    /** VMs of retired shells that went back to the reserve instead of being closed. */
    public long recycledVms() {
        return vmReserve.recycled();
    }

    /** Cold starts that ran in a recycled VM ({@link #recycledVms()}). */
    public long reusedVms() {
        return vmReserve.reused();
    }

    Runner runner(int index) {
        return runners[index];
    }

    /**
     * Queues an invocation on the least loaded runner (among equals, one that holds an idle
     * shell of the pool), or on any other with room when that one's queue is full.
     */
    void admit(ShellPool pool, Runner.Task.Invoke task) {
        Runner here = hostedHere.get();
        if (here != null) {
            if (pool.runsShort() && here.tryRunHere(task)) {
                ranOnCallers.incrementAndGet();
                return;
            }
            here.handingOff(task);
        }
        Runner best = pickRunner(pool);
        if (best.offer(task)) {
            return;
        }
        for (Runner r : runners) {
            if (r != best && r.offer(task)) {
                return;
            }
        }
        EngineBusyException busy = new EngineBusyException("the engine is busy: " + (runners.length == 1 ? "its runner has "
                : "each of its " + runners.length + " runners has ") + queueCapacity + " invocations waiting; try again later");
        task.result().completeExceptionally(busy); // nobody waits on it; what watches it (handingOff) is done with it
        throw busy;
    }

    /**
     * Lets the calling thread, an I/O event loop whose tasks {@code host} runs, run short
     * invocations it submits itself, right there (see {@link Runner}, "Hosted runners"):
     * for a function whose recent invocations ran short (see {@code ShellPool.ran}), and for
     * which this thread holds an idle shell, the invocation then costs no thread hand-off
     * either way, and its result is complete when {@link ShellPool#submit} returns. The
     * thread must stay the same platform thread for the engine's life (KVM binds a vCPU to its
     * thread) and must never block for long. Calling it again on the same thread does nothing.
     */
    public void hostInvocations(Executor host) {
        if (hostedHere.get() != null) {
            return;
        }
        synchronized (hosted) {
            if (hosted.size() >= MAX_HOSTED || Thread.currentThread().isVirtual()) {
                return;
            }
            Runner r = new Runner(this, runners.length + hosted.size(), host);
            hosted.add(r);
            hostedHere.set(r);
        }
    }

    /** Invocations run on the I/O thread that submitted them ({@link #hostInvocations}) so far. */
    public long invocationsRunOnCallers() {
        return ranOnCallers.get();
    }

    /** Runners hosted by I/O threads so far. */
    List<Runner> hostedRunners() {
        return hosted;
    }

    /** The least loaded runner; among equals, one that holds an idle shell of the pool. */
    private Runner pickRunner(ShellPool pool) {
        Runner best = runners[0];
        int bestScore = Integer.MAX_VALUE;
        for (Runner r : runners) {
            int score = r.load() * 2 + (pool.idleOn(r.index()) > 0 ? 0 : 1);
            if (score < bestScore) {
                best = r;
                bestScore = score;
            }
        }
        return best;
    }

    void closeLater(Shell shell) {
        closer.execute(shell::close);
    }

    /** Waits until the shells handed to the closer thread so far are closed (it runs tasks in order). */
    void awaitClosed(Duration timeout) throws InterruptedException {
        try {
            closer.submit(() -> { }).get(timeout.toNanos(), TimeUnit.NANOSECONDS);
        } catch (ExecutionException | TimeoutException e) {
            throw new IllegalStateException("the closer thread did not finish in " + timeout, e);
        }
    }

    /**
     * Off the caller's thread: a shell no pool keeps any more. Reset and whole, its VM goes
     * back to the reserve for a cold start on runner {@code runner} ({@link Shell#recycle});
     * broken, or when recycling fails, it is closed.
     */
    void retire(Shell shell, int runner) {
        closer.execute(() -> {
            if (!shell.broken()) {
                try {
                    vmReserve.giveBack(shell.recycle(runner));
                    return;
                } catch (RuntimeException e) { // recycle closed it all
                    System.getLogger(Engine.class.getName()).log(System.Logger.Level.WARNING,
                            "recycling a VM failed; it was closed: " + e.getMessage());
                    return;
                }
            }
            shell.close();
        });
    }

    void forget(ShellPool pool) {
        pools.remove(pool);
    }

    @Override
    public void close() {
        for (ShellPool s : pools.toArray(ShellPool[]::new)) {
            s.close();
        }
        for (Runner r : runners) {
            r.submit(new Runner.Task.Stop());
        }
        for (Runner r : hosted) {
            try {
                r.submit(new Runner.Task.Stop());
            } catch (IllegalStateException stoppedAlready) {
                // its host refused its tasks earlier and it stopped then
            }
        }
        for (Runner r : hosted) {
            try {
                r.join();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        for (Runner r : runners) {
            try {
                r.join();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        booter.shutdown();
        closer.shutdown();
        try {
            closer.awaitTermination(10, java.util.concurrent.TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        vmReserve.close();
        watchdog.close();
        kvm.close();
    }
}
