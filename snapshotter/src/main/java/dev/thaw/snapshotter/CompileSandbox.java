package dev.thaw.snapshotter;

import java.io.IOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * A bubblewrap sandbox for one compile. It sees only what gcc, as and ld need, read-only
 * ({@link CompilerFiles}, the sysroot), the function's sources read-only at /src, a writable
 * /out, a small /tmp and /dev/null; no /etc, /proc, /home, /root or network. It has its own
 * user, PID, mount, IPC, UTS and network namespaces, may not create more user namespaces,
 * runs in a new session (no terminal to inject into), and dies with its parent. rlimits on
 * CPU, address space, file size and processes apply to everything in it.
 *
 * <p>When Thaw runs as root, the sandbox runs as the host user nobody (uid 65534), not as a
 * root mapped into the namespace: RLIMIT_NPROC does not bind a process whose host user is
 * root, and a sandbox escape then lands in an unprivileged user. Such a sandbox can only read
 * what nobody can, so the sysroot is copied once into a world-readable directory (it may live
 * in a private home) and each compile's sources are handed to nobody.
 */
final class CompileSandbox {
    /** nobody on Debian and most distributions; numeric, so it needs no /etc/passwd entry. */
    static final int SANDBOX_UID = 65534;

    /** Where the sources are, read-only, and the compiler's working directory. */
    static final String SOURCES = "/src";
    /** The only writable directory backed by the host. */
    static final String OUTPUT = "/out";

    private static final System.Logger LOG = System.getLogger(CompileSandbox.class.getName());

    private final Path bwrap;
    private final Path setpriv; // null unless Thaw runs as root
    private final CompilerFiles files;
    private final Path sysroot;
    private final Path sysrootSource;

    private CompileSandbox(Path bwrap, Path setpriv, CompilerFiles files, Path sysroot, Path sysrootSource) {
        this.bwrap = bwrap;
        this.setpriv = setpriv;
        this.files = files;
        this.sysroot = sysroot;
        this.sysrootSource = sysrootSource;
    }

    /** A sandbox for compiling against {@code sysroot}; fails naming what is missing. */
    static CompileSandbox create(Path sysroot) throws IOException {
        return create(sysroot, "bwrap");
    }

    static CompileSandbox create(Path sysroot, String bwrapName) throws IOException {
        Path bwrap;
        try {
            bwrap = CompilerFiles.onPath(bwrapName);
        } catch (IOException e) {
            throw new IOException("compiling needs bubblewrap (bwrap), which is not installed: install it "
                    + "(apt-get install bubblewrap) or, to compile without a sandbox and let every deployer read "
                    + "this host's files, set thaw.compile-sandbox=off");
        }
        Path setpriv = runsAsRoot() ? CompilerFiles.onPath("setpriv") : null;
        CompilerFiles files = CompilerFiles.discover();
        Path source = setpriv == null ? sysroot : worldReadableCopy(sysroot);
        return new CompileSandbox(bwrap, setpriv, files, sysroot, source);
    }

