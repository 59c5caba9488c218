package dev.thaw.gatling;

import static io.gatling.javaapi.core.CoreDsl.StringBody;
import static io.gatling.javaapi.http.HttpDsl.http;
import static io.gatling.javaapi.http.HttpDsl.status;

import static io.gatling.javaapi.core.CoreDsl.constantUsersPerSec;
import static io.gatling.javaapi.core.CoreDsl.exec;
import static io.gatling.javaapi.core.CoreDsl.scenario;

import io.gatling.javaapi.core.PopulationBuilder;
import io.gatling.javaapi.http.HttpProtocolBuilder;
import io.gatling.javaapi.http.HttpRequestActionBuilder;

/** The HTTP requests the simulations share: the protocol, a sync invocation, the warm-up. */
final class Requests {
    private Requests() {}

    /**
     * The platform's URL and admin token. Virtual users share a pool of keep-alive connections,
     * as the clients of a FaaS gateway (other services, a load balancer) do, instead of each
     * arrival opening its own: the figures are the platform's, not the TCP handshake's.
     */
    static HttpProtocolBuilder protocol(Platform platform) {
        return http.baseUrl(platform.url())
                .authorizationHeader("Bearer " + platform.token())
                .contentTypeHeader("application/octet-stream")
                .shareConnections();
    }

    /** How long every simulation warms up before the traffic it measures. */
    static final java.time.Duration WARM_UP = java.time.Duration.ofSeconds(5);

    /**
     * The warm-up: the function called at the simulation's rate for {@link #WARM_UP}, in the
     * group "warm-up", before the measured traffic ({@code warmUp.andThen(measured)}). Gatling's
     * own JVM starts cold too: its first seconds run its HTTP client in the interpreter and
     * open its connections, and calls in them took up to 2 s here where the same platform
     * answered in 3 ms right after. The figures and verdicts are the measured groups'.
     */
    static PopulationBuilder warmUp(String function, String body, double perSecond) {
        return scenario("warm-up " + function).group("warm-up").on(exec(http("warm-up " + function)
                        .post("/fn/" + function).body(StringBody(body)).check(status().is(200))))
                .injectOpen(constantUsersPerSec(perSecond).during(WARM_UP));
    }

    /** {@code POST /fn/{function}} with this body, expected to answer 200. */
    static HttpRequestActionBuilder sync(String function, String body) {
        return http("POST /fn/" + function).post("/fn/" + function).body(StringBody(body)).check(status().is(200));
    }
}
