package dev.thaw.gateway.api;

import dev.thaw.gateway.AdminToken;
import jakarta.inject.Inject;
import jakarta.ws.rs.container.ContainerRequestContext;
import jakarta.ws.rs.core.HttpHeaders;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.util.Map;
import org.jboss.resteasy.reactive.server.ServerRequestFilter;

/** The functions API needs the admin token. Invocation (/fn) checks it per function: public ones need none. */
public class AuthFilter {
    /** Request property: System.nanoTime() when the request's headers arrived (before its body). */
    static final String ARRIVED = "thaw.arrived";

    @ServerRequestFilter(preMatching = true)
    public void arrived(ContainerRequestContext request) {
        request.setProperty(ARRIVED, System.nanoTime());
    }

    @Inject
    AdminToken token;

    @ServerRequestFilter
    public Response requireToken(ContainerRequestContext request) {
        String path = request.getUriInfo().getPath();
        if (!path.startsWith("/v1/") || token.matches(request.getHeaderString(HttpHeaders.AUTHORIZATION))) {
            return null;
        }
        return Response.status(401).type(MediaType.APPLICATION_JSON).entity(Map.of("error", "missing or invalid token"))
                .build();
    }
}
