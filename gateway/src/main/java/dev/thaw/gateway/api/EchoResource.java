package dev.thaw.gateway.api;

import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import io.smallrye.common.annotation.NonBlocking;
import org.eclipse.microprofile.openapi.annotations.Operation;

/** Answers the body unchanged, without a VM: the same HTTP path as an invocation, for the benchmark's ceiling. */
@Path("/v1/echo")
public class EchoResource {
    @POST
    @NonBlocking
    @Consumes(MediaType.WILDCARD)
    @Produces(MediaType.APPLICATION_OCTET_STREAM)
    @Operation(summary = "Echo the body (no VM): the HTTP ceiling")
    public byte[] echo(byte[] body) {
        return body;
    }
}
