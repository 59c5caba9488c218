package dev.thaw.snapshotter;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Thaw's guest toolchain: {@code thaw-cc} from the sysroot unikernel-base builds. */
public final class Toolchain {
    private static final long COMPILE_TIMEOUT_SECONDS = 120;

    private final Path sysroot;

    private Toolchain(Path sysroot) {
        this.sysroot = sysroot;
    }

    /** The compiler failed; the message is what it printed. */
    public static final class CompileException extends Exception {
        private static final long serialVersionUID = 1L;

        CompileException(String message) {
            super(message);
        }
    }

    /**
     * The sysroot from {@code -Dthaw.sysroot}, {@code $THAW_SYSROOT}, or
     * {@code unikernel-base/target/sysroot} in this directory or a parent.
     */
    public static Toolchain locate() {
        String configured = System.getProperty("thaw.sysroot", System.getenv("THAW_SYSROOT"));
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
        return new Toolchain(sysroot.toAbsolutePath());
    }

    public Path sysroot() {
        return sysroot;
    }

    public Path compiler() {
        return sysroot.resolve("bin/thaw-cc");
    }

    /** Compiles and links {@code sources} (relative to {@code dir}) into the executable {@code output}. */
    public void compile(Path dir, List<String> sources, List<String> cflags, Path output)
            throws CompileException, IOException {
        List<String> command = new ArrayList<>();
        command.add(compiler().toString());
        command.addAll(cflags);
        command.add("-o");
        command.add(output.toAbsolutePath().toString());
        command.addAll(sources);
        ProcessBuilder pb = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true);
        pb.environment().put("LC_ALL", "C"); // plain ASCII quotes in the compiler's messages
        Process p = pb.start();
        p.getOutputStream().close();
        byte[] out = p.getInputStream().readAllBytes();
        try {
            if (!p.waitFor(COMPILE_TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new CompileException("the compiler took longer than " + COMPILE_TIMEOUT_SECONDS + " s");
            }
        } catch (InterruptedException e) {
            p.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while compiling", e);
        }
        if (p.exitValue() != 0) {
            String message = new String(out, StandardCharsets.UTF_8).strip();
            throw new CompileException(message.isEmpty() ? "thaw-cc exited with status " + p.exitValue() : message);
        }
    }
}
