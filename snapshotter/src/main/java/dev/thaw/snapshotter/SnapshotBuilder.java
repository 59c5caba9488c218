package dev.thaw.snapshotter;

import dev.thaw.invoker.BootException;
import dev.thaw.invoker.BootImage;
import dev.thaw.invoker.BootReport;
import dev.thaw.invoker.Engine;
import dev.thaw.invoker.abi.Abi;
import dev.thaw.invoker.kvm.KvmException;
import dev.thaw.invoker.snapshot.SnapshotFormat;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.HexFormat;

/**
 * Builds a function into a snapshot: compile (or take the given binary, or the runtime's
 * interpreter), pack its files into a file image, check the binary, lay both out in guest
 * memory, boot it on KVM to its snapshot point, and store the snapshot
 * under the hash of its inputs. An unchanged function is not built twice.
 *
 * <p>Thread-safe, and builds run concurrently: one stuck compile must not hold up every other
 * deploy. Boots queue on the engine's one boot thread; two builds of the same snapshot both
 * boot, and the store keeps whichever publishes first.
 */
public final class SnapshotBuilder {
    private static final long MAX_BINARY_BYTES = 64L * 1024 * 1024;
    /** In each snapshot directory: the manifest fields that shaped it, the function's name among them. */
    static final String BOOT_MANIFEST = "manifest.json";
    /** How long a function may initialise before its first read of stdin. */
    public static final Duration DEFAULT_BOOT_TIMEOUT = Duration.ofSeconds(10);

    private final Engine engine;
    private final SnapshotStore store;
    private final Duration bootTimeout;
    private Toolchain toolchain; // guarded by this: located at the first compile, so an elf-only host needs none
    private Runtimes runtimes; // guarded by this

    public SnapshotBuilder(Engine engine, SnapshotStore store) {
        this(engine, store, DEFAULT_BOOT_TIMEOUT);
    }

    public SnapshotBuilder(Engine engine, SnapshotStore store, Duration bootTimeout) {
        this(engine, store, bootTimeout, null);
    }

    /** With a given toolchain (its limits, its sandbox setting) instead of {@link Toolchain#locate()}. */
    public SnapshotBuilder(Engine engine, SnapshotStore store, Duration bootTimeout, Toolchain toolchain) {
        this.engine = engine;
        this.store = store;
        this.bootTimeout = bootTimeout;
        this.toolchain = toolchain;
    }

    /**
     * A built snapshot.
     *
     * @param cached       it already existed: nothing was booted
     * @param compileNanos compiling and linking (0 for a given binary)
     * @param boot         the boot's costs, null when cached
     * @param totalNanos   the whole build, compile included
     */
    public record Built(String key, Path directory, Manifest manifest, boolean cached, long compileNanos,
                        BootReport boot, long totalNanos) {}

    /** Builds the function whose manifest is {@code functionDir/function.json}. */
    public Built build(Path functionDir) throws BuildException {
        Manifest manifest;
        try {
            manifest = Manifest.load(functionDir);
        } catch (Manifest.InvalidManifestException e) {
            throw new BuildException(BuildException.Stage.MANIFEST, e.getMessage(), e);
        } catch (IOException e) {
            throw new BuildException(BuildException.Stage.HOST, "cannot read the manifest: " + e.getMessage(), e);
        }
        return build(manifest, functionDir);
    }

