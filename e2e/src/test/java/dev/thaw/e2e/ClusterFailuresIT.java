package dev.thaw.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.thaw.invoker.testing.KvmTest;
import dev.thaw.registry.RedisServer;
import java.io.ByteArrayOutputStream;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.zip.GZIPOutputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * A cluster failing in the ways clusters fail: an invoker dies in the middle of an
 * invocation, a delete and redeploy meets a gateway with stale caches, Redis freezes and
 * dies. Real processes: redis-server, invokers, gateways.
 */
@KvmTest
class ClusterFailuresIT {
    private static final String TOKEN = "e2e-token";

    @RegisterExtension
    static RedisServer redis = new RedisServer();

    @TempDir
    Path tmp;

    private Node gateway(String name, int port) throws Exception {
        return Node.gateway(name, port, "thaw.redis-uri=" + redis.uri(), "thaw.admin-token=" + TOKEN);
    }

    private static byte[] bundle(String manifest, String source) throws Exception {
        Map<String, String> files = new TreeMap<>(Map.of("function.json", manifest, "main.c", source));
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (TarArchiveOutputStream tar = new TarArchiveOutputStream(new GZIPOutputStream(bytes))) {
            for (Map.Entry<String, String> f : files.entrySet()) {
                byte[] content = f.getValue().getBytes(StandardCharsets.UTF_8);
                TarArchiveEntry e = new TarArchiveEntry(f.getKey());
                e.setSize(content.length);
                tar.putArchiveEntry(e);
                tar.write(content);
                tar.closeArchiveEntry();
            }
        }
        return bytes.toByteArray();
    }

    private static HttpResponse<String> deploy(String url, String name, byte[] bundle) throws Exception {
        return Node.HTTP.send(HttpRequest.newBuilder(URI.create(url + "/v1/functions/" + name))
                .header("Authorization", "Bearer " + TOKEN).timeout(Duration.ofSeconds(60))
                .PUT(HttpRequest.BodyPublishers.ofByteArray(bundle)).build(), HttpResponse.BodyHandlers.ofString());
    }

    private static HttpResponse<String> delete(String url, String name) throws Exception {
        return Node.HTTP.send(HttpRequest.newBuilder(URI.create(url + "/v1/functions/" + name))
                .header("Authorization", "Bearer " + TOKEN).DELETE().build(), HttpResponse.BodyHandlers.ofString());
    }

    private static int inFlight(String invokerUrl) throws Exception {
        String body = Node.HTTP.send(HttpRequest.newBuilder(URI.create(invokerUrl + "/v1/health")).build(),
                HttpResponse.BodyHandlers.ofString()).body();
        return Integer.parseInt(body.replaceAll(".*\"in_flight\":(\\d+).*", "$1"));
    }

    @Test
    void anInvokerKilledInTheMiddleOfAnInvocationIsRetriedOnAnother() throws Exception {
        int port = Node.freePort();
        String url = "http://127.0.0.1:" + port;
        try (Node a = Node.invoker("invoker-a", redis.uri(), Files.createDirectories(tmp.resolve("a")));
             Node b = Node.invoker("invoker-b", redis.uri(), Files.createDirectories(tmp.resolve("b")));
             Node g = gateway("gateway-retry", port)) {
            assertEquals(201, deploy(url, "sleeper", bundle("{\"name\": \"sleeper\", \"memory_mb\": 16, \"timeout_ms\": 10000}",
                    "#include <stdio.h>\n#include <time.h>\nint main(void){char b[32]={0};fread(b,1,31,stdin);"
                            + "struct timespec t={1,500000000};nanosleep(&t,0);printf(\"slept %s\\n\",b);return 0;}\n"))
                    .statusCode());
            for (int round = 0; round < 2; round++) { // the first round may include building on the chosen invoker
                CompletableFuture<HttpResponse<String>> call = Node.postAsync(url + "/fn/sleeper", TOKEN, "r" + round);
                Node running = null;
                long until = System.nanoTime() + 20_000_000_000L;
                while (running == null && System.nanoTime() < until) {
                    if (inFlight(a.announcedUrl()) > 0) {
                        running = a;
                    } else if (inFlight(b.announcedUrl()) > 0) {
                        running = b;
                    }
                    Thread.sleep(20);
                }
                assertTrue(running != null, "no invoker ran the invocation");
                if (round == 1) {
                    Thread.sleep(300); // inside the function's sleep
                    running.kill();
                    HttpResponse<String> r = call.join();
                    assertEquals(200, r.statusCode(), r.body());
                    assertEquals("slept r1\n", r.body(), "the other invoker ran it again");
                } else {
                    assertEquals(200, call.join().statusCode());
                }
            }
        }
    }

