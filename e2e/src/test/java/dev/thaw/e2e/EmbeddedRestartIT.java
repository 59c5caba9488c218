package dev.thaw.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.thaw.invoker.testing.KvmTest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The embedded default (what ./fn up runs), restarted on the same state, keeps its functions and token. */
@KvmTest
class EmbeddedRestartIT {
    @TempDir
    Path state;

    @Test
    void aRestartedEmbeddedGatewayKeepsItsFunctions() throws Exception {
        int port = Node.freePort();
        String url = "http://127.0.0.1:" + port;
        String token;
        try (Node first = Node.embedded("gateway-embedded-1", port, "thaw.state-dir=" + state)) {
            token = Files.readString(state.resolve("admin-token")).strip();
            Node.Run deploy = Node.fn("--gateway", url, "--token", token, "deploy", Node.ROOT.resolve("functions/hello").toString());
            assertEquals(0, deploy.exitCode(), deploy.output());
            assertEquals("Hello, first!\n", Node.post(url + "/fn/hello", token, "first").body());
        }
        try (Node second = Node.embedded("gateway-embedded-2", port, "thaw.state-dir=" + state)) {
            assertEquals(token, Files.readString(state.resolve("admin-token")).strip(), "the token survives");
            HttpResponse<String> list = Node.get(url + "/v1/functions", token);
            assertEquals(200, list.statusCode());
            assertTrue(list.body().contains("\"name\":\"hello\""), list.body());
            HttpResponse<String> r = Node.post(url + "/fn/hello", token, "again");
            assertEquals(200, r.statusCode(), r.body());
            assertEquals("Hello, again!\n", r.body());
            Node.Run invoke = Node.fn("--gateway", url, "--token", token, "invoke", "hello", "-d", "cli");
            assertEquals(0, invoke.exitCode(), invoke.output());
            assertTrue(invoke.output().contains("Hello, cli!"), invoke.output());
        }
    }
}
