package dev.thaw.invoker.service;

import dev.thaw.invoker.Engine;
import dev.thaw.invoker.Limits;
import dev.thaw.invoker.Result;
import dev.thaw.invoker.Settings;
import dev.thaw.invoker.ShellPool;
import dev.thaw.invoker.EngineBusyException;
import dev.thaw.protocol.BuildFailure;
import dev.thaw.protocol.BuildOutcome;
import dev.thaw.protocol.Bundle;
import dev.thaw.protocol.InvocationResult;
import dev.thaw.protocol.InvokerBusyException;
import dev.thaw.protocol.ScalePolicy;
import dev.thaw.protocol.Sha256;
import dev.thaw.registry.FunctionRegistry;
import dev.thaw.registry.FunctionVersion;
import dev.thaw.snapshotter.BuildException;
import dev.thaw.snapshotter.Manifest;
import dev.thaw.snapshotter.SnapshotBuilder;
import dev.thaw.snapshotter.SnapshotStore;
import io.netty.util.concurrent.EventExecutor;
import io.netty.util.internal.ThreadExecutorMap;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Runs functions on this host: builds a deployed bundle into a snapshot here (snapshots are
 * per host, bundles travel), keeps a pool of warm shells per snapshot, and invokes.
 * Thread-safe. Builds run on their own threads, never on the caller's.
 *
 * <p>Warm shells follow demand ({@link PoolScaler}): a deployed function starts with one (or
 * its {@code min_warm}), each invocation that finds none idle creates one, and after
 * {@code idle_timeout_s} without invocations it keeps none; its next invocation is a cold
 * start from the snapshot, which stays open and on disk. The engine's memory budget closes
 * the least recently used idle shells when they exceed it.
 *
 * <p>Only the newest version of a function keeps warm shells. When a newer version is built
 * or prepared here, the older ones are retired: their pools close as soon as no
 * invocation uses them. An older version invoked afterwards (it stays addressable as
 * {@code name@n}) runs on a pool opened for it and closed again when it is idle. Snapshot
 * directories of a function that no open pool uses are collected after each deploy and
 * delete, so redeploying does not fill the disk; an old version's snapshot is rebuilt from
 * its bundle if it is called again. This process must own its snapshot directory.
 *
 * <p>Invoked from a Netty event loop (the invoker's server, or the embedded gateway's Vert.x
 * loops), a function whose recent invocations all ran short runs on that loop itself
 * ({@link Engine#hostInvocations}): no hand-off to a runner thread and back. Setting
 * {@code thaw.inline-short-functions} (system property, or {@code THAW_INLINE_SHORT_FUNCTIONS})
 * to {@code false} turns that off.
 */
public final class FunctionHost implements AutoCloseable {
    private final Engine engine;
    private final boolean inlineShort = !"false".equalsIgnoreCase(Settings.get("thaw.inline-short-functions"));
    private final SnapshotStore store;
    private final SnapshotBuilder builder;
    private final FunctionRegistry registry;
    private final Path workDir;
    private final ExecutorService builds = Executors.newFixedThreadPool(2,
            r -> Thread.ofPlatform().name("thaw-build").daemon().unstarted(r));
    /** Closes retired pools and collects snapshots, off every caller's thread (closing waits for the runners). */
    private final ExecutorService retirements = Executors.newSingleThreadExecutor(
            r -> Thread.ofPlatform().name("thaw-retire").daemon().unstarted(r));
    /** By bundle hash: versions with the same bundle share a snapshot and its shells. */
    private final Map<String, CompletableFuture<Hosted>> hosted = new ConcurrentHashMap<>();
    /** The newest version of each function this host has prepared. */
    private final Map<String, Integer> newest = new ConcurrentHashMap<>();
    /** One lock per function: its builds and the collection of its snapshots do not overlap. */
    private final Map<String, Object> functionLocks = new ConcurrentHashMap<>();
    private final AtomicInteger inFlight = new AtomicInteger();
    /** Beyond any function's timeout (at most 15 minutes): a deadline that leaves the timeout in force. */
    static final long BEYOND_ANY_TIMEOUT = Duration.ofHours(1).toNanos();
    /** Every pool opened and not yet retired, including one whose preparation is finishing. */
    private final Set<Hosted> live = ConcurrentHashMap.newKeySet();
    private final PoolScaler scaler;
    /** What closed pools of a function did (created, discarded, cold starts, evictions), so its counters never go back. */
    private final Map<String, long[]> closedCounts = new ConcurrentHashMap<>();

    /**
     * A function's pools on this host, summed over its open versions.
     *
     * @param idle       warm shells waiting for an invocation
     * @param created    VMs created from its snapshots so far
     * @param discarded  shells thrown away after a timeout, crash or ABI violation
     * @param shells     warm shells open now, idle or serving
     * @param inFlight   invocations on a shell now
     * @param queued     invocations waiting for a runner
     * @param coldStarts invocations that waited for a VM to be created
     * @param evictions  idle shells closed for the memory budget
     */
    public record PoolStats(int idle, long created, long discarded, int shells, int inFlight, int queued,
                            long coldStarts, long evictions) {
        static final PoolStats NONE = new PoolStats(0, 0, 0, 0, 0, 0, 0, 0);
    }

    /**
     * One bundle's snapshot open on this host, with the invocations using it counted so that
     * retiring it never closes a pool under a running invocation.
     */
    private final class Hosted implements PoolScaler.Scaled {
        final String function;
        final String sha;
        final ShellPool pool;
        final Limits limits;
        final Manifest.Scaling scaling;
        private int using; // guarded by this
        private long usingSince; // guarded by this: when using last changed (System.nanoTime)
        private double demandArea; // guarded by this: the integral of using over time since the last take
        private long lastTake = System.nanoTime(); // guarded by this
        private boolean retiring; // guarded by this: close when nothing uses it
        private boolean closed; // guarded by this
        private volatile boolean scaled;

        Hosted(String function, String sha, ShellPool pool, Limits limits, Manifest.Scaling scaling, boolean retiring) {
            this.function = function;
            this.sha = sha;
            this.pool = pool;
            this.limits = limits;
            this.scaling = scaling;
            this.retiring = retiring;
            this.usingSince = System.nanoTime();
            pool.bounds(scaling.minWarm(), scaling.maxWarm());
            live.add(this);
        }

        /** Takes a use; false when it is closed (the caller prepares the bundle again). */
        synchronized boolean enter() {
            if (closed) {
                return false;
            }
            using(+1);
            return true;
        }

        synchronized void exit() {
            using(-1);
            if (using == 0 && retiring) {
                close();
            }
        }

        private void using(int delta) { // with this held
            long now = System.nanoTime();
            demandArea += (double) using * (now - usingSince);
            usingSince = now;
            using += delta;
        }

        @Override
        public synchronized double takeDemand(long now) {
            demandArea += (double) using * (now - usingSince);
            long span = now - lastTake;
            double demand = span > 0 ? demandArea / span : using;
            demandArea = 0;
            usingSince = now;
            lastTake = now;
            return demand;
        }

        @Override
        public synchronized boolean busy() {
            return using > 0;
        }

        @Override
        public ShellPool pool() {
            return pool;
        }

        @Override
        public ScalePolicy.Settings settings(PoolScaler.Timing timing) {
            // One invocation per shell (a shell runs one at a time), panic at 2x as Knative does.
            return new ScalePolicy.Settings(timing.stable(), timing.panic(), 1, 2.0, Duration.ZERO,
                    Duration.ofSeconds(scaling.idleTimeoutS()), scaling.minWarm(), scaling.maxWarm());
        }

        @Override
        public boolean scaled() {
            return scaled;
        }

        @Override
        public void scaled(boolean scaled) {
            this.scaled = scaled;
        }

        synchronized void retire() {
            retiring = true;
            if (using == 0) {
                close();
            }
        }

        private void close() { // with this held
            if (closed) {
                return;
            }
            closed = true;
            live.remove(this); // its snapshot may be collected once the close queued below has run
            hosted.computeIfPresent(sha, (s, f) -> f.isDone() && !f.isCompletedExceptionally() && f.join() == this ? null : f);
            retirements.execute(() -> {
                pool.close();
                ShellPool.Stats st = pool.stats();
                closedCounts.merge(function, new long[] {st.created(), st.discarded(), st.coldStarts(), st.evictions()},
                        (a, b) -> new long[] {a[0] + b[0], a[1] + b[1], a[2] + b[2], a[3] + b[3]});
            });
        }

        @Override
        public synchronized boolean isOpen() {
            return !closed;
        }
    }

    public FunctionHost(Engine engine, SnapshotStore store, FunctionRegistry registry, Path workDir) throws IOException {
        this(engine, store, registry, workDir, PoolScaler.Timing.DEFAULT);
    }

    /** With other windows for sizing pools than Knative's 60 s and 6 s, ticking every {@code tick}: for tests. */
    public FunctionHost(Engine engine, SnapshotStore store, FunctionRegistry registry, Path workDir, Duration tick,
                        Duration stableWindow, Duration panicWindow) throws IOException {
        this(engine, store, registry, workDir, new PoolScaler.Timing(tick, stableWindow, panicWindow));
    }

    private FunctionHost(Engine engine, SnapshotStore store, FunctionRegistry registry, Path workDir,
                         PoolScaler.Timing timing) throws IOException {
        this.engine = engine;
        this.store = store;
        this.builder = new SnapshotBuilder(engine, store);
        this.registry = registry;
        this.workDir = Files.createDirectories(workDir);
        this.scaler = new PoolScaler(timing); // last: its thread starts only for a host that exists
    }

    public Engine engine() {
        return engine;
    }

    /** Runner threads: how many invocations this host runs at once. */
    public int capacity() {
        return engine.runnerCount();
    }

    /** Invocations accepted and not finished. */
    public int inFlight() {
        return inFlight.get();
    }

    /**
     * Builds a bundle into a snapshot on this host (a deploy): unpack, check the manifest and
     * its name, compile, boot, snapshot. Its pool is opened and one shell is created (or
     * {@code min_warm}), so the first invocation does not pay for VM creation; the function's
     * older bundles are retired.
     */
    public BuildOutcome build(String expectedName, byte[] bundle) throws BuildFailure {
        Path dir = null;
        try {
            dir = Files.createTempDirectory(workDir, "bundle-");
            Path root = Bundle.unpack(bundle, dir);
            Path manifestFile = root.resolve(Manifest.FILE);
            if (!Files.isRegularFile(manifestFile)) {
                throw new BuildFailure(BuildFailure.Kind.INVALID,
                        "bundle: no function.json at its top level (or in its one top-level directory)", null, null);
            }
            Manifest manifest = Manifest.load(root);
            if (!manifest.name().equals(expectedName)) {
                throw new BuildFailure(BuildFailure.Kind.INVALID, "manifest field 'name': '" + manifest.name()
                        + "' does not match the function '" + expectedName + "' it is deployed as", "name", null);
            }
            String manifestJson = Files.readString(manifestFile, StandardCharsets.UTF_8);
            String sha = Sha256.hex(bundle);
            SnapshotBuilder.Built built;
            Hosted h;
            synchronized (lock(expectedName)) {
                built = builder.build(manifest, root);
                h = openForDeploy(sha, manifest, built);
            }
            int initial = Math.min(Math.max(1, manifest.scaling().minWarm()), manifest.scaling().maxWarm());
            if (initial > h.pool.stats().shells()) {
                h.pool.prewarm(initial - h.pool.stats().shells());
            }
            scaler.activate(h, true);
            retireAllBut(expectedName, sha);
            return ToProtocol.outcome(built, manifestJson);
        } catch (Bundle.InvalidBundleException e) {
            throw ToProtocol.failure(e);
        } catch (Manifest.InvalidManifestException e) {
            throw ToProtocol.failure(e);
        } catch (BuildException e) {
            throw ToProtocol.failure(e);
        } catch (IOException | RuntimeException e) {
            throw new BuildFailure(BuildFailure.Kind.HOST, "cannot build on this host: " + e.getMessage(), null, null);
        } finally {
            delete(dir);
        }
    }

    /** Runs one invocation of a deployed version with its whole timeout, building its snapshot here first if needed. */
    public CompletableFuture<InvocationResult> invoke(FunctionVersion version, byte[] input) {
        return invoke(version, input, System.nanoTime() + BEYOND_ANY_TIMEOUT);
    }

    /**
     * Runs one invocation that must end by {@code deadlineNanos} ({@link System#nanoTime()};
     * the gateway's admission plus the function's timeout, so time spent before it got here
     * counts), and never later than its own timeout from now. Fails with
     * {@link InvokerBusyException} when every runner's queue is full: nothing ran.
     */
    public CompletableFuture<InvocationResult> invoke(FunctionVersion version, byte[] input, long deadlineNanos) {
        inFlight.incrementAndGet();
        return run(version, input, deadlineNanos, 0).thenApply(ToProtocol::result)
                .whenComplete((r, e) -> inFlight.decrementAndGet());
    }

    private CompletableFuture<Result> run(FunctionVersion version, byte[] input, long deadlineNanos, int attempt) {
        long asked = System.nanoTime();
        CompletableFuture<Hosted> prepared = prepare(version);
        boolean cold = !prepared.isDone();
        return prepared.thenCompose(h -> {
            // Building the snapshot here (a cold start: after a restart, or on a new invoker) is
            // not the function's time, as a cold start's init phase is not elsewhere.
            long deadline = cold ? deadlineNanos + (System.nanoTime() - asked) : deadlineNanos;
            if (!h.enter()) { // retired between the look-up and now: prepare it again
                return attempt < 3 ? run(version, input, deadline, attempt + 1) : CompletableFuture.failedFuture(
                        new IllegalStateException(version.name() + "@" + version.version() + " kept being retired"));
            }
            if (!h.scaled) {
                scaler.activate(h, false); // it was idle: size it again from now on
            }
            CompletableFuture<Result> result;
            try {
                if (inlineShort) {
                    EventExecutor loop = ThreadExecutorMap.currentExecutor(); // null off a Netty event loop
                    if (loop != null) {
                        engine.hostInvocations(loop);
                    }
                }
                result = h.pool.submit(input, h.limits, deadline); // the engine caps it at its own timeout from now
            } catch (EngineBusyException e) {
                h.exit();
                return CompletableFuture.failedFuture(new InvokerBusyException(e.getMessage()));
            } catch (RuntimeException e) {
                h.exit();
                return CompletableFuture.failedFuture(e);
            }
            return result.whenComplete((r, e) -> h.exit());
        });
    }

    /** Closes the shells of every version of a deleted function and collects its snapshots. */
    public void forget(String name) {
        retireAllBut(name, null);
        newest.remove(name);
        retirements.execute(() -> closedCounts.remove(name)); // after the closes queued above: a deleted function's counters go
    }

    /** The warm-shell pool of a function, summed over its versions on this host (counters include closed ones). */
    public PoolStats pool(String name) {
        PoolStats sum = closed(name);
        for (Hosted h : open(name)) {
            sum = add(sum, h.pool.stats());
        }
        return sum;
    }

    /** Every function with a pool open on this host, or that had one, and its pool (one pass over them). */
    public Map<String, PoolStats> pools() {
        Map<String, PoolStats> all = new java.util.TreeMap<>();
        for (String name : closedCounts.keySet()) {
            all.put(name, closed(name));
        }
        for (Hosted h : open(null)) {
            all.put(h.function, add(all.getOrDefault(h.function, PoolStats.NONE), h.pool.stats()));
        }
        return all;
    }

    private PoolStats closed(String name) {
        long[] c = closedCounts.get(name);
        return c == null ? PoolStats.NONE : new PoolStats(0, c[0], c[1], 0, 0, 0, c[2], c[3]);
    }

    private static PoolStats add(PoolStats p, ShellPool.Stats s) {
        return new PoolStats(p.idle() + s.idle(), p.created() + s.created(), p.discarded() + s.discarded(),
                p.shells() + s.shells(), p.inFlight() + s.running(), p.queued() + s.queued(),
                p.coldStarts() + s.coldStarts(), p.evictions() + s.evictions());
    }

    /** Pools the scaler sizes now (functions invoked within their idle timeout, or keeping min_warm). */
    public int activePools() {
        return scaler.activePools();
    }

    /** Sandboxes open on this host (every function, every version). */
    public int openSandboxes() {
        return open(null).size();
    }

    private List<Hosted> open(String function) {
        return hosted.values().stream()
                .filter(f -> f.isDone() && !f.isCompletedExceptionally())
                .map(CompletableFuture::join)
                .filter(h -> (function == null || h.function.equals(function)) && h.isOpen())
                .toList();
    }

    private CompletableFuture<Hosted> prepare(FunctionVersion version) {
        CompletableFuture<Hosted> p = hosted.computeIfAbsent(version.bundleSha256(),
                sha -> CompletableFuture.supplyAsync(() -> prepareFromRegistry(version), builds));
        if (p.isCompletedExceptionally()) {
            hosted.remove(version.bundleSha256(), p); // the next invocation tries again
        }
        return p;
    }

    private Hosted prepareFromRegistry(FunctionVersion version) {
        Path dir = null;
        try {
            byte[] bundle = registry.bundle(version.name(), version.version())
                    .orElseThrow(() -> new IllegalStateException("the registry has no bundle for "
                            + version.name() + "@" + version.version()));
            dir = Files.createTempDirectory(workDir, "bundle-");
            Path root = Bundle.unpack(bundle, dir);
            Manifest manifest = Manifest.load(root);
            int newer = newest.merge(version.name(), version.version(), Math::max);
            boolean superseded = version.version() < newer;
            Hosted h;
            synchronized (lock(version.name())) {
                h = new Hosted(manifest.name(), version.bundleSha256(),
                        engine.open(builder.build(manifest, root).directory(), 0), limits(manifest), manifest.scaling(),
                        superseded);
            }
            if (!superseded) {
                retireAllBut(version.name(), version.bundleSha256());
            }
            return h;
        } catch (Exception e) {
            throw new CompletionException(new IllegalStateException("cannot prepare " + version.name() + "@"
                    + version.version() + " on this host: " + e.getMessage(), e));
        } finally {
            delete(dir);
        }
    }

    /** The pool of a bundle built at deploy time; an invocation already preparing it wins. */
    private Hosted openForDeploy(String sha, Manifest manifest, SnapshotBuilder.Built built) {
        while (true) {
            CompletableFuture<Hosted> f = hosted.computeIfAbsent(sha, s -> {
                try {
                    return CompletableFuture.completedFuture(new Hosted(manifest.name(), s, engine.open(built.directory(), 0),
                            limits(manifest), manifest.scaling(), false));
                } catch (Exception e) {
                    return CompletableFuture.failedFuture(e);
                }
            });
            try {
                Hosted h = f.join();
                if (h.isOpen()) {
                    return h;
                }
                hosted.remove(sha, f); // retired meanwhile: open it again
            } catch (CompletionException e) {
                if (!hosted.remove(sha, f)) {
                    continue;
                }
                throw e;
            }
        }
    }

    /**
     * Retires the function's pools other than the bundle {@code keep} (null: all of them),
     * then collects the function's snapshot directories that no open pool uses.
     */
    private void retireAllBut(String function, String keep) {
        for (Hosted h : open(function)) {
            if (!h.sha.equals(keep)) {
                h.retire();
            }
        }
        retirements.execute(() -> collectSnapshots(function)); // after the closes queued above
    }

    private void collectSnapshots(String function) {
        synchronized (lock(function)) {
            Set<Path> inUse = new HashSet<>();
            for (Hosted h : live) {
                if (h.function.equals(function)) { // only its own snapshots can be collected
                    inUse.add(h.pool.snapshot().directory());
                }
            }
            try {
                store.collect(function, inUse);
            } catch (IOException e) {
                System.getLogger(FunctionHost.class.getName()).log(System.Logger.Level.WARNING,
                        "collecting the snapshots of " + function + " failed: " + e.getMessage());
            }
        }
    }

    private Object lock(String function) {
        return functionLocks.computeIfAbsent(function, f -> new Object());
    }

    private static Limits limits(Manifest m) {
        return new Limits(Duration.ofMillis(m.timeoutMs()), m.maxOutputBytes());
    }

    private static void delete(Path dir) {
        if (dir != null) {
            try {
                SnapshotStore.delete(dir);
            } catch (IOException ignored) {
                // a leftover temporary directory is harmless
            }
        }
    }

    @Override
    public void close() {
        scaler.close();
        builds.shutdownNow();
        for (CompletableFuture<Hosted> p : hosted.values()) {
            p.thenAccept(h -> h.pool.close());
        }
        hosted.clear();
        retirements.shutdown();
    }
}
