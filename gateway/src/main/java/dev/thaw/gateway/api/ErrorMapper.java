package dev.thaw.gateway.api;

import dev.thaw.gateway.ApiException;
import dev.thaw.gateway.invoke.InvocationIds;
import dev.thaw.registry.RegistryException;
import jakarta.ws.rs.WebApplicationException;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.util.Map;
import org.jboss.logging.Logger;
import org.jboss.resteasy.reactive.server.ServerExceptionMapper;

/** Every error leaves as {"error": "..."} JSON with its status; never a stack trace. */
public class ErrorMapper {
    private static final Logger LOG = Logger.getLogger(ErrorMapper.class);

    @ServerExceptionMapper
    public Response api(ApiException e) {
        Response.ResponseBuilder r = Response.status(e.status()).type(MediaType.APPLICATION_JSON).entity(e.body());
        e.headers().forEach(r::header);
        return r.build();
    }

    @ServerExceptionMapper
    public Response web(WebApplicationException e) {
        int status = e.getResponse().getStatus();
        String message = switch (status) {
            case 404 -> "no such endpoint";
            case 405 -> "method not allowed";
            case 413 -> "request body too large";
            case 415 -> "unsupported content type";
            default -> e.getMessage();
        };
        return Response.status(status).type(MediaType.APPLICATION_JSON).entity(Map.of("error", message)).build();
    }

    /** Redis (or the registry directory) failed or timed out: the caller may try again soon. */
    @ServerExceptionMapper
    public Response registry(RegistryException e) {
        String reference = InvocationIds.next().replace("inv_", "err_");
        LOG.warnf("registry failure (reference %s): %s", reference, e.getMessage());
        return Response.status(503).type(MediaType.APPLICATION_JSON).header("Retry-After", "1")
                .entity(Map.of("error", "the registry is unavailable; try again (reference " + reference + ")"))
                .build();
    }

    /**
     * Anything else is a bug or a host failure: its details (paths, addresses, class names)
     * go to the log under a reference the caller can quote, never into the answer.
     */
    @ServerExceptionMapper
    public Response unexpected(Throwable e) {
        if (e.getCause() instanceof ApiException api) {
            return api(api);
        }
        if (e.getCause() instanceof RegistryException r) {
            return registry(r);
        }
        String reference = InvocationIds.next().replace("inv_", "err_");
        LOG.errorf(e, "unexpected failure (reference %s)", reference);
        return Response.status(500).type(MediaType.APPLICATION_JSON)
                .entity(Map.of("error", "internal error (reference " + reference + ")"))
                .build();
    }
}
