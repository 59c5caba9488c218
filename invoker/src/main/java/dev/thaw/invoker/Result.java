package dev.thaw.invoker;

import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * The outcome of one invocation as its caller sees it.
 *
 * @param status   how it ended; only EXITED has a meaningful exit code
 * @param exitCode the function's exit status (0-255) when EXITED
 * @param signal   non-zero when the function killed itself with a signal (abort() is 6)
 * @param error    a one-line explanation when the status is not EXITED, else empty
 */
public record Result(Status status, int exitCode, int signal, byte[] stdout, byte[] stderr,
                     List<String> logs, String error, Timings timings) {

    public enum Status {
        /** The function exited; see exitCode. */
        EXITED,
        /** It ran past its timeout and was stopped. */
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
        return "Result[" + status + (status == Status.EXITED ? " " + exitCode : ": " + error)
                + ", stdout " + stdout.length + " B, stderr " + stderr.length + " B, " + timings + "]";
    }
}
