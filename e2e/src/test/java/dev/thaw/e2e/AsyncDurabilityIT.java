package dev.thaw.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.thaw.e2e.deploy.QueriedMetrics;
import dev.thaw.invoker.testing.KvmTest;
import dev.thaw.registry.KafkaBroker;
import dev.thaw.registry.RedisServer;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Accepted async invocations survive crashes: the embedded platform killed with SIGKILL and
 * restarted, an invoker killed in the middle of the work, Kafka stopped under the gateway.
 * Every 202 ends with a result. Real processes: the platform, invokers, redis-server, Kafka.
 * The cluster gateway, run here the way deploy/k8s runs it, also serves as the one whose
 * /q/metrics must hold every series deploy/k8s's dashboard and ScaledObject query.
 */
@KvmTest
class AsyncDurabilityIT {
    private static final String TOKEN = "e2e-token";
    private static final int COUNT = 1000;
    private static final ObjectMapper JSON = new ObjectMapper();

    @RegisterExtension
    static RedisServer redis = new RedisServer();

    @RegisterExtension
    static KafkaBroker kafka = new KafkaBroker();

    @TempDir
    Path tmp;

    /** Submits {@link #COUNT} async invocations of hello from 8 clients; returns id by input. */
    private static Map<String, String> submit(String url, String token) throws Exception {
        Map<String, String> ids = new ConcurrentHashMap<>();
        ExecutorService clients = Executors.newFixedThreadPool(8);
        List<Future<?>> sent = new ArrayList<>();
        for (int i = 0; i < COUNT; i++) {
            String input = "a" + i;
            sent.add(clients.submit(() -> {
                HttpResponse<String> r = Node.HTTP.send(HttpRequest.newBuilder(URI.create(url + "/fn/hello"))
                        .header("Authorization", "Bearer " + token).header("Prefer", "respond-async")
                        .timeout(Duration.ofSeconds(30)).POST(HttpRequest.BodyPublishers.ofString(input)).build(),
                        HttpResponse.BodyHandlers.ofString());
                assertEquals(202, r.statusCode(), r.body());
                ids.put(input, JSON.readTree(r.body()).get("invocation").asText());
                return null;
            }));
        }
        for (Future<?> f : sent) {
            f.get();
        }
        clients.shutdown();
        return ids;
    }

    /** Waits until every invocation is done with hello's answer to its input. */
    private static void awaitResults(String url, String token, Map<String, String> ids, Duration within) throws Exception {
        long until = System.nanoTime() + within.toNanos();
        List<String> missing = new ArrayList<>(ids.keySet());
        while (!missing.isEmpty() && System.nanoTime() < until) {
            List<String> still = new ArrayList<>();
            for (String input : missing) {
                HttpResponse<String> r = Node.get(url + "/v1/invocations/" + ids.get(input), token);
                JsonNode record = r.statusCode() == 200 ? JSON.readTree(r.body()) : null;
                if (record == null || !record.path("state").asText().equals("done")) {
                    still.add(input);
                    continue;
                }
                assertEquals("EXITED", record.path("outcome").asText(), r.body());
                assertEquals("Hello, " + input + "!\n", record.path("stdout").asText());
            }
            missing = still;
            if (!missing.isEmpty()) {
                Thread.sleep(500);
            }
        }
        assertTrue(missing.isEmpty(), missing.size() + " of " + ids.size() + " accepted invocations have no result, e.g. "
                + missing.stream().limit(5).toList());
    }

