package dev.thaw.gatling;

import static io.gatling.javaapi.core.CoreDsl.StringBody;
import static io.gatling.javaapi.core.CoreDsl.bodyString;
import static io.gatling.javaapi.core.CoreDsl.constantUsersPerSec;
import static io.gatling.javaapi.core.CoreDsl.details;
import static io.gatling.javaapi.core.CoreDsl.exec;
import static io.gatling.javaapi.core.CoreDsl.global;
import static io.gatling.javaapi.core.CoreDsl.jsonPath;
import static io.gatling.javaapi.core.CoreDsl.scenario;
import static io.gatling.javaapi.http.HttpDsl.http;
import static io.gatling.javaapi.http.HttpDsl.status;

import io.gatling.javaapi.core.PopulationBuilder;
import io.gatling.javaapi.core.ScenarioBuilder;
import io.gatling.javaapi.core.Simulation;
import java.util.List;

/**
 * Errors: good traffic ({@code hello}, and {@code misbehave} echoing) beside calls of
 * {@code misbehave} that fail on purpose: one that spins until its 1 s timeout (504),
 * one that crashes (502, outcome CRASHED) and one that writes past its 4 KiB output limit
 * (502). Each failing call checks its own status and error, so a Gatling KO here means a
 * wrong answer, expected failures included. Defaults: hello 50/s, misbehave echo 10/s,
 * spin 0.2/s (a spinning VM holds a core for its whole timeout), crash and flood 2/s each.
 * misbehave's timeout counts time queued, from admission: with 200 ms, calls that queued
 * behind others on this busy machine came back 504 instead of 200 or 502; 1 s leaves room.
 * Before the measured traffic the failure paths run a few times each too, unmeasured.
 * Verdict: no KO (every status as expected), and hello's p99 beside the failures under 1 s,
 * as Steady's.
 */
public class ErrorsSimulation extends Simulation {
    private static final double HELLO_PER_SECOND = 50;
    private static final int GOOD_P99_BOUND_MS = 1000;

    private final Platform platform = Platform.startOrConnect();

    {
        Load load = Load.fromEnvironment();
        platform.deployExample("hello");
        platform.deployExample("misbehave");
        platform.warmUp("hello", "Thaw", load.platformWarmUp());
        platform.warmUp("misbehave", "echo", load.platformWarmUp());
        if (!load.smoke()) {
            for (String failure : List.of("crash", "flood", "spin", "crash", "flood", "crash", "flood")) {
                platform.call("misbehave", failure);
            }
        }

        ScenarioBuilder hello = scenario("hello").group("errors").on(exec(Requests.sync("hello", "Thaw").check(bodyString().is("Hello, Thaw!\n"))));
        ScenarioBuilder echo = scenario("misbehave echo").group("errors").on(exec(http("misbehave echo").post("/fn/misbehave")
                .body(StringBody("echo")).check(status().is(200), bodyString().is("echo"))));
        ScenarioBuilder spin = scenario("misbehave spin").group("errors").on(exec(http("misbehave spin (504)").post("/fn/misbehave")
                .body(StringBody("spin")).check(status().is(504), jsonPath("$.outcome").is("TIMEOUT"))));
        ScenarioBuilder crash = scenario("misbehave crash").group("errors").on(exec(http("misbehave crash (502)").post("/fn/misbehave")
                .body(StringBody("crash")).check(status().is(502), jsonPath("$.outcome").is("CRASHED"))));
        ScenarioBuilder flood = scenario("misbehave flood").group("errors").on(exec(http("misbehave flood (502)").post("/fn/misbehave")
                .body(StringBody("flood")).check(status().is(502), jsonPath("$.outcome").is("OUTPUT_LIMIT"))));

        double rate = load.rate(HELLO_PER_SECOND);
        setUp(Requests.warmUp("hello", "Thaw", rate, load).andThen(open(hello, load, HELLO_PER_SECOND), open(echo, load, 10),
                        open(spin, load, 0.2), open(crash, load, 2), open(flood, load, 2)),
                Requests.warmUp("misbehave", "echo", load.scaled(HELLO_PER_SECOND, 10), load))
                .protocols(Requests.protocol(platform))
                .assertions(load.verdict(List.of(global().failedRequests().percent().is(0.0)),
                        List.of(details("errors", "POST /fn/hello").responseTime().percentile(99).lt(GOOD_P99_BOUND_MS))));
    }

    /** A scenario at its share of the load: --rate sets hello's rate and scales the others with it. */
    private static PopulationBuilder open(ScenarioBuilder scenario, Load load, double defaultRate) {
        return scenario.injectOpen(constantUsersPerSec(load.scaled(HELLO_PER_SECOND, defaultRate)).during(load.main()));
    }

    @Override
    public void after() {
        platform.close();
    }
}
