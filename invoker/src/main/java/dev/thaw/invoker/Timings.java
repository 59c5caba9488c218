package dev.thaw.invoker;

/**
 * Where one invocation's time went, and what it cost.
 *
 * @param queueNanos  waiting for a runner
 * @param runNanos    the guest running, summed over its time slices (when other work waited,
 *                    it was preempted every few milliseconds and the time between is not counted)
 * @param totalNanos  from submission to the result
 * @param exits       VM exits (1 when all output fitted in the guest's buffer)
 * @param dirtyPages  guest pages written (reset after the result is delivered)
 * @param warm        the shell had served an invocation before (no VM creation, no cold page faults)
 */
public record Timings(long queueNanos, long runNanos, long totalNanos, int exits, int dirtyPages, boolean warm) {}
