package dev.thaw.invoker;

/**
 * Where one invocation's time went, and what it cost.
 *
 * @param queueNanos  waiting for a runner (a cold start's VM creation is not in it: it is in
 *                    {@code totalNanos - queueNanos - runNanos}, with the request's delivery)
 * @param runNanos    the guest running, summed over its time slices (when other work waited,
 *                    it was preempted every few milliseconds and the time between is not counted)
 * @param totalNanos  from submission to the result
 * @param exits       VM exits (1 when all output fitted in the guest's buffer)
 * @param dirtyPages  guest pages written (reset after the result is delivered)
 * @param warm        a warm shell was waiting for it; false: a cold start, the VM was created from the
 *                    snapshot for this invocation (~0.5 ms here)
 */
public record Timings(long queueNanos, long runNanos, long totalNanos, int exits, int dirtyPages, boolean warm) {}
