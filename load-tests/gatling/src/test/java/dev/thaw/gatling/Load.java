package dev.thaw.gatling;

import io.gatling.javaapi.core.Assertion;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * How long and how hard a simulation runs, from ./bench gatling's options (passed in the
 * environment, which the Gatling Maven plugin's forked JVM inherits):
 * {@code THAW_GATLING_SECONDS} the length of the main phase, {@code THAW_GATLING_RATE} a base
 * rate in requests per second instead of the simulation's own, and {@code THAW_GATLING_SMOKE=1}
 * for CI's smoke run, which proves the simulations build and run: its verdict is every answer
 * right, not timing (a CI machine's timing proves nothing).
 */
record Load(Duration main, double baseRate, boolean smoke) {
    /** The main phase when ./bench gatling is given no option. */
    private static final int DEFAULT_SECONDS = 60;

    static Load fromEnvironment() {
        String seconds = System.getenv("THAW_GATLING_SECONDS");
        String rate = System.getenv("THAW_GATLING_RATE");
        return new Load(Duration.ofSeconds(seconds == null || seconds.isBlank() ? DEFAULT_SECONDS : Integer.parseInt(seconds)),
                rate == null || rate.isBlank() ? Double.NaN : Double.parseDouble(rate),
                "1".equals(System.getenv("THAW_GATLING_SMOKE")));
    }

    /** The rate to run at: the simulation's default, or the one ./bench gatling --rate gave. */
    double rate(double defaultRate) {
        return Double.isNaN(baseRate) ? defaultRate : baseRate;
    }

    /** Another rate of the simulation, scaled as its base rate was (so --rate keeps the mix). */
    double scaled(double defaultBase, double defaultOther) {
        return Double.isNaN(baseRate) ? defaultOther : defaultOther * baseRate / defaultBase;
    }

    long seconds() {
        return main.toSeconds();
    }

    /**
     * The warm-up before the measured traffic: a quarter of the main phase, between 2 and 5 s.
     * Gatling's own JVM starts cold too: its first seconds run its HTTP client in the
     * interpreter and open its connections, and calls in them took up to 2 s here where the
     * same platform answered in 3 ms right after.
     */
    Duration warmUp() {
        long ms = Math.clamp(main.toMillis() / 4, 2000, 5000);
        return Duration.ofMillis(ms);
    }

    /**
     * How long to warm the platform up before Gatling's own warm-up ({@link Platform#warmUp}):
     * none in the smoke run, which does not judge timing.
     */
    Duration platformWarmUp() {
        return smoke ? Duration.ZERO : warmUp();
    }

    /** The simulation's verdict: its correctness assertions, and its timing ones unless this is the smoke run. */
    List<Assertion> verdict(List<Assertion> correctness, List<Assertion> timing) {
        List<Assertion> all = new ArrayList<>(correctness);
        if (!smoke) {
            all.addAll(timing);
        }
        return all;
    }
}
