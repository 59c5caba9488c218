package dev.thaw.gateway.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.thaw.events.ConsumerLag;
import dev.thaw.gateway.ApiException;
import dev.thaw.gateway.trigger.TriggerService;
import dev.thaw.gateway.trigger.TriggerStatus;
import dev.thaw.registry.TriggerReport;
import io.smallrye.common.annotation.Blocking;
import jakarta.inject.Inject;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.DELETE;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.io.IOException;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.jboss.resteasy.reactive.RestPath;

/** The triggers API: create, list, inspect (with status and lag), delete. Needs the admin token (see {@link AuthFilter}). */
@Path("/v1/triggers")
@Produces(MediaType.APPLICATION_JSON)
@Blocking
public class TriggersResource {
    private static final ObjectMapper JSON = new ObjectMapper();

    @Inject
    TriggerService triggers;

    @POST
    @Consumes(MediaType.WILDCARD)
    @Operation(summary = "Create a Kafka trigger", description = "The body is a JSON object: name, function, topic, "
            + "and optionally bootstrap, group, batch_size, batch_window_ms, start, max_retries, dlq, to.")
    public Response create(byte[] body) {
        JsonNode json;
        try {
            json = JSON.readTree(body);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new ApiException(400, "the body is not JSON: " + e.getOriginalMessage());
        } catch (IOException e) {
            throw new ApiException(400, "the body cannot be read: " + e.getMessage());
        }
        return Response.status(201).entity(triggers.create(json).toJson()).build();
    }

    @GET
    @Operation(summary = "List triggers, with their status and lag")
    public ObjectNode list() {
        ObjectNode answer = JSON.createObjectNode();
        ArrayNode list = answer.putArray("triggers");
        for (TriggerService.Described d : triggers.list()) {
            list.add(render(d));
        }
        return answer;
    }

    @GET
    @Path("/{name}")
    @Operation(summary = "A trigger, with its status and lag per partition")
    public ObjectNode get(@RestPath String name) {
        return render(triggers.describe(name));
    }

    @DELETE
    @Path("/{name}")
    @Operation(summary = "Delete a trigger", description = "Its consumers stop within seconds, committing what they handled.")
    public Response delete(@RestPath String name) {
        triggers.delete(name);
        return Response.noContent().build();
    }

    /** The spec's fields, and {@code status}: state, errors, lag per partition, and each invoker's consumer. */
    static ObjectNode render(TriggerService.Described d) {
        ObjectNode n = d.spec().toJson();
        TriggerStatus s = d.status();
        ObjectNode status = n.putObject("status");
        status.put("state", s.state()).put("error", s.error()).put("last_error", s.lastError())
                .put("last_error_at", s.lastErrorAt() == null ? null : s.lastErrorAt().toString());
        if (s.totalLag() < 0) {
            status.putNull("lag");
        } else {
            status.put("lag", s.totalLag());
        }
        ArrayNode partitions = status.putArray("partitions");
        for (ConsumerLag.PartitionLag p : s.lag()) {
            ObjectNode pn = partitions.addObject().put("partition", p.partition()).put("end_offset", p.end());
            if (p.committed() < 0) {
                pn.putNull("committed_offset");
            } else {
                pn.put("committed_offset", p.committed());
            }
            pn.put("lag", p.lag());
        }
        ArrayNode consumers = status.putArray("consumers");
        for (TriggerReport r : s.consumers()) {
            ObjectNode c = consumers.addObject().put("invoker", r.invoker()).put("state", r.state());
            r.partitions().forEach(c.putArray("partitions")::add);
            c.put("events", r.events()).put("dead_lettered", r.deadLettered()).put("error", r.error());
        }
        return n;
    }
}
