package dev.thaw.gateway.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.thaw.gateway.ApiException;
import dev.thaw.gateway.ThawConfig;
import dev.thaw.gateway.deploy.DeployService;
import dev.thaw.gateway.route.Invokers;
import dev.thaw.protocol.BuildFailure;
import dev.thaw.protocol.BuildOutcome;
import dev.thaw.registry.FunctionRegistry;
import dev.thaw.registry.FunctionVersion;
import dev.thaw.registry.InvocationRecord;
import dev.thaw.registry.InvocationStore;
import io.smallrye.common.annotation.Blocking;
import jakarta.inject.Inject;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.DELETE;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.PUT;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.container.ContainerRequestContext;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.core.StreamingOutput;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.jboss.resteasy.reactive.RestPath;
import org.jboss.resteasy.reactive.RestQuery;

/** The functions API: deploy, list, inspect, delete, logs. Needs the admin token (see {@link AuthFilter}). */
@Path("/v1/functions")
@Produces(MediaType.APPLICATION_JSON)
@Blocking
public class FunctionsResource {
    private static final ObjectMapper JSON = new ObjectMapper();

    @Inject
    DeployService deploys;

    @Inject
    FunctionRegistry registry;

    @Inject
    InvocationStore store;

    @Inject
    Invokers invokers;

    @Inject
    ThawConfig config;

    @PUT
    @Path("/{name}")
    @Consumes(MediaType.WILDCARD)
    @Operation(summary = "Deploy a new version", description = "The body is a tar.gz of function.json and the "
            + "function's files. The snapshot is built before the answer.")
    public Response deploy(@RestPath String name, byte[] bundle, @Context ContainerRequestContext request) {
        Object arrived = request.getProperty(AuthFilter.ARRIVED);
        double uploadMs = arrived instanceof Long t ? (System.nanoTime() - t) / 1e6 : 0;
        DeployService.validName(name);
        if (bundle.length > config.maxBundleBytes()) {
            throw new ApiException(413, "bundle of " + bundle.length + " bytes is larger than the limit of "
                    + config.maxBundleBytes());
        }
        DeployService.Deployed d;
        try {
            d = deploys.deploy(name, bundle);
        } catch (BuildFailure f) {
            Map<String, Object> extra = new LinkedHashMap<>();
            if (f.field() != null) {
                extra.put("field", f.field());
            }
            if (f.compiler() != null) {
                extra.put("compiler", f.compiler());
            }
            throw new ApiException(f.kind().status, f.getMessage(), extra, Map.of());
        }
        BuildOutcome b = d.build();
        Map<String, Object> build = new LinkedHashMap<>();
        build.put("upload_ms", uploadMs);
        build.put("compile_ms", b.compileMs());
        build.put("boot_ms", b.bootMs());
        build.put("snapshot_ms", b.snapshotMs());
        build.put("total_ms", b.totalMs());
        build.put("cached", b.cached());
        Map<String, Object> answer = new LinkedHashMap<>();
        answer.put("name", name);
        answer.put("version", d.version().version());
        answer.put("snapshot", b.snapshot());
        answer.put("build", build);
        answer.put("manifest", manifest(d.version()));
        return Response.status(201).entity(answer).build();
    }

    @GET
    @Operation(summary = "List functions")
    public Map<String, Object> list() {
        List<Map<String, Object>> functions = new ArrayList<>();
        for (String name : registry.names()) {
            registry.latest(name).ifPresent(v -> {
                Map<String, Object> f = new LinkedHashMap<>();
                f.put("name", name);
                f.put("latest", v.version());
                f.put("public", manifest(v).path("public").asBoolean(false));
                f.put("deployed_at", v.deployedAt().toString());
                functions.add(f);
            });
        }
        return Map.of("functions", functions);
    }

    @GET
    @Path("/{name}")
    @Operation(summary = "A function: its versions, latest manifest and warm-shell pool")
    public Map<String, Object> get(@RestPath String name) {
        List<FunctionVersion> versions = registry.versions(DeployService.validName(name));
        if (versions.isEmpty()) {
            throw new ApiException(404, "function '" + name + "' not found");
        }
        FunctionVersion latest = versions.get(versions.size() - 1);
        Map<String, Object> f = new LinkedHashMap<>();
        f.put("name", name);
        f.put("latest", latest.version());
        f.put("manifest", manifest(latest));
        List<Map<String, Object>> list = new ArrayList<>();
        for (FunctionVersion v : versions) {
            list.add(Map.of("version", v.version(), "deployed_at", v.deployedAt().toString(),
                    "bundle_sha256", v.bundleSha256(), "bundle_bytes", v.bundleSize()));
        }
        f.put("versions", list);
        invokers.pool(name).ifPresent(p -> f.put("pool", Map.of("warm_shells", p.shells(), "idle", p.idle(),
                "created", p.created(), "discarded", p.discarded(), "cold_starts", p.coldStarts(), "evictions", p.evictions())));
        return f;
    }

    @DELETE
    @Path("/{name}")
    @Operation(summary = "Delete a function and all its versions")
    public Response delete(@RestPath String name) {
        if (!deploys.delete(name)) {
            throw new ApiException(404, "function '" + name + "' not found");
        }
        return Response.noContent().build();
    }

    @GET
    @Path("/{name}/logs")
    @Produces({MediaType.APPLICATION_JSON, MediaType.SERVER_SENT_EVENTS})
    @Operation(summary = "Recent invocations' stderr and log lines; ?follow=true streams them (SSE)")
    public Response logs(@RestPath String name, @RestQuery Integer limit, @RestQuery boolean follow) {
        DeployService.validName(name);
        if (registry.latest(name).isEmpty()) {
            throw new ApiException(404, "function '" + name + "' not found");
        }
        if (follow) {
            return Response.ok(follow(name), "text/event-stream").header("Cache-Control", "no-cache").build();
        }
        int n = limit == null ? 20 : Math.max(1, Math.min(limit, 1000));
        List<Map<String, Object>> lines = new ArrayList<>();
        for (InvocationRecord r : store.recent(name, n)) {
            lines.addAll(LogLines.of(r));
        }
        return Response.ok(Map.of("logs", lines), MediaType.APPLICATION_JSON).build();
    }

    /** Streams log lines as invocations finish, until the client goes away. */
    private StreamingOutput follow(String name) {
        return out -> {
            BlockingQueue<InvocationRecord> finished = new LinkedBlockingQueue<>(10_000);
            try (AutoCloseable subscription = store.subscribe(name, finished::offer)) {
                write(out, ": following " + name + "\n\n");
                while (true) {
                    InvocationRecord r = finished.poll(15, TimeUnit.SECONDS);
                    if (r == null) {
                        write(out, ": keep-alive\n\n"); // also how a gone client is noticed
                        continue;
                    }
                    for (Map<String, Object> line : LogLines.of(r)) {
                        write(out, "data: " + JSON.writeValueAsString(line) + "\n\n");
                    }
                }
            } catch (IOException gone) {
                // the client disconnected
            } catch (Exception e) {
                Thread.currentThread().interrupt();
            }
        };
    }

    private static void write(OutputStream out, String text) throws IOException {
        out.write(text.getBytes(StandardCharsets.UTF_8));
        out.flush();
    }

    private static JsonNode manifest(FunctionVersion v) {
        try {
            return JSON.readTree(v.manifestJson());
        } catch (IOException e) {
            return JSON.createObjectNode();
        }
    }
}