    public Built build(Manifest manifest, Path functionDir) throws BuildException {
        long start = System.nanoTime();
        byte[] binary;
        Path runtimeRoot = null;
        long compileNanos = 0;
        try {
            if (manifest.runtime() == Manifest.Runtime.C) {
                Path work = Files.createTempDirectory("thaw-build-");
                try {
                    Path out = work.resolve(manifest.name() + ".elf");
                    long t = System.nanoTime();
                    Toolchain toolchain;
                    try {
                        toolchain = toolchain();
                    } catch (IllegalStateException e) {
                        throw new BuildException(BuildException.Stage.HOST, e.getMessage(), e);
                    }
                    toolchain.compile(functionDir, manifest.sources(), manifest.cflags(), out);
                    compileNanos = System.nanoTime() - t;
                    if (Files.size(out) > MAX_BINARY_BYTES) {
                        throw new BuildException(BuildException.Stage.BINARY, "the compiled binary is larger than 64 MiB", null);
                    }
                    binary = Files.readAllBytes(out);
                } finally {
                    SnapshotStore.delete(work);
                }
            } else if (manifest.runtime().interpreted()) {
                String handler = FunctionFiles.handler(manifest.runtime());
                if (!Files.isRegularFile(functionDir.resolve(handler))) {
                    throw new BuildException(BuildException.Stage.FILES, "runtime \"" + manifest.runtime().id()
                            + "\" needs " + handler + " in the function", null);
                }
                Runtimes.Built runtime;
                try {
                    runtime = runtimes().get(manifest.runtime()); // minutes on a machine's first use
                } catch (Runtimes.RuntimeBuildException | IllegalStateException e) {
                    throw new BuildException(BuildException.Stage.RUNTIME, e.getMessage(), e);
                }
                runtimeRoot = runtime.root();
                binary = Files.readAllBytes(runtime.binary());
            } else {
                Path file = functionDir.resolve(manifest.binary());
                if (!Files.isRegularFile(file)) {
                    throw new BuildException(BuildException.Stage.BINARY, "binary '" + manifest.binary() + "' not found", null);
                }
                if (Files.size(file) > MAX_BINARY_BYTES) {
                    throw new BuildException(BuildException.Stage.BINARY, "binary is larger than 64 MiB", null);
                }
                binary = Files.readAllBytes(file);
            }
        } catch (Toolchain.CompileException e) {
            throw new BuildException(BuildException.Stage.COMPILE, e.getMessage(), e);
        } catch (IOException e) {
            throw new BuildException(BuildException.Stage.HOST, "cannot build " + manifest.name() + ": " + e.getMessage(), e);
        }

        byte[] files = FunctionFiles.image(functionDir, runtimeRoot);
        BootImage image;
        try {
            image = GuestImage.of(ElfImage.parse(binary), manifest, files, engine.tscKhz());
        } catch (ElfImage.InvalidElfException e) {
            throw new BuildException(BuildException.Stage.BINARY, e.getMessage(), e);
        }
        String key = key(manifest, binary, files);
        if (store.contains(key)) {
            return new Built(key, store.path(key), manifest, true, compileNanos, null, System.nanoTime() - start);
        }
        Path staging = null;
        try {
            staging = store.staging(key);
            BootReport report = engine.boot(image, staging, bootTimeout);
            Files.write(staging.resolve("function.elf"), binary);
            Files.writeString(staging.resolve(BOOT_MANIFEST), manifest.bootJson());
            Path dir = store.publish(staging, key);
            staging = null;
            return new Built(key, dir, manifest, false, compileNanos, report, System.nanoTime() - start);
        } catch (BootException e) {
            throw new BuildException(BuildException.Stage.BOOT, e.getMessage(), e);
        } catch (IOException | KvmException e) {
            throw new BuildException(BuildException.Stage.HOST, "cannot build the snapshot: " + e.getMessage(), e);
        } finally {
            if (staging != null) {
                try {
                    SnapshotStore.delete(staging);
                } catch (IOException ignored) {
                    // a leftover staging directory is harmless: its name starts with a dot
                }
            }
        }
    }

    private synchronized Toolchain toolchain() {
        if (toolchain == null) {
            toolchain = Toolchain.locate();
        }
        return toolchain;
    }

    private synchronized Runtimes runtimes() {
        if (runtimes == null) {
            runtimes = new Runtimes(toolchain());
        }
        return runtimes;
    }

    /**
     * The snapshot's address: everything that shapes it. The library OS and libc are linked
     * into the binary, so its hash covers them; the file image covers the bundle and the
     * runtime's library.
     */
    String key(Manifest manifest, byte[] binary, byte[] files) {
        try {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            String inputs = "thaw-snapshot format=" + SnapshotFormat.VERSION + " abi=" + Abi.VERSION
                    + " layout=" + GuestLayout.VERSION + " cpu=" + engine.cpuFingerprint()
                    + " manifest=" + manifest.bootJson() + " binary=";
            sha.update(inputs.getBytes(StandardCharsets.UTF_8));
            sha.update(MessageDigest.getInstance("SHA-256").digest(binary));
            sha.update(" files=".getBytes(StandardCharsets.UTF_8));
            sha.update(MessageDigest.getInstance("SHA-256").digest(files));
            return HexFormat.of().formatHex(sha.digest()).substring(0, 32);
        } catch (NoSuchAlgorithmException e) {
            throw new AssertionError(e);
        }
    }
}
