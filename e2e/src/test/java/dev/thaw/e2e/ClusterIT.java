package dev.thaw.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.thaw.invoker.testing.KvmTest;
import dev.thaw.registry.RedisServer;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Many nodes: a real redis-server, two invoker processes and a gateway in cluster mode. A
 * function deployed through the fn CLI keeps answering over HTTP after an invoker is killed.
 */
@KvmTest
class ClusterIT {
    private static final String TOKEN = "e2e-token";

    @RegisterExtension
    static RedisServer redis = new RedisServer();

    @TempDir
    Path tmp;

    @Test
    void invocationsKeepSucceedingWhenAnInvokerDies() throws Exception {
        int port = Node.freePort();
        String url = "http://127.0.0.1:" + port;
        try (Node a = Node.invoker("invoker-a", redis.uri(), Files.createDirectories(tmp.resolve("a")));
             Node b = Node.invoker("invoker-b", redis.uri(), Files.createDirectories(tmp.resolve("b")));
             Node gateway = Node.gateway("gateway-cluster", port, "thaw.redis-uri=" + redis.uri(),
                     "thaw.admin-token=" + TOKEN)) {
            Node.Run deploy = Node.fn("--gateway", url, "--token", TOKEN, "deploy", Node.ROOT.resolve("functions/hello").toString());
            assertEquals(0, deploy.exitCode(), deploy.output());
            assertTrue(deploy.output().contains("deployed hello version 1"), deploy.output());

            for (int i = 0; i < 20; i++) {
                HttpResponse<String> r = Node.post(url + "/fn/hello", TOKEN, "before " + i);
                assertEquals(200, r.statusCode(), r.body());
                assertEquals("Hello, before " + i + "!\n", r.body());
            }
            a.kill(); // hello's first choice or not: either way, one of two invokers is gone
            for (int i = 0; i < 50; i++) {
                HttpResponse<String> r = Node.post(url + "/fn/hello", TOKEN, "after " + i);
                assertEquals(200, r.statusCode(), "invocation " + i + " after the kill: " + r.body());
                assertEquals("Hello, after " + i + "!\n", r.body());
            }
            b.kill();
            HttpResponse<String> none = Node.post(url + "/fn/hello", TOKEN, "nobody");
            assertEquals(503, none.statusCode(), none.body());
        }
    }
}
