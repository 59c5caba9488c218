package dev.thaw.invoker;

import dev.thaw.invoker.kvm.KvmException;
import java.security.SecureRandom;
import java.util.Set;

/**
 * One invocation on one shell, on the thread that owns the shell: deliver the request, run
 * the guest under the watchdog, collect output and dirty pages, and describe the outcome.
 * The caller resets or discards the shell afterwards ({@link Shell#broken()}).
 */
final class Invocation {
    private final Watchdog.Slot slot;
    private final long tscKhz;
    private final SecureRandom random = new SecureRandom();
    private final byte[] entropy = new byte[32];

    Invocation(Watchdog.Slot slot, long tscKhz) {
        this.slot = slot;
        this.tscKhz = tscKhz;
    }

    /** Runs; {@code submitted} is when the caller asked (System.nanoTime()). */
    Result run(Shell shell, byte[] input, Limits limits, long submitted, Set<String> reportedOnce) {
        long start = System.nanoTime();
        boolean warm = shell.warm();
        if (input.length > shell.inputCapacity()) {
            long now = System.nanoTime();
            return Outcomes.inputTooLarge(input.length, shell.inputCapacity(),
                    new Timings(start - submitted, 0, now - submitted, 0, 0, warm));
        }
        try {
            random.nextBytes(entropy);
            shell.deliver(input, entropy, tscKhz);
            Output output = new Output(limits.maxOutputBytes(), reportedOnce);
            long deadline = start + limits.timeout().toNanos();
            GuestRun run = shell.newRun(deadline, output);
            long runStart = System.nanoTime();
            slot.arm(deadline);
            GuestRun.Stop stop;
            try {
                stop = shell.run(run);
            } finally {
                slot.disarm();
            }
            long runEnd = System.nanoTime();
            int dirty = shell.broken() ? 0 : shell.collectDirtyPages();
            Timings timings = new Timings(start - submitted, runEnd - runStart, runEnd - submitted, run.exits(), dirty, warm);
            return Outcomes.of(stop, output, limits, timings);
        } catch (KvmException | IllegalStateException | IndexOutOfBoundsException e) {
            shell.markBroken();
            throw e;
        }
    }
}
