package dev.thaw.gateway.api;

import dev.thaw.gateway.ApiException;
import dev.thaw.gateway.invoke.InvocationIds;
import dev.thaw.registry.RegistryException;
import jakarta.ws.rs.WebApplicationException;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.util.Map;
import java.util.concurrent.CompletionException;
import org.jboss.logging.Logger;
import org.jboss.resteasy.reactive.server.ServerExceptionMapper;

/**
 * Every error leaves as {"error": "..."} JSON with its status; never a stack trace. RESTEasy
 * calls the mappers; {@link InvokeRoute}, which answers without RESTEasy, calls {@link #answer}.
 */
public class ErrorMapper {
    private static final Logger LOG = Logger.getLogger(ErrorMapper.class);

    /** What a caller gets for a failure: the status, extra headers and the JSON body. */
    record Answer(int status, Map<String, String> headers, Map<String, Object> body) {
        Response response() {
            Response.ResponseBuilder r = Response.status(status).type(MediaType.APPLICATION_JSON).entity(body);
            headers.forEach(r::header);
            return r.build();
        }
    }

    @ServerExceptionMapper
    public Response api(ApiException e) {
        return answer(e).response();
    }

    @ServerExceptionMapper
    public Response web(WebApplicationException e) {
        return answer(e).response();
    }

    @ServerExceptionMapper
    public Response registry(RegistryException e) {
        return answer(e).response();
    }

    @ServerExceptionMapper
    public Response unexpected(Throwable e) {
        return answer(e).response();
    }

    /**
     * The answer for any failure. An {@link ApiException} says its own; Redis (or the registry
     * directory) failing or timing out is a 503 the caller may retry soon; anything else is a
     * bug or a host failure, whose details (paths, addresses, class names) go to the log under a
     * reference the caller can quote, never into the answer.
     */
    static Answer answer(Throwable e) {
        if (e instanceof CompletionException && e.getCause() != null) {
            e = e.getCause();
        }
        if (e instanceof ApiException api) {
            return new Answer(api.status(), api.headers(), api.body());
        }
        if (e instanceof RegistryException r) {
            String reference = reference();
            LOG.warnf("registry failure (reference %s): %s", reference, r.getMessage());
            return new Answer(503, Map.of("Retry-After", "1"),
                    Map.of("error", "the registry is unavailable; try again (reference " + reference + ")"));
        }
        if (e instanceof WebApplicationException w) {
            int status = w.getResponse().getStatus();
            String message = switch (status) {
                case 404 -> "no such endpoint";
                case 405 -> "method not allowed";
                case 413 -> "request body too large";
                case 415 -> "unsupported content type";
                default -> w.getMessage();
            };
            return new Answer(status, Map.of(), Map.of("error", message));
        }
        if (e.getCause() instanceof ApiException || e.getCause() instanceof RegistryException) {
            return answer(e.getCause());
        }
        String reference = reference();
        LOG.errorf(e, "unexpected failure (reference %s)", reference);
        return new Answer(500, Map.of(), Map.of("error", "internal error (reference " + reference + ")"));
    }

    private static String reference() {
        return InvocationIds.next().replace("inv_", "err_");
    }
}
