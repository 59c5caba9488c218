package dev.thaw.gatling;

import java.time.Duration;

/**
 * How long and how hard a simulation runs, from ./bench gatling's options (passed in the
 * environment, which the Gatling Maven plugin's forked JVM inherits):
 * {@code THAW_GATLING_SECONDS} the length of the main phase, {@code THAW_GATLING_RATE} a base
 * rate in requests per second instead of the simulation's own (the CI smoke run uses a low one).
 */
record Load(Duration main, double baseRate) {
    /** The main phase when ./bench gatling is given no option. */
    private static final int DEFAULT_SECONDS = 60;

    static Load fromEnvironment() {
        String seconds = System.getenv("THAW_GATLING_SECONDS");
        String rate = System.getenv("THAW_GATLING_RATE");
        return new Load(Duration.ofSeconds(seconds == null || seconds.isBlank() ? DEFAULT_SECONDS : Integer.parseInt(seconds)),
                rate == null || rate.isBlank() ? Double.NaN : Double.parseDouble(rate));
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
}
