package dev.thaw.invoker;

import java.security.DrbgParameters;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.Set;
import java.util.function.IntSupplier;

/**
 * What a thread that runs vCPUs needs for invocations: its watchdog slot and a source of fresh
 * entropy for every resume. Created on, and used only by, that thread (a runner, or the owner
 * of a {@link DedicatedShell}).
 */
final class VcpuThread implements AutoCloseable {
    private final Watchdog.Slot slot;
    private final long tscKhz;
    /**
     * A DRBG of this thread's own (SHA-256 Hash_DRBG, 256-bit strength, seeded from the
     * system's entropy and reseeded by it as the standard requires). The default
     * SecureRandom on Linux (NativePRNG) reads /dev/urandom under a lock that every thread of
     * the process shares: it showed in the profile of every invocation.
     */
    private final SecureRandom random = drbg();
    private final byte[] entropy = new byte[32];

    /** {@code waitingWork}: how much other work waits for this thread (see {@link Watchdog#register}). */
    VcpuThread(Watchdog watchdog, long tscKhz, IntSupplier waitingWork) {
        this.slot = watchdog.register(waitingWork);
        this.tscKhz = tscKhz;
    }

    private static SecureRandom drbg() {
        try {
            return SecureRandom.getInstance("DRBG",
                    DrbgParameters.instantiation(256, DrbgParameters.Capability.RESEED_ONLY, null));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("this JDK has no DRBG", e);
        }
    }

    Watchdog.Slot slot() {
        return slot;
    }

    /** Writes the request, the clocks and fresh entropy into the shell's guest. */
    void deliver(Shell shell, byte[] input) {
        random.nextBytes(entropy);
        shell.deliver(input, entropy, tscKhz);
    }

    /**
     * Runs one invocation to its end in one go, with the deadline its timeout gives it.
     * {@code reportedOnce}: see {@link Output}.
     */
    Result runToEnd(Shell shell, byte[] input, Limits limits, long submitted, Set<String> reportedOnce) {
        long deadline = submitted + limits.timeout().toNanos();
        if (input.length > shell.inputCapacity()) {
            return Outcomes.inputTooLarge(input.length, shell.inputCapacity(), submitted);
        }
        Invocation invocation = Invocation.start(shell, input, limits, submitted, submitted, deadline, this, reportedOnce); // no queue here
        return invocation.finish(invocation.runSlice(deadline));
    }

    @Override
    public void close() {
        slot.close();
    }
}
