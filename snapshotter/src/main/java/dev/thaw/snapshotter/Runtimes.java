package dev.thaw.snapshotter;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * The language runtimes (Python, Lua): interpreters built from Debian's source packages with
 * thaw-cc, once per machine, by the operator-side scripts the guest toolchain installs in
 * {@code sysroot/runtimes/} (trusted builds, not user code). Each build is cached under a
 * key of everything that shapes it (see {@code runtimes/build.sh}); the first use on a
 * machine takes minutes, later ones are a cache look-up.
 */
public final class Runtimes {
    private static final System.Logger LOG = System.getLogger(Runtimes.class.getName());
    private static final long BUILD_TIMEOUT_MINUTES = 30;

    private final Path scripts;
    private final Map<Manifest.Runtime, Built> built = new ConcurrentHashMap<>();

    /**
     * A built runtime.
     *
     * @param binary the interpreter with its bootstrap, a Thaw executable
     * @param root   a directory whose tree goes at the root of the guest's file image
     */
    public record Built(Path binary, Path root) {}

    /** The runtime could not be built; the message has the build's last lines. */
    public static final class RuntimeBuildException extends Exception {
        private static final long serialVersionUID = 1L;

        RuntimeBuildException(String message) {
            super(message);
        }
    }

    public Runtimes(Toolchain toolchain) {
        this.scripts = toolchain.sysroot().resolve("runtimes");
    }

    /** The runtime, built first if this machine has not built it yet. */
    public Built get(Manifest.Runtime runtime) throws RuntimeBuildException {
        if (!runtime.interpreted()) {
            throw new IllegalArgumentException(runtime.id() + " is not an interpreted runtime");
        }
        Built b = built.get(runtime);
        if (b != null) {
            return b;
        }
        synchronized (this) {
            b = built.get(runtime);
            if (b == null) {
                b = build(runtime);
                built.put(runtime, b);
            }
            return b;
        }
    }

    private Built build(Manifest.Runtime runtime) throws RuntimeBuildException {
        Path script = scripts.resolve("build.sh");
        if (!Files.isExecutable(script)) {
            throw new RuntimeBuildException("no runtime build script at " + script + " (rebuild unikernel-base)");
        }
        ProcessBuilder pb = new ProcessBuilder(script.toString(), runtime.id()).redirectErrorStream(false);
        List<String> progress = new ArrayList<>();
        String out;
        int status;
        try {
            Process p = pb.start();
            p.getOutputStream().close();
            Thread stderr = Thread.ofPlatform().daemon().name("thaw-runtime-build").start(() -> {
                try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getErrorStream(), StandardCharsets.UTF_8))) {
                    for (String line; (line = r.readLine()) != null; ) {
                        synchronized (progress) {
                            progress.add(line);
                        }
                        LOG.log(System.Logger.Level.INFO, line); // "building the Python runtime (first use, ~4 min)"
                    }
                } catch (IOException ignored) {
                    // the process ended
                }
            });
            out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
            if (!p.waitFor(BUILD_TIMEOUT_MINUTES, TimeUnit.MINUTES)) {
                p.destroyForcibly();
                throw new RuntimeBuildException("building the " + runtime.id() + " runtime took longer than "
                        + BUILD_TIMEOUT_MINUTES + " minutes");
            }
            stderr.join(10_000);
            status = p.exitValue();
        } catch (IOException e) {
            throw new RuntimeBuildException("cannot run " + script + ": " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new RuntimeBuildException("interrupted while building the " + runtime.id() + " runtime");
        }
        if (status != 0) {
            List<String> tail;
            synchronized (progress) {
                tail = List.copyOf(progress.subList(Math.max(0, progress.size() - 20), progress.size()));
            }
            throw new RuntimeBuildException("building the " + runtime.id() + " runtime failed (status " + status + "):\n"
                    + String.join("\n", tail));
        }
        Path binary = null;
        Path root = null;
        for (String line : out.split("\n")) {
            if (line.startsWith("binary=")) {
                binary = Path.of(line.substring("binary=".length()).strip());
            } else if (line.startsWith("root=")) {
                root = Path.of(line.substring("root=".length()).strip());
            }
        }
        if (binary == null || root == null || !Files.isRegularFile(binary) || !Files.isDirectory(root)) {
            throw new RuntimeBuildException("the " + runtime.id() + " runtime build did not name its binary and root: " + out);
        }
        return new Built(binary, root);
    }
}
