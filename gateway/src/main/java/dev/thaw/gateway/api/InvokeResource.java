package dev.thaw.gateway.api;

import dev.thaw.gateway.ApiException;
import dev.thaw.gateway.AdminToken;
import dev.thaw.gateway.ThawConfig;
import dev.thaw.gateway.wiring.GatewayParts;
import dev.thaw.gateway.invoke.InvocationService;
import dev.thaw.gateway.invoke.InvocationService.Completed;
import dev.thaw.gateway.invoke.InvocationService.Target;
import dev.thaw.protocol.InvocationResult;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import jakarta.inject.Inject;
import jakarta.inject.Named;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.HttpHeaders;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.jboss.resteasy.reactive.RestHeader;
import org.jboss.resteasy.reactive.RestPath;
import org.jboss.resteasy.reactive.RestQuery;

/**
 * {@code POST /fn/{name}} and {@code /fn/{name}@{version}}: the body is the function's stdin,
 * the answer its stdout. Runs on the event loop; the invocation itself runs on a runner
 * thread, so nothing here blocks.
 */
@Path("/fn")
public class InvokeResource {
    /** Stderr returned with a failed invocation. */
    static final int STDERR_TAIL = 4096;

    @Inject
    InvocationService invocations;

    @Inject
    AdminToken token;

    @Inject
    ThawConfig config;

    @Inject
    @Named(GatewayParts.BLOCKING)
    ExecutorService blocking;

    @POST
    @Path("/{target}")
    @Consumes(MediaType.WILDCARD)
    @Produces({MediaType.APPLICATION_OCTET_STREAM, MediaType.APPLICATION_JSON})
    @Operation(summary = "Invoke a function", description = "The body is its stdin; the response body is its stdout. "
            + "Prefer: respond-async (or ?async=true) queues it and answers 202 with the invocation id.")
    public CompletionStage<Response> invoke(@RestPath String target, byte[] body,
                                            @RestHeader("Prefer") String prefer, @RestQuery boolean async,
                                            @RestHeader(HttpHeaders.AUTHORIZATION) String authorization,
                                            @RestHeader("X-Callback-Url") String callbackUrl) {
        Target t = Target.parse(target);
        if (body.length > config.maxBodyBytes()) {
            throw new ApiException(413, "request body of " + body.length + " bytes is larger than the limit of "
                    + config.maxBodyBytes());
        }
        boolean admin = token.matches(authorization);
        if (async || prefer != null && prefer.contains("respond-async")) {
            return CompletableFuture.supplyAsync(() -> {
                String id = invocations.submit(t, body, admin, callbackUrl);
                return Response.accepted(Map.of("invocation", id, "state", "queued"))
                        .type(MediaType.APPLICATION_JSON).header("Location", "/v1/invocations/" + id)
                        .header("Thaw-Invocation-Id", id).build();
            }, blocking);
        }
        return invocations.invoke(t, body, admin, onThisEventLoop()).thenApply(InvokeResource::respond);
    }

    public static Response respond(Completed c) {
        Map<String, String> headers = headers(c);
        if (!c.result().ok()) {
            throw failure(c, headers);
        }
        Response.ResponseBuilder ok = Response.ok(c.result().stdout(), MediaType.APPLICATION_OCTET_STREAM);
        headers.forEach(ok::header);
        return ok.build();
    }

    /** The Thaw-* headers of an invocation's answer, whatever its outcome. */
    static Map<String, String> headers(Completed c) {
        InvocationResult r = c.result();
        Map<String, String> headers = new LinkedHashMap<>();
        headers.put("Thaw-Invocation-Id", c.id());
        headers.put("Thaw-Version", String.valueOf(c.version().version()));
        headers.put("Thaw-Warm", String.valueOf(r.timings().warm()));
        if (!r.timings().warm()) {
            headers.put("Thaw-Cold", "true"); // a VM was created from the snapshot for this call
        }
        headers.put("Thaw-Queue-Ms", millis(r.timings().queueNanos()));
        headers.put("Thaw-Run-Ms", millis(r.timings().runNanos()));
        return headers;
    }

    /** The error a failed invocation answers: its outcome, exit code, the tail of its stderr. */
    static ApiException failure(Completed c, Map<String, String> headers) {
        InvocationResult r = c.result();
        Map<String, Object> extra = new LinkedHashMap<>();
        extra.put("outcome", r.status().name());
        if (r.status() == InvocationResult.Status.EXITED) {
            extra.put("exit_code", r.exitCode());
        }
        byte[] err = r.stderr();
        extra.put("stderr", new String(Arrays.copyOfRange(err, Math.max(0, err.length - STDERR_TAIL), err.length),
                StandardCharsets.UTF_8));
        extra.put("invocation", c.id());
        int status = switch (r.status()) {
            case TIMEOUT -> 504;
            case INPUT_TOO_LARGE -> 413;
            default -> 502;
        };
        String error = r.status() == InvocationResult.Status.EXITED && r.signal() == 0
                ? "function exited with status " + r.exitCode() : r.error();
        return new ApiException(status, error, extra, headers);
    }

    /**
     * Runs a continuation on the calling request's event loop: at once when the result came on
     * it already (a short function run right here, see FunctionHost), else handed back to it.
     */
    static Executor onThisEventLoop() {
        Context context = Vertx.currentContext();
        return context == null ? Runnable::run : task -> {
            if (Vertx.currentContext() == context) {
                task.run();
            } else {
                context.runOnContext(v -> task.run());
            }
        };
    }

    /** Milliseconds with three decimals, without String.format (on every response). */
    static String millis(long nanos) {
        long micros = Math.max(0, nanos) / 1000;
        long fraction = micros % 1000;
        return (micros / 1000) + (fraction < 10 ? ".00" : fraction < 100 ? ".0" : ".") + fraction;
    }
}
