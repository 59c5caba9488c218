package dev.thaw.registry;

import java.time.Instant;
import java.util.List;

/**
 * What is known of one invocation: kept for async callers (its result) and for logs.
 *
 * @param id         unique, URL-safe
 * @param function   function name
 * @param version    function version that ran (0 while not yet resolved)
 * @param state      QUEUED, RUNNING, or DONE
 * @param outcome    when DONE: the engine's status (EXITED, TIMEOUT, CRASHED, OUTPUT_LIMIT,
 *                   INPUT_TOO_LARGE, ABI_VIOLATION) or HOST_ERROR; else empty
 * @param exitCode   the function's exit status when outcome is EXITED
 * @param error      a one-line explanation when it failed, else empty
 * @param stdout     the function's output (kept for async invocations; empty for sync ones)
 * @param stderr     the function's stderr, at most the last 64 KiB
 * @param logs       the function's log lines (thaw_log)
 * @param warm       it ran on a warm shell
 * @param queueMicros time waiting before it ran
 * @param runMicros   time in the guest
 * @param createdAt  when it was accepted
 * @param finishedAt when it ended; null until DONE
 * @param stdoutTruncated the record keeps only the first part of a large stdout (see the store's caller)
 */
public record InvocationRecord(String id, String function, int version, State state, String outcome, int exitCode,
                               String error, byte[] stdout, byte[] stderr, List<String> logs, boolean warm,
                               long queueMicros, long runMicros, Instant createdAt, Instant finishedAt,
                               boolean stdoutTruncated) {

    public enum State { QUEUED, RUNNING, DONE }
}
