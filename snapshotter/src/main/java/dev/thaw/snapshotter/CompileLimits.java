package dev.thaw.snapshotter;

import java.time.Duration;

/**
 * What one compile may use. The timeout covers the whole process tree (gcc, cc1, as, ld); the
 * others are rlimits on each of its processes, and the size of its /tmp.
 *
 * @param timeout     wall-clock time, then the sandbox and everything in it is killed
 * @param memoryBytes address space of each process (RLIMIT_AS): cc1 on a large file needs ~1 GiB
 * @param fileBytes   largest file a process may write (RLIMIT_FSIZE)
 * @param tmpBytes    the sandbox's /tmp (gcc's intermediate files), a tmpfs of this size
 * @param processes   processes in the sandbox (RLIMIT_NPROC, counted per sandbox)
 */
public record CompileLimits(Duration timeout, long memoryBytes, long fileBytes, long tmpBytes, int processes) {
    public static final CompileLimits DEFAULT = new CompileLimits(Duration.ofSeconds(120), 2L << 30, 256L << 20,
            512L << 20, 32);

    public CompileLimits {
        if (timeout.isNegative() || timeout.isZero()) {
            throw new IllegalArgumentException("compile timeout must be positive, got " + timeout);
        }
    }

    public CompileLimits withTimeout(Duration t) {
        return new CompileLimits(t, memoryBytes, fileBytes, tmpBytes, processes);
    }

    /** RLIMIT_CPU, whole seconds: no process of the compile computes longer than the compile may last. */
    long cpuSeconds() {
        return Math.max(1, (timeout.toMillis() + 999) / 1000);
    }

    /** "5 s", "1.5 s", "120 s": how the timeout is named in error messages. */
    String timeoutText() {
        long ms = timeout.toMillis();
        return (ms % 1000 == 0 ? String.valueOf(ms / 1000) : String.valueOf(ms / 1000.0)) + " s";
    }
}