    @Test
    void aDeleteAndRedeployCannotExposeThePrivateCodeThroughAGatewayWithStaleCaches() throws Exception {
        int portA = Node.freePort();
        int portB = Node.freePort();
        String a = "http://127.0.0.1:" + portA;
        String b = "http://127.0.0.1:" + portB;
        try (Node invoker = Node.invoker("invoker-1", redis.uri(), Files.createDirectories(tmp.resolve("i")));
             Node gatewayA = gateway("gateway-a", portA);
             Node gatewayB = gateway("gateway-b", portB)) {
            String publicManifest = "{\"name\": \"shadow\", \"memory_mb\": 16, \"public\": true}";
            String privateManifest = "{\"name\": \"shadow\", \"memory_mb\": 16}";
            String program = "#include <stdio.h>\nint main(void){getchar();puts(\"%s\");return 0;}\n";
            HttpResponse<String> first = deploy(a, "shadow", bundle(publicManifest, program.formatted("open data")));
            assertTrue(first.body().contains("\"version\":1"), first.body());
            assertEquals("open data\n", Node.post(b + "/fn/shadow@1", null, "x").body(), "gateway B caches shadow@1 as public");

            assertEquals(204, delete(a, "shadow").statusCode());
            HttpResponse<String> again = deploy(a, "shadow", bundle(privateManifest, program.formatted("SECRET")));
            assertEquals(201, again.statusCode(), again.body());
            assertTrue(again.body().contains("\"version\":2"), "a number is never reused: " + again.body());

            for (String target : new String[] {"shadow@1", "shadow@2", "shadow"}) {
                HttpResponse<String> r = Node.post(b + "/fn/" + target, null, "x");
                assertFalse(r.body().contains("SECRET"), target + " without a token on the stale gateway: " + r.body());
            }
            assertEquals(401, Node.post(b + "/fn/shadow@2", null, "x").statusCode());
            assertEquals("SECRET\n", Node.post(b + "/fn/shadow@2", TOKEN, "x").body());
        }
    }

    @Test
    void aFrozenThenKilledRedisGetsBoundedAnswersAndTheGatewayRecovers() throws Exception {
        int port = Node.freePort();
        String url = "http://127.0.0.1:" + port;
        try (Node invoker = Node.invoker("invoker-r", redis.uri(), Files.createDirectories(tmp.resolve("r")));
             Node g = gateway("gateway-redis", port)) {
            Node.Run deploy = Node.fn("--gateway", url, "--token", TOKEN, "deploy", Node.ROOT.resolve("functions/hello").toString());
            assertEquals(0, deploy.exitCode(), deploy.output());
            assertEquals(200, Node.post(url + "/fn/hello", TOKEN, "warm").statusCode());

            redis.pause();
            try {
                for (int i = 0; i < 5; i++) {
                    long start = System.nanoTime();
                    int status = Node.post(url + "/fn/hello", TOKEN, "frozen " + i).statusCode();
                    long ms = (System.nanoTime() - start) / 1_000_000;
                    assertTrue(status == 200 || status == 503, "status " + status);
                    assertTrue(ms < 6_000, "answered after " + ms + " ms with Redis frozen");
                    assertEquals(503, Node.get(url + "/v1/functions", TOKEN).statusCode(), "listing needs Redis");
                }
            } finally {
                redis.resume();
            }
            awaitStatus(url + "/fn/hello", 200, "after Redis thawed");

            redis.kill();
            for (int i = 0; i < 5; i++) {
                long start = System.nanoTime();
                int status = Node.get(url + "/v1/functions", TOKEN).statusCode();
                long ms = (System.nanoTime() - start) / 1_000_000;
                assertEquals(503, status);
                assertTrue(ms < 3_000, "answered after " + ms + " ms with Redis dead");
            }
            redis.restart(); // empty: the test server keeps nothing on disk
            long until = System.nanoTime() + 30_000_000_000L;
            Node.Run redeploy;
            do {
                Thread.sleep(200);
                redeploy = Node.fn("--gateway", url, "--token", TOKEN, "deploy", Node.ROOT.resolve("functions/hello").toString());
            } while (redeploy.exitCode() != 0 && System.nanoTime() < until);
            assertEquals(0, redeploy.exitCode(), "the gateway and the invoker reconnect: " + redeploy.output());
            awaitStatus(url + "/fn/hello", 200, "after Redis came back");
        }
    }

    private static void awaitStatus(String url, int expected, String when) throws Exception {
        long until = System.nanoTime() + 30_000_000_000L;
        int status;
        do {
            status = Node.post(url, TOKEN, "again").statusCode();
            if (status == expected) {
                return;
            }
            Thread.sleep(100);
        } while (System.nanoTime() < until);
        assertEquals(expected, status, when);
    }
}
