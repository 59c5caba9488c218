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

    /**
     * The warm-up ({@link Load#warmUp}): the function called at the simulation's rate, in the
     * group "warm-up", before the measured traffic ({@code warmUp.andThen(measured)}). The
     * figures and timing verdicts are the measured groups'.
     */
    static PopulationBuilder warmUp(String function, String body, double perSecond, Load load) {
        return scenario("warm-up " + function).group("warm-up").on(exec(http("warm-up " + function)
                        .post("/fn/" + function).body(StringBody(body)).check(status().is(200))))
                .injectOpen(constantUsersPerSec(perSecond).during(load.warmUp()));
    }

    /** {@code POST /fn/{function}} with this body, expected to answer 200. */
    static HttpRequestActionBuilder sync(String function, String body) {
        return http("POST /fn/" + function).post("/fn/" + function).body(StringBody(body)).check(status().is(200));
    }
}
