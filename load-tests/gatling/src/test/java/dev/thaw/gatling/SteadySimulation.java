package dev.thaw.gatling;

import static io.gatling.javaapi.core.CoreDsl.StringBody;
import static io.gatling.javaapi.core.CoreDsl.bodyString;
import static io.gatling.javaapi.core.CoreDsl.constantUsersPerSec;
import static io.gatling.javaapi.core.CoreDsl.global;
import static io.gatling.javaapi.core.CoreDsl.details;
import static io.gatling.javaapi.core.CoreDsl.exec;
import static io.gatling.javaapi.core.CoreDsl.scenario;
import static io.gatling.javaapi.http.HttpDsl.http;
import static io.gatling.javaapi.http.HttpDsl.status;

import io.gatling.javaapi.core.ScenarioBuilder;
import io.gatling.javaapi.core.Simulation;
import java.util.List;

/**
 * Steady: a constant arrival rate (an open model: new calls arrive whether or not earlier ones
 * have answered) of sync invocations of {@code hello} and {@code json-transform}, checking
 * every answer's body, after a warm-up (group "warm-up"); group "steady" is what is measured. Defaults: 100 hello/s and 25
 * json-transform/s. Verdict: no failed request, p99 under 1 s.
 */
public class SteadySimulation extends Simulation {
    private static final double HELLO_PER_SECOND = 100;
    private static final double JSON_PER_SECOND = 25;
    /**
     * The verdict's bound. Generous: the reference machine has 2 cores shared with other
     * work, where a JVM waits for a core for tens of milliseconds at a time; the warm
     * invocation itself takes ~35 us and an idle machine answers in a few ms.
     */
    private static final int P99_BOUND_MS = 1000;
    private static final String DOCUMENT = "{\"order\": 1017, \"items\": [{\"sku\": \"A-1\", \"qty\": 2}, "
            + "{\"sku\": \"B-7\", \"qty\": 1}], \"customer\": {\"name\": \"Ada\", \"tier\": \"gold\"}}";

    private final Platform platform = Platform.startOrConnect();

    {
        Load load = Load.fromEnvironment();
        platform.deployExample("hello");
        platform.deployExample("json-transform");
        platform.warmUp("hello", "Thaw", load.platformWarmUp());
        platform.warmUp("json-transform", DOCUMENT, load.platformWarmUp());
        double hello = load.rate(HELLO_PER_SECOND);
        double json = load.scaled(HELLO_PER_SECOND, JSON_PER_SECOND);

        ScenarioBuilder helloCalls = scenario("hello").group("steady").on(exec(Requests.sync("hello", "Thaw")
                .check(bodyString().is("Hello, Thaw!\n"))));
        ScenarioBuilder jsonCalls = scenario("json-transform").group("steady").on(exec(Requests.sync("json-transform", DOCUMENT)
                .check(bodyString().is("{\"_stats\":{\"depth\":3,\"members\":9,\"strings\":4},\"customer\":{\"name\":\"Ada\","
                        + "\"tier\":\"gold\"},\"items\":[{\"qty\":2,\"sku\":\"A-1\"},{\"qty\":1,\"sku\":\"B-7\"}],\"order\":1017}\n"))));

        setUp(Requests.warmUp("hello", "Thaw", hello, load).andThen(
                        helloCalls.injectOpen(constantUsersPerSec(hello).during(load.main())),
                        jsonCalls.injectOpen(constantUsersPerSec(json).during(load.main()))),
                Requests.warmUp("json-transform", DOCUMENT, json, load))
                .protocols(Requests.protocol(platform))
                .assertions(load.verdict(List.of(global().failedRequests().percent().is(0.0)),
                        List.of(details("steady").responseTime().percentile(99).lt(P99_BOUND_MS))));
    }

    @Override
    public void after() {
        platform.close();
    }
}