    /**
     * The command that runs {@code compiler} (paths as seen inside) in the sandbox, with
     * {@code sources} at /src and {@code output} at /out.
     */
    List<String> command(Path sources, Path output, List<String> compiler, CompileLimits limits) {
        List<String> c = new ArrayList<>();
        if (setpriv != null) {
            c.addAll(List.of(setpriv.toString(), "--reuid=" + SANDBOX_UID, "--regid=" + SANDBOX_UID,
                    "--clear-groups", "--inh-caps=-all", "--no-new-privs"));
        }
        c.addAll(List.of(bwrap.toString(), "--unshare-all", "--unshare-user", "--disable-userns",
                "--die-with-parent", "--new-session", "--clearenv",
                "--setenv", "PATH", files.path(), "--setenv", "LD_LIBRARY_PATH", files.libraryPath(),
                "--setenv", "LC_ALL", "C", "--setenv", "TMPDIR", "/tmp"));
        for (Map.Entry<String, String> link : files.symlinks().entrySet()) {
            c.addAll(List.of("--symlink", link.getValue(), link.getKey()));
        }
        // /tmp first: a mount made after it would hide a sysroot that lives under /tmp (a fresh clone)
        c.addAll(List.of("--size", String.valueOf(limits.tmpBytes()), "--tmpfs", "/tmp",
                "--dev-bind", "/dev/null", "/dev/null"));
        for (Map.Entry<Path, Path> p : files.programs().entrySet()) {
            c.addAll(List.of("--ro-bind", p.getValue().toString(), p.getKey().toString()));
        }
        for (Path dir : files.gccDirs()) {
            c.addAll(List.of("--ro-bind", dir.toString(), dir.toString()));
        }
        for (Map.Entry<Path, Path> lib : files.libraries().entrySet()) {
            c.addAll(List.of("--ro-bind", lib.getValue().toString(), lib.getKey().toString()));
        }
        c.addAll(List.of("--ro-bind", sysrootSource.toString(), sysroot.toString(),
                "--ro-bind", sources.toString(), SOURCES,
                "--bind", output.toString(), OUTPUT,
                "--remount-ro", "/", // bwrap's root is a tmpfs without a size limit
                "--chdir", SOURCES, "--"));
        // Applied inside, after the user namespace exists, so RLIMIT_NPROC counts this sandbox only.
        c.addAll(List.of("prlimit", "--cpu=" + limits.cpuSeconds(), "--as=" + limits.memoryBytes(),
                "--fsize=" + limits.fileBytes(), "--nproc=" + limits.processes(), "--core=0", "--"));
        c.addAll(compiler);
        return c;
    }

    /**
     * Makes what is in a compile's scratch directory (sources and output) the sandbox user's,
     * when it has its own. The scratch directory itself stays ours, searchable but not
     * listable by others, so that an orphan of a killed process is still recognised as ours.
     */
    void handOver(Path scratch) throws IOException {
        if (setpriv == null) {
            return;
        }
        Files.setPosixFilePermissions(scratch, PosixFilePermissions.fromString("rwx--x--x"));
        try (Stream<Path> walk = Files.walk(scratch)) {
            for (Path p : walk.filter(p -> !p.equals(scratch)).toList()) {
                Files.setAttribute(p, "unix:uid", SANDBOX_UID, LinkOption.NOFOLLOW_LINKS);
                Files.setAttribute(p, "unix:gid", SANDBOX_UID, LinkOption.NOFOLLOW_LINKS);
                if (Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)) {
                    Files.setPosixFilePermissions(p, PosixFilePermissions.fromString("rwx------"));
                }
            }
        }
    }

    private static boolean runsAsRoot() throws IOException {
        return ((Integer) Files.getAttribute(Path.of("/proc/self"), "unix:uid")) == 0;
    }

    /**
     * A copy of the sysroot (without its build objects) that nobody can read, removed when the
     * JVM exits (or, after a kill, by the next process that makes one).
     */
    private static Path worldReadableCopy(Path sysroot) throws IOException {
        Path copy = ProcessTempDirs.create("thaw-sysroot-");
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try {
                SnapshotStore.delete(copy);
            } catch (IOException ignored) {
                // a leftover copy in the temporary directory is harmless
            }
        }));
        Files.walkFileTree(sysroot, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attrs) throws IOException {
                if (dir.equals(sysroot.resolve("obj"))) {
                    return FileVisitResult.SKIP_SUBTREE;
                }
                Path target = copy.resolve(sysroot.relativize(dir).toString());
                Files.createDirectories(target);
                Files.setPosixFilePermissions(target, PosixFilePermissions.fromString("rwxr-xr-x"));
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                if (attrs.isRegularFile()) {
                    Path target = copy.resolve(sysroot.relativize(file).toString());
                    Files.copy(file, target, StandardCopyOption.REPLACE_EXISTING);
                    Files.setPosixFilePermissions(target, PosixFilePermissions.fromString(
                            Files.isExecutable(file) ? "rwxr-xr-x" : "rw-r--r--"));
                }
                return FileVisitResult.CONTINUE;
            }
        });
        LOG.log(System.Logger.Level.DEBUG, "sysroot {0} copied to {1} for the compile sandbox", sysroot, copy);
        return copy;
    }
}
