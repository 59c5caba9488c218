package dev.thaw.gateway.api;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.thaw.gateway.AdminToken;
import dev.thaw.gateway.ApiException;
import dev.thaw.gateway.ThawConfig;
import dev.thaw.gateway.invoke.InvocationService;
import dev.thaw.gateway.invoke.InvocationService.Completed;
import dev.thaw.gateway.invoke.InvocationService.Target;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import java.util.Map;
import java.util.concurrent.Executor;
import java.util.function.Consumer;

/**
 * The common case of {@code POST /fn/{target}} as a plain Vert.x route, ahead of RESTEasy: a
 * sync call whose body length is given and within the limit, with no query string. It does
 * what {@link InvokeResource} does, answers the same (the same headers, the same JSON errors
 * from {@link ErrorMapper#answer}), without RESTEasy's per-request work: its handler chain,
 * content negotiation and response writer took about a fifth of the event loop's CPU for a
 * warm {@code hello} (docs/BENCHMARKS.md, "The HTTP path, profiled"). Every other call
 * to {@code /fn} (async, chunked, oversized, with a query) goes on to {@link InvokeResource},
 * which also documents the endpoint in the OpenAPI description.
 */
@ApplicationScoped
public class InvokeRoute {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final CharSequence OCTET_STREAM = HttpHeaders.createOptimized("application/octet-stream");
    private static final CharSequence APPLICATION_JSON = HttpHeaders.createOptimized("application/json");

    @Inject
    InvocationService invocations;

    @Inject
    AdminToken token;

    @Inject
    ThawConfig config;

    void install(@Observes Router router) {
        router.post("/fn/:target").handler(this::handle);
        if (config.benchEcho()) {
            router.post("/v1/echo").handler(this::echo);
        }
    }

    /**
     * {@code POST /v1/echo}: the body back, without a VM, through this same route (the HTTP
     * benchmark's ceiling). Served only with {@code thaw.bench-echo=true}; it needs the admin
     * token, like the rest of /v1.
     */
    private void echo(RoutingContext ctx) {
        if (!token.matches(ctx.request().getHeader(HttpHeaders.AUTHORIZATION))) {
            fail(ctx.response(), new ApiException(401, "missing or invalid token"));
            return;
        }
        withBody(ctx, body -> ctx.response().putHeader(HttpHeaders.CONTENT_TYPE, OCTET_STREAM).end(body));
    }

    private void handle(RoutingContext ctx) {
        HttpServerRequest request = ctx.request();
        String prefer = request.getHeader("Prefer");
        long length = contentLength(request);
        if (request.query() != null || length < 0 || length > config.maxBodyBytes()
                || prefer != null && prefer.contains("respond-async")) {
            ctx.next(); // InvokeResource
            return;
        }
        withBody(ctx, body -> invoke(ctx, body));
    }

    private void invoke(RoutingContext ctx, Buffer body) {
        HttpServerResponse response = ctx.response();
        Executor loop = InvokeResource.onThisEventLoop();
        try {
            Target target = Target.parse(ctx.pathParam("target"));
            boolean admin = token.matches(ctx.request().getHeader(HttpHeaders.AUTHORIZATION));
            invocations.invoke(target, body.getBytes(), admin, loop).whenCompleteAsync((c, failure) -> {
                if (failure != null) {
                    fail(response, failure);
                } else {
                    answer(response, c);
                }
            }, loop);
        } catch (RuntimeException e) {
            fail(response, e);
        }
    }

    private static void answer(HttpServerResponse response, Completed c) {
        Map<String, String> headers = InvokeResource.headers(c);
        if (!c.result().ok()) {
            fail(response, InvokeResource.failure(c, headers));
            return;
        }
        if (response.closed()) {
            return;
        }
        headers.forEach(response::putHeader);
        response.putHeader(HttpHeaders.CONTENT_TYPE, OCTET_STREAM).end(Buffer.buffer(c.result().stdout()));
    }

    private static void fail(HttpServerResponse response, Throwable failure) {
        ErrorMapper.Answer a = ErrorMapper.answer(failure);
        if (response.closed()) {
            return;
        }
        byte[] json;
        try {
            json = JSON.writeValueAsBytes(a.body());
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("an error body that is not JSON: " + a.body(), e);
        }
        response.setStatusCode(a.status());
        a.headers().forEach(response::putHeader);
        response.putHeader(HttpHeaders.CONTENT_TYPE, APPLICATION_JSON).end(Buffer.buffer(json));
    }

    /**
     * Reads the whole request body, then hands it to {@code then}. It answers "100 Continue"
     * first to a client that waits for it before sending its body (curl does for bodies over
     * 1 MiB): Vert.x leaves that to the handler, and without it the client waits a second, or
     * for good.
     */
    private static void withBody(RoutingContext ctx, Consumer<Buffer> then) {
        HttpServerRequest request = ctx.request();
        String expect = request.getHeader(HttpHeaders.EXPECT);
        if (expect != null && expect.equalsIgnoreCase("100-continue")) {
            ctx.response().writeContinue();
        }
        request.body().onComplete(read -> {
            if (read.succeeded()) {
                then.accept(read.result());
            } else {
                ctx.fail(read.cause()); // the connection broke while the body came: nobody to answer
            }
        });
        request.resume(); // Quarkus hands requests to the router paused
    }

    /** The Content-Length header's value; -1 when there is none (chunked) or it is not a number. */
    private static long contentLength(HttpServerRequest request) {
        String length = request.getHeader(HttpHeaders.CONTENT_LENGTH);
        if (length == null) {
            return -1;
        }
        try {
            return Long.parseLong(length);
        } catch (NumberFormatException e) {
            return -1;
        }
    }
}
