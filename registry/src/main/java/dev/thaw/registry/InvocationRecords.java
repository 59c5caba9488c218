package dev.thaw.registry;

import dev.thaw.protocol.InvocationResult;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;

/**
 * How an invocation becomes its {@link InvocationRecord} at each step: queued, running, done
 * with its result, or failed on the host. One definition for the gateway (sync records, async
 * acceptance) and the invokers (async runs).
 */
public final class InvocationRecords {
    /** The outcome of an invocation the platform could not run (no invoker, host failure, ...). */
    public static final String HOST_ERROR = "HOST_ERROR";
    /** Stderr kept with a record: its last 64 KiB. */
    public static final int STDERR_KEPT = 64 * 1024;
    /**
     * Stdout kept with an async invocation's record: the default output limit. Records live in
     * memory or Redis for the retention period, so a function allowed a larger output keeps
     * only this much there ({@link InvocationRecord#stdoutTruncated()} says so).
     */
    public static final int STDOUT_KEPT = 6 * 1024 * 1024;

    private InvocationRecords() {}

    public static InvocationRecord pending(String id, String function, int version, InvocationRecord.State state,
                                           Instant created) {
        return new InvocationRecord(id, function, version, state, "", 0, "", new byte[0], new byte[0], List.of(),
                false, 0, 0, created, null, false);
    }

    /** A finished invocation; {@code keepStdout} for async ones, whose caller reads the output from the record. */
    public static InvocationRecord done(String id, String function, int version, InvocationResult r, boolean keepStdout,
                                        Instant created) {
        return done(id, function, version, r, keepStdout, created, "");
    }

    /** The same, with a note appended to the error (say, that it went to the dead-letter topic). */
    public static InvocationRecord done(String id, String function, int version, InvocationResult r, boolean keepStdout,
                                        Instant created, String note) {
        byte[] stderr = r.stderr();
        if (stderr.length > STDERR_KEPT) {
            stderr = Arrays.copyOfRange(stderr, stderr.length - STDERR_KEPT, stderr.length);
        }
        String error = switch (r.status()) {
            case EXITED -> r.exitCode() == 0 ? "" : r.error().isEmpty() ? "function exited with status " + r.exitCode() : r.error();
            default -> r.error();
        };
        if (!note.isEmpty()) {
            error = error.isEmpty() ? note : error + " (" + note + ")";
        }
        byte[] stdout = keepStdout ? r.stdout() : new byte[0];
        boolean truncated = stdout.length > STDOUT_KEPT;
        if (truncated) {
            stdout = Arrays.copyOf(stdout, STDOUT_KEPT);
        }
        return new InvocationRecord(id, function, version, InvocationRecord.State.DONE, r.status().name(),
                r.exitCode(), error, stdout, stderr, r.logs(), r.timings().warm(),
                r.timings().queueNanos() / 1000, r.timings().runNanos() / 1000, created, Instant.now(), truncated);
    }

    /** An invocation the platform could not run; {@code error} is for operators (the record needs the admin token). */
    public static InvocationRecord hostError(String id, String function, int version, String error, Instant created) {
        return new InvocationRecord(id, function, version, InvocationRecord.State.DONE, HOST_ERROR, 0, error,
                new byte[0], new byte[0], List.of(), false, 0, 0, created, Instant.now(), false);
    }
}
