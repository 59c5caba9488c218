package dev.thaw.invoker;

import java.time.Duration;

/**
 * What one invocation may use. Guest memory is fixed by the snapshot (the guest has no
 * more RAM than it was built with); time and output are limited here.
 *
 * @param timeout        wall-clock time in the guest; past it the vCPU is kicked out and discarded
 * @param maxOutputBytes stdout + stderr + log bytes; more ends the invocation with OUTPUT_LIMIT
 */
public record Limits(Duration timeout, long maxOutputBytes) {
    public static final Limits DEFAULT = new Limits(Duration.ofSeconds(10), 6L * 1024 * 1024);

    public Limits {
        if (timeout.isNegative() || timeout.isZero()) {
            throw new IllegalArgumentException("timeout must be positive: " + timeout);
        }
        if (maxOutputBytes <= 0) {
            throw new IllegalArgumentException("maxOutputBytes must be positive: " + maxOutputBytes);
        }
    }
}
