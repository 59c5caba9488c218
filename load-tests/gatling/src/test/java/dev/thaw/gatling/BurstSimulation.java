package dev.thaw.gatling;

import static io.gatling.javaapi.core.CoreDsl.bodyString;
import static io.gatling.javaapi.core.CoreDsl.constantUsersPerSec;
import static io.gatling.javaapi.core.CoreDsl.details;
import static io.gatling.javaapi.core.CoreDsl.exec;
import static io.gatling.javaapi.core.CoreDsl.global;
import static io.gatling.javaapi.core.CoreDsl.rampUsersPerSec;
import static io.gatling.javaapi.core.CoreDsl.scenario;

import io.gatling.javaapi.core.ScenarioBuilder;
import io.gatling.javaapi.core.Simulation;
import java.time.Duration;
import java.util.List;

/**
 * Burst: {@code hello} at a few calls per second, then within two seconds a spike to many
 * (an open model: arrivals do not wait for answers), held, and back. The report's "response
 * time percentiles over time" chart shows the latency during the spike and how quickly it
 * settles; the platform's pool of warm VM shells for hello, printed before and after, shows
 * how many shells the spike made it create. Defaults: 5/s, spike 100/s for half the main
 * phase, a quarter before and after. Verdict: no failed request, p99 under 3 s (the spike on
 * the reference machine's 2 shared cores, with other work running: 300/s there made a
 * backlog of seconds and 429s, 150/s a p99 of 2.5 s and one 429 (over hello's concurrency
 * limit of 100)).
 */
public class BurstSimulation extends Simulation {
    private static final double LOW_PER_SECOND = 5;
    private static final double SPIKE_PER_SECOND = 100;
    private static final int P99_BOUND_MS = 3000;

    private final Platform platform = Platform.startOrConnect();

    {
        Load load = Load.fromEnvironment();
        platform.deployExample("hello");
        platform.warmUp("hello", "Thaw", load.platformWarmUp());
        System.out.println("thaw: hello's pool before the burst: " + platform.pool("hello"));
        double spike = load.rate(SPIKE_PER_SECOND);
        double low = load.scaled(SPIKE_PER_SECOND, LOW_PER_SECOND);
        Duration quarter = load.main().dividedBy(4);
        Duration edge = Duration.ofSeconds(2);

        ScenarioBuilder calls = scenario("hello").group("burst").on(exec(Requests.sync("hello", "Thaw")
                .check(bodyString().is("Hello, Thaw!\n"))));
        setUp(Requests.warmUp("hello", "Thaw", low, load).andThen(calls.injectOpen(
                constantUsersPerSec(low).during(quarter),
                rampUsersPerSec(low).to(spike).during(edge),
                constantUsersPerSec(spike).during(quarter.multipliedBy(2)),
                rampUsersPerSec(spike).to(low).during(edge),
                constantUsersPerSec(low).during(quarter))))
                .protocols(Requests.protocol(platform))
                .assertions(load.verdict(List.of(global().failedRequests().percent().is(0.0)),
                        List.of(details("burst").responseTime().percentile(99).lt(P99_BOUND_MS))));
    }

    @Override
    public void after() {
        System.out.println("thaw: hello's pool after the burst: " + platform.pool("hello"));
        platform.close();
    }
}
