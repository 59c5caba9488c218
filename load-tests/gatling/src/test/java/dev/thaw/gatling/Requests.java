package dev.thaw.gatling;

import static io.gatling.javaapi.core.CoreDsl.StringBody;
import static io.gatling.javaapi.http.HttpDsl.http;
import static io.gatling.javaapi.http.HttpDsl.status;

import io.gatling.javaapi.http.HttpProtocolBuilder;
import io.gatling.javaapi.http.HttpRequestActionBuilder;

/** The HTTP requests the simulations share: the protocol and a sync invocation. */
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

    /** {@code POST /fn/{function}} with this body, expected to answer 200. */
    static HttpRequestActionBuilder sync(String function, String body) {
        return http("POST /fn/" + function).post("/fn/" + function).body(StringBody(body)).check(status().is(200));
    }
}
