package dev.thaw.gateway.api;

import dev.thaw.gateway.ApiException;
import dev.thaw.gateway.ThawConfig;
import jakarta.inject.Inject;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import io.smallrye.common.annotation.NonBlocking;
import org.eclipse.microprofile.openapi.annotations.Operation;

/**
 * Answers the body unchanged, without a VM: the same HTTP path as an invocation, for the HTTP
 * benchmark's ceiling. Not part of the API: it answers 404 unless {@code thaw.bench-echo=true}.
 */
@Path("/v1/echo")
public class EchoResource {
    @Inject
    ThawConfig config;

    @POST
    @NonBlocking
    @Consumes(MediaType.WILDCARD)
    @Produces(MediaType.APPLICATION_OCTET_STREAM)
    @Operation(hidden = true)
    public byte[] echo(byte[] body) {
        if (!config.benchEcho()) {
            throw new ApiException(404, "no such endpoint");
        }
        return body;
    }
}
