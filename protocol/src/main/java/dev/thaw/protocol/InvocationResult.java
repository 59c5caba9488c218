package dev.thaw.protocol;

import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * The outcome of one invocation as an invoker reports it to a gateway (and an embedded
 * gateway gets it from its own engine): how it ended, what the function wrote, and where
 * the time went. Encoded on the wire by {@link ResultCodec}.
 *
 * @param status   how it ended; only EXITED has a meaningful exit code
 * @param exitCode the function's exit status (0-255) when EXITED
 * @param signal   non-zero when the function killed itself with a signal (abort() is 6)
 * @param error    a one-line explanation when the status is not EXITED, else empty
 */
public record InvocationResult(Status status, int exitCode, int signal, byte[] stdout, byte[] stderr,
                               List<String> logs, String error, Timings timings) {

    /** How an invocation ended. */
    public enum Status {
        /** The function exited; see exitCode. */
        EXITED,
        /** It ran past its deadline and was stopped (or never started before it). */
        TIMEOUT,
        /** It faulted (bad pointer, stack overflow, illegal instruction, ...). */
        CRASHED,
        /** It wrote more than its output limit. */
        OUTPUT_LIMIT,
        /** The request is larger than the function's input buffer; it did not run. */
        INPUT_TOO_LARGE,
        /** It broke the hypercall ABI (bad pointer or port): a buggy or hostile guest. */
        ABI_VIOLATION
    }

    /**
     * Where one invocation's time went, and what it cost.
     *
     * @param queueNanos  waiting for a runner
     * @param runNanos    from the request written into the guest to its final exit
     * @param totalNanos  from submission to the result
     * @param exits       VM exits (1 when all output fitted in the guest's buffer)
     * @param dirtyPages  guest pages written (reset after the result is delivered)
     * @param warm        a warm shell was waiting for it; false: a cold start, a VM was created from the snapshot for it
     */
    public record Timings(long queueNanos, long runNanos, long totalNanos, int exits, int dirtyPages, boolean warm) {
        public static final Timings NONE = new Timings(0, 0, 0, 0, 0, false);
    }

    /** A TIMEOUT that never ran: its deadline passed before anything could run it. */
    public static InvocationResult timedOut(String why) {
        return new InvocationResult(Status.TIMEOUT, 0, 0, new byte[0], new byte[0], List.of(), why, Timings.NONE);
    }

    /** Exited with status 0. */
    public boolean ok() {
        return status == Status.EXITED && exitCode == 0;
    }

    public String stdoutText() {
        return new String(stdout, StandardCharsets.UTF_8);
    }

    public String stderrText() {
        return new String(stderr, StandardCharsets.UTF_8);
    }

    @Override
    public String toString() {
        return "InvocationResult[" + status + (status == Status.EXITED ? " " + exitCode : ": " + error)
                + ", stdout " + stdout.length + " B, stderr " + stderr.length + " B, " + timings + "]";
    }
}
