package dev.thaw.gateway.api;

import dev.thaw.gateway.ApiException;
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

    @ServerExceptionMapper
    public Response unexpected(Throwable e) {
        if (e.getCause() instanceof ApiException api) {
            return api(api);
        }
        LOG.error("unexpected failure", e);
        return Response.status(500).type(MediaType.APPLICATION_JSON)
                .entity(Map.of("error", "internal error: " + e.getClass().getSimpleName()
                        + (e.getMessage() == null ? "" : ": " + e.getMessage())))
                .build();
    }
}
