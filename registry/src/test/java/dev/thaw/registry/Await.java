package dev.thaw.registry;

import java.time.Duration;
import java.util.function.BooleanSupplier;

import static org.junit.jupiter.api.Assertions.fail;

/** Waits for something that happens in its own time (an expiry, a delivery), up to a deadline. */
final class Await {
    private static final Duration DEADLINE = Duration.ofSeconds(10);

    private Await() {}

    static void until(String what, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + DEADLINE.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                fail("waited " + DEADLINE.toSeconds() + " s for: " + what);
            }
            Thread.sleep(10);
        }
    }
}
