package dev.thaw.gatling;

import static io.gatling.javaapi.core.CoreDsl.StringBody;
import static io.gatling.javaapi.core.CoreDsl.asLongAs;
import static io.gatling.javaapi.core.CoreDsl.constantUsersPerSec;
import static io.gatling.javaapi.core.CoreDsl.details;
import static io.gatling.javaapi.core.CoreDsl.exec;
import static io.gatling.javaapi.core.CoreDsl.global;
import static io.gatling.javaapi.core.CoreDsl.group;
import static io.gatling.javaapi.core.CoreDsl.jsonPath;
import static io.gatling.javaapi.core.CoreDsl.pause;
import static io.gatling.javaapi.core.CoreDsl.scenario;
import static io.gatling.javaapi.http.HttpDsl.header;
import static io.gatling.javaapi.http.HttpDsl.http;
import static io.gatling.javaapi.http.HttpDsl.status;

import io.gatling.javaapi.core.ScenarioBuilder;
import io.gatling.javaapi.core.Simulation;
import java.time.Duration;
import java.util.List;

/**
 * Async: {@code hello} submitted with {@code Prefer: respond-async} (202 and a
 * {@code Location}), then its record polled every 10 ms until its state is {@code done}, and
 * read once more to check its outcome and stdout. The group "submit to result" is the time
 * from submitting to having the result, polling included, as a caller sees it (gatling.conf
 * makes a group's figures its duration). Defaults: 10 submissions/s, at most 5 s of polling
 * each. Verdict: no failed request, "submit to result" p99 under 5 s. Generous: on the
 * embedded platform an accepted async invocation is forced to disk twice before its 202 and
 * twice when done (its journal), and under this machine's load those waits, not the 35 us
 * run, make the time to result.
 */
public class AsyncSimulation extends Simulation {
    private static final double SUBMITS_PER_SECOND = 10;
    private static final Duration POLL_INTERVAL = Duration.ofMillis(10);
    private static final int MAX_POLLS = 500;
    private static final int P99_BOUND_MS = 5000;

    private final Platform platform = Platform.startOrConnect();

    {
        Load load = Load.fromEnvironment();
        platform.deployExample("hello");
        platform.warmUp("hello", "Thaw", load.platformWarmUp());
        double rate = load.rate(SUBMITS_PER_SECOND);

        ScenarioBuilder submitAndPoll = scenario("async hello").group("submit to result").on(
                exec(http("submit").post("/fn/hello").header("Prefer", "respond-async").body(StringBody("Thaw"))
                        .check(status().is(202), header("Location").saveAs("location")))
                .exec(session -> session.set("state", "queued"))
                // one poll more than MAX_POLLS would be a failure: the final read checks the state
                .asLongAs(session -> !"done".equals(session.getString("state")) && session.getInt("polls") < MAX_POLLS, "polls")
                .on(pause(POLL_INTERVAL).exec(http("poll").get("#{location}")
                        .check(status().is(200), jsonPath("$.state").saveAs("state"))))
                .exec(http("result").get("#{location}").check(status().is(200),
                        jsonPath("$.state").is("done"), jsonPath("$.outcome").is("EXITED"),
                        jsonPath("$.stdout").is("Hello, Thaw!\n"))));
        setUp(Requests.warmUp("hello", "Thaw", rate, load).andThen(submitAndPoll.injectOpen(constantUsersPerSec(rate).during(load.main()))))
                .protocols(Requests.protocol(platform))
                .assertions(load.verdict(List.of(global().failedRequests().percent().is(0.0)),
                        List.of(details("submit to result").responseTime().percentile(99).lt(P99_BOUND_MS))));
    }

    @Override
    public void after() {
        platform.close();
    }
}
