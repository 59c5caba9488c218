package dev.thaw.gateway.api;

import dev.thaw.gateway.ApiException;
import dev.thaw.gateway.invoke.InvocationIds;
import dev.thaw.registry.InvocationRecord;
import dev.thaw.registry.InvocationStore;
import io.smallrye.common.annotation.Blocking;
import jakarta.inject.Inject;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.jboss.resteasy.reactive.RestPath;

/** Invocation records: the state and result of async invocations. */
@Path("/v1/invocations")
@Blocking
public class InvocationsResource {
    @Inject
    InvocationStore store;

    private InvocationRecord find(String id) {
        if (!InvocationIds.valid(id)) {
            throw new ApiException(404, "invocation '" + id + "' not found");
        }
        return store.get(id).orElseThrow(() -> new ApiException(404, "invocation '" + id
                + "' not found (records are kept for " + store.retention() + ")"));
    }

    @GET
    @Path("/{id}")
    @Produces(MediaType.APPLICATION_JSON)
    @Operation(summary = "An invocation's state and result")
    public Map<String, Object> get(@RestPath String id) {
        InvocationRecord r = find(id);
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("invocation", r.id());
        m.put("function", r.function());
        m.put("version", r.version());
        m.put("state", r.state().name().toLowerCase(java.util.Locale.ROOT));
        m.put("outcome", r.outcome());
        m.put("exit_code", r.exitCode());
        m.put("error", r.error());
        putBytes(m, "stdout", r.stdout());
        m.put("stdout_truncated", r.stdoutTruncated());
        putBytes(m, "stderr", r.stderr());
        m.put("logs", r.logs());
        m.put("warm", r.warm());
        m.put("cold", r.state() == InvocationRecord.State.DONE && !r.warm()); // it waited for a VM to be created
        m.put("queue_ms", r.queueMicros() / 1000.0);
        m.put("run_ms", r.runMicros() / 1000.0);
        m.put("created_at", r.createdAt().toString());
        m.put("finished_at", r.finishedAt() == null ? null : r.finishedAt().toString());
        return m;
    }

    @GET
    @Path("/{id}/output")
    @Produces(MediaType.APPLICATION_OCTET_STREAM)
    @Operation(summary = "An async invocation's stdout, raw")
    public Response output(@RestPath String id) {
        InvocationRecord r = find(id);
        if (r.state() != InvocationRecord.State.DONE) {
            throw new ApiException(404, "invocation '" + id + "' has not finished");
        }
        return Response.ok(r.stdout(), MediaType.APPLICATION_OCTET_STREAM).build();
    }

    /** Bytes as a string when they are UTF-8, else base64 under key + "_base64". */
    private static void putBytes(Map<String, Object> m, String key, byte[] bytes) {
        try {
            m.put(key, StandardCharsets.UTF_8.newDecoder().decode(ByteBuffer.wrap(bytes)).toString());
        } catch (CharacterCodingException e) {
            m.put(key + "_base64", Base64.getEncoder().encodeToString(bytes));
        }
    }
}
