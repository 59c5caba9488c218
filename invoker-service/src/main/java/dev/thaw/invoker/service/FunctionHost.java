package dev.thaw.invoker.service;

import dev.thaw.invoker.Engine;
import dev.thaw.invoker.Limits;
import dev.thaw.invoker.Result;
import dev.thaw.invoker.Sandbox;
import dev.thaw.invoker.snapshot.SnapshotException;
import dev.thaw.registry.FunctionRegistry;
import dev.thaw.registry.FunctionVersion;
import dev.thaw.snapshotter.BuildException;
import dev.thaw.snapshotter.Manifest;
import dev.thaw.snapshotter.SnapshotBuilder;
import dev.thaw.snapshotter.SnapshotStore;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.HexFormat;
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
 * per host, bundles travel), keeps a sandbox of warm shells per snapshot, and invokes.
 * Thread-safe. Builds run on their own threads, never on the caller's.
 */
public final class FunctionHost implements AutoCloseable {
    private final Engine engine;
    private final SnapshotBuilder builder;
    private final FunctionRegistry registry;
    private final Path workDir;
    private final ExecutorService builds = Executors.newFixedThreadPool(2,
            r -> Thread.ofPlatform().name("thaw-build").daemon().unstarted(r));
    /** By bundle hash: versions with the same bundle share a snapshot and its shells. */
    private final Map<String, CompletableFuture<Prepared>> prepared = new ConcurrentHashMap<>();
    private final Map<String, Set<String>> bundlesByFunction = new ConcurrentHashMap<>();
    private final AtomicInteger inFlight = new AtomicInteger();

    /** A snapshot ready to run: its sandbox and the limits of its manifest. */
    private record Prepared(Sandbox sandbox, Limits limits) {}

    /** A bundle built at deploy time. */
    public record Deployed(Manifest manifest, String manifestJson, BuildOutcome build) {}

    public FunctionHost(Engine engine, SnapshotStore store, FunctionRegistry registry, Path workDir) throws IOException {
        this.engine = engine;
        this.builder = new SnapshotBuilder(engine, store);
        this.registry = registry;
        this.workDir = Files.createDirectories(workDir);
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
     * its name, compile, boot, snapshot. Its sandbox is opened and shells are created, so the
     * first invocation does not pay for VM creation.
     */
    public Deployed build(String expectedName, byte[] bundle) throws BuildFailure {
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
            SnapshotBuilder.Built built = builder.build(manifest, root);
            Prepared p = open(sha256(bundle), manifest, built);
            p.sandbox().prewarm(engine.runnerCount());
            return new Deployed(manifest, manifestJson, BuildOutcome.of(built));
        } catch (Bundle.InvalidBundleException e) {
            throw BuildFailure.of(e);
        } catch (Manifest.InvalidManifestException e) {
            throw BuildFailure.of(e);
        } catch (BuildException e) {
            throw BuildFailure.of(e);
        } catch (IOException | RuntimeException e) {
            throw new BuildFailure(BuildFailure.Kind.HOST, "cannot build on this host: " + e.getMessage(), null, null);
        } finally {
            delete(dir);
        }
    }

    /** Runs one invocation of a deployed version, building its snapshot here first if needed. */
    public CompletableFuture<Result> invoke(FunctionVersion version, byte[] input) {
        inFlight.incrementAndGet();
        CompletableFuture<Result> result = prepare(version).thenCompose(p -> p.sandbox().submit(input, p.limits()));
        return result.whenComplete((r, e) -> inFlight.decrementAndGet());
    }

    /** Closes the shells of every version of a deleted function. */
    public void forget(String name) {
        Set<String> bundles = bundlesByFunction.remove(name);
        if (bundles != null) {
            for (String sha : bundles) {
                CompletableFuture<Prepared> p = prepared.remove(sha);
                if (p != null) {
                    p.thenAccept(x -> x.sandbox().close());
                }
            }
        }
    }

    /** The warm-shell pool of a function, summed over its versions on this host. */
    public PoolStats pool(String name) {
        long created = 0;
        long discarded = 0;
        int idle = 0;
        for (String sha : bundlesByFunction.getOrDefault(name, Set.of())) {
            CompletableFuture<Prepared> f = prepared.get(sha);
            if (f != null && f.isDone() && !f.isCompletedExceptionally()) {
                Sandbox.Stats s = f.join().sandbox().stats();
                created += s.created();
                discarded += s.discarded();
                idle += s.idle();
            }
        }
        return new PoolStats(idle, created, discarded);
    }

    /** Warm shells of a function on this host. */
    public record PoolStats(int idle, long created, long discarded) {}

    private CompletableFuture<Prepared> prepare(FunctionVersion version) {
        CompletableFuture<Prepared> p = prepared.computeIfAbsent(version.bundleSha256(),
                sha -> CompletableFuture.supplyAsync(() -> prepareFromRegistry(version), builds));
        if (p.isCompletedExceptionally()) {
            prepared.remove(version.bundleSha256(), p); // the next invocation tries again
        }
        return p;
    }

    private Prepared prepareFromRegistry(FunctionVersion version) {
        Path dir = null;
        try {
            byte[] bundle = registry.bundle(version.name(), version.version())
                    .orElseThrow(() -> new IllegalStateException("the registry has no bundle for "
                            + version.name() + "@" + version.version()));
            dir = Files.createTempDirectory(workDir, "bundle-");
            Path root = Bundle.unpack(bundle, dir);
            Manifest manifest = Manifest.load(root);
            return openOrShare(version.bundleSha256(), manifest, builder.build(manifest, root));
        } catch (Exception e) {
            throw new CompletionException(new IllegalStateException("cannot prepare " + version.name() + "@"
                    + version.version() + " on this host: " + e.getMessage(), e));
        } finally {
            delete(dir);
        }
    }

    /** Called from inside the map's own future: returns the sandbox without re-entering the map. */
    private Prepared openOrShare(String sha, Manifest manifest, SnapshotBuilder.Built built) throws SnapshotException {
        bundlesByFunction.computeIfAbsent(manifest.name(), n -> ConcurrentHashMap.newKeySet()).add(sha);
        return new Prepared(engine.open(built.directory()), limits(manifest));
    }

    /** The sandbox of a bundle built at deploy time; an invocation already preparing it wins. */
    private Prepared open(String sha, Manifest manifest, SnapshotBuilder.Built built) {
        while (true) {
            CompletableFuture<Prepared> f = prepared.computeIfAbsent(sha, s -> {
                try {
                    return CompletableFuture.completedFuture(openOrShare(s, manifest, built));
                } catch (SnapshotException e) {
                    return CompletableFuture.failedFuture(e);
                }
            });
            try {
                return f.join();
            } catch (CompletionException e) {
                if (!prepared.remove(sha, f)) {
                    continue;
                }
                throw e;
            }
        }
    }

    private static Limits limits(Manifest m) {
        return new Limits(Duration.ofMillis(m.timeoutMs()), m.maxOutputBytes());
    }

    static String sha256(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (NoSuchAlgorithmException e) {
            throw new AssertionError(e);
        }
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
        builds.shutdownNow();
        for (CompletableFuture<Prepared> p : prepared.values()) {
            p.thenAccept(x -> x.sandbox().close());
        }
        prepared.clear();
    }
}