    @Test
    void theEmbeddedPlatformKilledWithSigkillRunsEveryAcceptedInvocationAfterARestart() throws Exception {
        int port = Node.freePort();
        String url = "http://127.0.0.1:" + port;
        Path state = tmp.resolve("state");
        String token;
        Map<String, String> ids;
        try (Node first = Node.embedded("embedded-crash-1", port, "thaw.state-dir=" + state)) {
            token = Files.readString(state.resolve("admin-token")).strip();
            Node.Run deploy = Node.fn("--gateway", url, "--token", token, "deploy", Node.ROOT.resolve("functions/hello").toString());
            assertEquals(0, deploy.exitCode(), deploy.output());
            ids = submit(url, token);
            first.kill(); // SIGKILL, with most of them still pending
        }
        try (Node second = Node.embedded("embedded-crash-2", port, "thaw.state-dir=" + state)) {
            awaitResults(url, token, ids, Duration.ofMinutes(3));
        }
    }

    @Test
    void inAClusterEveryAcceptedInvocationRunsThoughAnInvokerIsKilledAndKafkaRestarts() throws Exception {
        int port = Node.freePort();
        String url = "http://127.0.0.1:" + port;
        try (Node a = Node.invoker("invoker-async-a", redis.uri(), Files.createDirectories(tmp.resolve("a")),
                     "--kafka-bootstrap", kafka.bootstrap());
             Node b = Node.invoker("invoker-async-b", redis.uri(), Files.createDirectories(tmp.resolve("b")),
                     "--kafka-bootstrap", kafka.bootstrap());
             Node gateway = Node.gateway("gateway-async", port, "thaw.redis-uri=" + redis.uri(),
                     "thaw.admin-token=" + TOKEN, "thaw.kafka.bootstrap=" + kafka.bootstrap())) {
            Node.Run deploy = Node.fn("--gateway", url, "--token", TOKEN, "deploy", Node.ROOT.resolve("functions/hello").toString());
            assertEquals(0, deploy.exitCode(), deploy.output());
            Map<String, String> ids = submit(url, TOKEN);
            a.kill(); // mid-stream: its partitions move to b, what it had not committed runs again there
            awaitResults(url, TOKEN, ids, Duration.ofMinutes(3));

            // This gateway runs as deploy/k8s runs it (Redis, Kafka, invokers consuming): every
            // series the dashboard and the KEDA ScaledObject query must be in its /q/metrics,
            // the per-function ones after a synchronous invocation.
            assertEquals(200, Node.post(url + "/fn/hello", TOKEN, "metrics").statusCode());
            QueriedMetrics.assertExportedBy(url);

            kafka.kill();
            long start = System.nanoTime();
            HttpResponse<String> refused = Node.HTTP.send(HttpRequest.newBuilder(URI.create(url + "/fn/hello"))
                    .header("Authorization", "Bearer " + TOKEN).header("Prefer", "respond-async")
                    .timeout(Duration.ofSeconds(60)).POST(HttpRequest.BodyPublishers.ofString("lost?")).build(),
                    HttpResponse.BodyHandlers.ofString());
            long ms = (System.nanoTime() - start) / 1_000_000;
            assertEquals(503, refused.statusCode(), "no 202 for what Kafka did not store: " + refused.body());
            assertTrue(ms < 20_000, "refused after " + ms + " ms");

            kafka.restart();
            Map<String, String> after = new ConcurrentHashMap<>();
            long until = System.nanoTime() + Duration.ofMinutes(2).toNanos();
            while (after.isEmpty() && System.nanoTime() < until) {
                HttpResponse<String> r = Node.HTTP.send(HttpRequest.newBuilder(URI.create(url + "/fn/hello"))
                        .header("Authorization", "Bearer " + TOKEN).header("Prefer", "respond-async")
                        .timeout(Duration.ofSeconds(60)).POST(HttpRequest.BodyPublishers.ofString("back")).build(),
                        HttpResponse.BodyHandlers.ofString());
                if (r.statusCode() == 202) {
                    after.put("back", JSON.readTree(r.body()).get("invocation").asText());
                } else {
                    Thread.sleep(500);
                }
            }
            assertEquals(1, after.size(), "the gateway stores invocations again once Kafka is back");
            awaitResults(url, TOKEN, after, Duration.ofMinutes(2));
        }
    }
}
