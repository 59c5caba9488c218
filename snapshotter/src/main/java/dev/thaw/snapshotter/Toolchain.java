package dev.thaw.snapshotter;

import dev.thaw.invoker.Settings;
import java.io.IOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Thaw's guest toolchain: {@code thaw-cc} from the sysroot unikernel-base builds, run in a
 * {@link CompileSandbox} so that what is compiled cannot read the host ({@code .incbin} and
 * {@code #include} of any path would otherwise copy host files into the function). A compile
 * is bounded: its whole process tree is killed at the timeout, its output is read while it
 * runs and capped, and at most a few compiles run at once. Thread-safe.
 *
 * <p>Settings, as system properties or environment variables ({@code THAW_COMPILE_SANDBOX}):
 * {@code thaw.compile-sandbox} is {@code bubblewrap} (the default) or {@code off}, which
 * compiles without a sandbox and is only for a host where every deployer is trusted;
 * {@code thaw.compile-timeout} is how long one compile may run (default 120 s).
 */
public final class Toolchain {
    public static final String SANDBOX_SETTING = "thaw.compile-sandbox";
    public static final String TIMEOUT_SETTING = "thaw.compile-timeout";

    /** Each compile may take a couple of GiB (cc1); more at once would only queue on the CPUs. */
    private static final int CONCURRENT_COMPILES = Math.max(4, Runtime.getRuntime().availableProcessors());
    /** After a kill, how long the sandbox's processes may take to go and the output pipe to close. */
    private static final Duration AFTER_KILL = Duration.ofSeconds(10);
    private static final System.Logger LOG = System.getLogger(Toolchain.class.getName());

    private final Path sysroot;
    private final boolean sandboxed;
    private final CompileLimits limits;
    private final Semaphore slots;
    /** Made at the first compile (guarded by itself), and shared with the copies {@link #withLimits} makes. */
    private final AtomicReference<CompileSandbox> sandbox;

    private Toolchain(Path sysroot, boolean sandboxed, CompileLimits limits, Semaphore slots,
                      AtomicReference<CompileSandbox> sandbox) {
        this.sysroot = sysroot;
        this.sandboxed = sandboxed;
        this.limits = limits;
        this.slots = slots;
        this.sandbox = sandbox;
    }

    /** The compiler failed; the message says why (the compiler's own output, a timeout, a runaway). */
    public static final class CompileException extends Exception {
        private static final long serialVersionUID = 1L;

        CompileException(String message) {
            super(message);
        }
    }

    /**
     * The sysroot from {@code -Dthaw.sysroot}, {@code $THAW_SYSROOT}, or
     * {@code unikernel-base/target/sysroot} in this directory or a parent, with the sandbox and
     * timeout settings.
     */
    public static Toolchain locate() {
        String configured = Settings.get("thaw.sysroot");
        Path sysroot = null;
        if (configured != null && !configured.isBlank()) {
            sysroot = Path.of(configured);
        } else {
            for (Path dir = Path.of("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
                Path candidate = dir.resolve("unikernel-base/target/sysroot");
                if (Files.isDirectory(candidate)) {
                    sysroot = candidate;
                    break;
                }
            }
        }
        if (sysroot == null || !Files.isExecutable(sysroot.resolve("bin/thaw-cc"))) {
            throw new IllegalStateException("Thaw's guest toolchain is not built"
                    + (sysroot == null ? "" : " (no " + sysroot.resolve("bin/thaw-cc") + ")")
                    + ": run ./mvnw -q -pl unikernel-base install, or make -C unikernel-base");
        }
        String mode = Settings.get(SANDBOX_SETTING);
        boolean sandboxed = switch (mode == null ? "bubblewrap" : mode.strip().toLowerCase(Locale.ROOT)) {
            case "bubblewrap" -> true;
            case "off" -> false;
            default -> throw new IllegalStateException(SANDBOX_SETTING + " must be 'bubblewrap' or 'off', got '"
                    + mode + "'");
        };
        String timeout = Settings.get(TIMEOUT_SETTING);
        CompileLimits limits = timeout == null ? CompileLimits.DEFAULT
                : CompileLimits.DEFAULT.withTimeout(duration(TIMEOUT_SETTING, timeout));
        if (!sandboxed) {
            LOG.log(System.Logger.Level.WARNING, SANDBOX_SETTING + "=off: functions are compiled WITHOUT a sandbox. "
                    + "Anyone who can deploy can read every file this process can (the admin token, other "
                    + "functions' bundles and environments). Install bubblewrap and remove this setting.");
        }
        return of(sysroot, sandboxed, limits);
    }

    static Toolchain of(Path sysroot, boolean sandboxed, CompileLimits limits) {
        return new Toolchain(sysroot.toAbsolutePath(), sandboxed, limits, new Semaphore(CONCURRENT_COMPILES, true),
                new AtomicReference<>());
    }

    /** The same toolchain (its sandbox, its share of concurrent compiles) with other limits. */
    public Toolchain withLimits(CompileLimits other) {
        return new Toolchain(sysroot, sandboxed, other, slots, sandbox);
    }

    /** The same toolchain without a sandbox: for tests that show what the sandbox prevents. */
    Toolchain unsandboxed() {
        return new Toolchain(sysroot, false, limits, slots, sandbox);
    }

    public Path sysroot() {
        return sysroot;
    }

    public Path compiler() {
        return sysroot.resolve("bin/thaw-cc");
    }

    public CompileLimits limits() {
        return limits;
    }

    /** False only when an operator set {@code thaw.compile-sandbox=off}. */
    public boolean sandboxed() {
        return sandboxed;
    }

    /**
     * Compiles and links {@code sources} (relative to {@code dir}) with {@code flags} into the
     * executable {@code output}. The compiler sees a copy of {@code dir} (plain files and
     * directories; symbolic links are not followed) and nothing else of the host.
     *
     * @throws CompileException what is compiled is at fault: it does not compile, runs past the
     *                          timeout, or prints without end
     * @throws IOException      the host is: no sandbox, no disk space
     */
    public void compile(Path dir, List<String> sources, List<String> flags, Path output)
            throws CompileException, IOException {
        try {
            slots.acquire();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while waiting to compile", e);
        }
        try {
            compileIn(sandboxed ? sandbox() : null, limits, dir, sources, flags, output);
        } finally {
            slots.release();
        }
    }

    private CompileSandbox sandbox() throws IOException {
        synchronized (sandbox) {
            if (sandbox.get() == null) {
                CompileSandbox fresh = CompileSandbox.create(sysroot);
                selfTest(fresh);
                sandbox.set(fresh);
            }
            return sandbox.get();
        }
    }

    /**
     * Compiles a program that cannot fail, once: a sandbox that does not work on this host
     * (no user namespaces, a library it lacks) is then the host's error, not every function's.
     */
    private void selfTest(CompileSandbox candidate) throws IOException {
        Path dir = ProcessTempDirs.create("thaw-compile-check-");
        try {
            Files.writeString(dir.resolve("check.c"), "int main(void) { return 0; }\n");
            // the default limits: a short timeout chosen for one compile must not fail the check on a busy host
            compileIn(candidate, CompileLimits.DEFAULT, dir, List.of("check.c"), List.of(), dir.resolve("check"));
        } catch (CompileException e) {
            throw new IOException("the compile sandbox does not work on this host: " + e.getMessage());
        } finally {
            SnapshotStore.delete(dir);
        }
    }

    private void compileIn(CompileSandbox box, CompileLimits bounds, Path dir, List<String> sources,
                           List<String> flags, Path output) throws CompileException, IOException {
        Path scratch = ProcessTempDirs.create("thaw-compile-");
        try {
            Path src = scratch.resolve("src");
            Path out = Files.createDirectory(scratch.resolve("out"));
            copyPlainFiles(dir, src);
            String name = output.getFileName().toString();
            List<String> command;
            if (box != null) {
                box.handOver(scratch);
                command = box.command(src, out, thawCc(flags, CompileSandbox.OUTPUT + "/" + name, sources), bounds);
            } else {
                command = thawCc(flags, out.resolve(name).toString(), sources);
            }
            run(command, src, box != null, bounds);
            Path produced = out.resolve(name);
            try {
                // The sandbox is gone; still, a link it left must not make the host read another file.
                if (!Files.readAttributes(produced, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS).isRegularFile()) {
                    throw new CompileException("the compiler's output '" + name + "' is not a regular file");
                }
            } catch (NoSuchFileException e) {
                throw new CompileException("the compiler wrote no '" + name + "'");
            }
            Files.copy(produced, output, StandardCopyOption.REPLACE_EXISTING, LinkOption.NOFOLLOW_LINKS);
        } finally {
            SnapshotStore.delete(scratch);
        }
    }

    private List<String> thawCc(List<String> flags, String output, List<String> sources) {
        List<String> command = new ArrayList<>();
        command.add(compiler().toString());
        command.addAll(flags);
        command.add("-o");
        command.add(output);
        command.addAll(sources);
        return command;
    }

    /** Runs the compile: output drained while it runs, the whole tree killed at the timeout. */
    private static void run(List<String> command, Path workDir, boolean sandboxed, CompileLimits limits)
            throws CompileException, IOException {
        ProcessBuilder pb = new ProcessBuilder(command).directory(workDir.toFile()).redirectErrorStream(true);
        if (sandboxed) {
            // bwrap runs as the sandbox's user, whose other processes could read its environment:
            // it gets none of this JVM's (tokens, passwords), and the compiler gets bwrap's own.
            pb.environment().clear();
            pb.environment().put("PATH", "/usr/bin:/bin");
        }
        pb.environment().put("LC_ALL", "C"); // plain ASCII quotes in the compiler's messages
        Process p = pb.start();
        p.getOutputStream().close();
        CompilerOutput output = new CompilerOutput();
        Thread reader = Thread.ofPlatform().name("thaw-compile-output").daemon()
                .start(() -> output.drain(p.getInputStream(), () -> killTree(p)));
        boolean finished;
        try {
            finished = p.waitFor(limits.timeout().toNanos(), TimeUnit.NANOSECONDS);
            if (!finished) {
                killTree(p);
                p.waitFor(AFTER_KILL.toMillis(), TimeUnit.MILLISECONDS);
            }
            reader.join(AFTER_KILL);
        } catch (InterruptedException e) {
            killTree(p);
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while compiling", e);
        }
        String text = output.text();
        if (!finished) {
            throw new CompileException("the compiler ran longer than " + limits.timeoutText() + " and was stopped"
                    + (text.isEmpty() ? "" : "\n" + text));
        }
        if (output.runaway()) {
            throw new CompileException(text);
        }
        if (p.exitValue() != 0) {
            throw new CompileException(text.isEmpty() ? "thaw-cc exited with status " + p.exitValue() : text);
        }
    }

    /**
     * Kills the compile and everything it started. In the sandbox, bwrap's death kills the
     * PID namespace's init (--die-with-parent), and with it every process in the namespace,
     * including any that escaped the snapshot of descendants taken here.
     */
    private static void killTree(Process p) {
        p.descendants().forEach(ProcessHandle::destroyForcibly);
        p.destroyForcibly();
    }

    /** Copies directories and regular files only: a link in a bundle must not pull a host file in. */
    private static void copyPlainFiles(Path from, Path to) throws IOException {
        Files.walkFileTree(from, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attrs) throws IOException {
                Files.createDirectories(to.resolve(from.relativize(dir).toString()));
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                if (attrs.isRegularFile()) {
                    Files.copy(file, to.resolve(from.relativize(file).toString()));
                }
                return FileVisitResult.CONTINUE;
            }
        });
    }

    /** "120", "120s", "500ms" or ISO-8601 ("PT2M"). */
    static Duration duration(String setting, String text) {
        String t = text.strip().toLowerCase(Locale.ROOT);
        try {
            Duration d;
            if (t.startsWith("pt")) {
                d = Duration.parse(t);
            } else if (t.endsWith("ms")) {
                d = Duration.ofMillis(Long.parseLong(t.substring(0, t.length() - 2)));
            } else {
                d = Duration.ofSeconds(Long.parseLong(t.endsWith("s") ? t.substring(0, t.length() - 1) : t));
            }
            if (d.isNegative() || d.isZero()) {
                throw new NumberFormatException();
            }
            return d;
        } catch (NumberFormatException | DateTimeParseException e) {
            throw new IllegalStateException(setting + ": '" + text + "' is not a positive duration (120s, 500ms, PT2M)");
        }
    }
}
