package dev.thaw.invoker;

import java.time.Duration;

/**
 * What one invocation may use. Guest memory is fixed by the snapshot (the guest has no
 * more RAM than it was built with); time and output are limited here.
 *
 * @param timeout        wall-clock time in the guest; past it the vCPU is kicked out and discarded
 * @param maxOutputBytes stdout + stderr + log bytes, 8 more for each record the guest sent (a write,
 *                       a log line); more ends the invocation with OUTPUT_LIMIT. At most {@link #MAX_OUTPUT_BYTES}.
 */
public record Limits(Duration timeout, long maxOutputBytes) {
    /**
     * The most output one invocation may have: the host holds all of it at once (and copies it
     * once more into the result), so a few runners at this limit stay well inside a heap.
     */
    public static final long MAX_OUTPUT_BYTES = 64L * 1024 * 1024;
    public static final Limits DEFAULT = new Limits(Duration.ofSeconds(10), 6L * 1024 * 1024);

    public Limits {
        if (timeout.isNegative() || timeout.isZero()) {
            throw new IllegalArgumentException("timeout must be positive: " + timeout);
        }
        if (maxOutputBytes <= 0 || maxOutputBytes > MAX_OUTPUT_BYTES) {
            throw new IllegalArgumentException("maxOutputBytes must be from 1 to " + MAX_OUTPUT_BYTES
                    + " (64 MiB): " + maxOutputBytes);
        }
    }
}
