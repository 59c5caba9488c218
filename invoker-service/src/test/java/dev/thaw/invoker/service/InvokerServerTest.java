package dev.thaw.invoker.service;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.thaw.invoker.Engine;
import dev.thaw.protocol.InvocationResult;
import dev.thaw.protocol.ResultCodec;
import dev.thaw.invoker.testing.KvmTest;
import dev.thaw.protocol.BearerSecret;
import dev.thaw.protocol.InvokerApi;
import dev.thaw.registry.LocalFunctionRegistry;
import dev.thaw.snapshotter.SnapshotStore;
import java.io.ByteArrayOutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.stream.Stream;
import java.util.zip.GZIPOutputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The invoker's HTTP server as a gateway (or an attacker on the network) meets it: without
 * the cluster secret nothing builds, runs or is forgotten; with it, the API works and the
 * gateway's deadline bounds the invocation.
 */
@KvmTest
class InvokerServerTest {
    private static final String SECRET = "cluster-secret-for-tests";
    private static final Path ROOT = Path.of(System.getProperty("thaw.root", "..")).toAbsolutePath().normalize();
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    private static Path dir;
    private static Engine engine;
    private static FunctionHost host;
    private static LocalFunctionRegistry registry;
    private static InvokerServer server;
    private static String url;
    private static byte[] bundle;

    @BeforeAll
    static void start() throws Exception {
        dir = Files.createTempDirectory("thaw-invoker-server-test");
        engine = Engine.start(1);
        registry = new LocalFunctionRegistry(dir.resolve("registry"));
        host = new FunctionHost(engine, new SnapshotStore(dir.resolve("snapshots")), registry, dir.resolve("work"));
        server = new InvokerServer(host, registry, BearerSecret.of(SECRET, "secret"), "127.0.0.1", 0, 64 << 20);
        url = "http://127.0.0.1:" + server.port();
        bundle = bundle(ROOT.resolve("unikernel-base/tests/hostile"));
    }

    @AfterAll
    static void stop() throws Exception {
        server.close();
        host.close();
        engine.close();
        SnapshotStore.delete(dir);
    }

    private static byte[] bundle(Path function) throws Exception {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (TarArchiveOutputStream tar = new TarArchiveOutputStream(new GZIPOutputStream(bytes));
             Stream<Path> files = Files.list(function)) {
            for (Path f : files.sorted().toList()) {
                byte[] content = Files.readAllBytes(f);
                TarArchiveEntry e = new TarArchiveEntry(f.getFileName().toString());
                e.setSize(content.length);
                tar.putArchiveEntry(e);
                tar.write(content);
                tar.closeArchiveEntry();
            }
        }
        return bytes.toByteArray();
    }

    private static HttpResponse<byte[]> send(String method, String path, String authorization, byte[] body,
                                             String deadlineMs) throws Exception {
        HttpRequest.Builder r = HttpRequest.newBuilder(URI.create(url + path)).timeout(Duration.ofSeconds(60))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofByteArray(body));
        if (authorization != null) {
            r.header(InvokerApi.AUTHORIZATION, authorization);
        }
        if (deadlineMs != null) {
            r.header(InvokerApi.DEADLINE_MS, deadlineMs);
        }
        return HTTP.send(r.build(), HttpResponse.BodyHandlers.ofByteArray());
    }

    private static long snapshotDirectories() throws Exception {
        try (Stream<Path> list = Files.list(dir.resolve("snapshots"))) {
            return list.filter(p -> !p.getFileName().toString().startsWith(".")).count();
        }
    }

    @Test
    void withoutTheSecretNothingBuildsRunsOrIsForgotten() throws Exception {
        assertEquals(200, send("GET", "/v1/health", null, null, null).statusCode(), "health needs no secret: probes");
        for (String wrong : new String[] {null, "Bearer wrong", "Bearer " + SECRET + "x", SECRET, "Basic " + SECRET}) {
            HttpResponse<byte[]> build = send("POST", "/v1/build/hostile", wrong, bundle, null);
            assertEquals(401, build.statusCode(), String.valueOf(wrong));
            assertTrue(new String(build.body(), UTF_8).contains("missing or invalid cluster secret"));
        }
        assertEquals(0, snapshotDirectories(), "nothing was built");
        assertEquals(0, host.pool("hostile").created(), "no VM was created");

        assertEquals(200, send("POST", "/v1/build/hostile", "Bearer " + SECRET, bundle, null).statusCode());
        String manifest = Files.readString(ROOT.resolve("unikernel-base/tests/hostile/function.json"));
        int version = registry.deploy("hostile", manifest, bundle).version();
        long created = host.pool("hostile").created();
        int idle = host.pool("hostile").idle();

        assertEquals(401, send("POST", "/v1/invoke/hostile/" + version, null, "ok".getBytes(UTF_8), null).statusCode());
        assertEquals(401, send("DELETE", "/v1/functions/hostile", "Bearer nope", null, null).statusCode());
        assertEquals(created, host.pool("hostile").created(), "the refused invocation created no VM");
        assertEquals(idle, host.pool("hostile").idle(), "the refused delete closed no shell");

        HttpResponse<byte[]> ok = send("POST", "/v1/invoke/hostile/" + version, "Bearer " + SECRET, "ok".getBytes(UTF_8), null);
        assertEquals(200, ok.statusCode());
        InvocationResult r = ResultCodec.decode(ok.body());
        assertTrue(r.ok(), r.toString());
        assertEquals("ok\n", r.stdoutText());
        assertEquals(404, send("GET", "/v1/nothing", "Bearer " + SECRET, null, null).statusCode());

        HttpResponse<byte[]> metrics = send("GET", "/v1/metrics", null, null, null);
        assertEquals(200, metrics.statusCode(), "metrics need no secret: scrapers");
        String text = new String(metrics.body(), UTF_8);
        for (String metric : new String[] {"thaw_function_in_flight", "thaw_function_queued", "thaw_function_warm_shells",
                "thaw_cold_starts_total", "thaw_shell_evictions_total"}) {
            assertTrue(text.contains(metric + "{function=\"hostile\",}") || text.contains(metric + "{function=\"hostile\"}"),
                    metric + " of hostile in:\n" + text);
        }
        assertEquals(401, send("POST", "/v1/metrics", null, null, null).statusCode(), "only GET is open");
    }

    @Test
    void theGatewaysDeadlineBoundsTheInvocation() throws Exception {
        assertEquals(200, send("POST", "/v1/build/hostile", "Bearer " + SECRET, bundle, null).statusCode());
        String manifest = Files.readString(ROOT.resolve("unikernel-base/tests/hostile/function.json"));
        int version = registry.deploy("hostile", manifest, bundle).version(); // its timeout_ms is 1000

        long start = System.nanoTime();
        HttpResponse<byte[]> r = send("POST", "/v1/invoke/hostile/" + version, "Bearer " + SECRET,
                "loop".getBytes(UTF_8), "150");
        long ms = (System.nanoTime() - start) / 1_000_000;
        assertEquals(200, r.statusCode());
        assertEquals(InvocationResult.Status.TIMEOUT, ResultCodec.decode(r.body()).status());
        assertTrue(ms < 900, "stopped after " + ms + " ms, not at the 150 ms the gateway had left");

        InvocationResult spent = ResultCodec.decode(send("POST", "/v1/invoke/hostile/" + version, "Bearer " + SECRET,
                "ok".getBytes(UTF_8), "0").body());
        assertEquals(InvocationResult.Status.TIMEOUT, spent.status(), "no time left: it does not run");
    }
}
