package dev.thaw.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.thaw.invoker.testing.KvmTest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Python and Lua functions as a user makes them: fn init --runtime, fn deploy, HTTP through
 * the embedded gateway; a handler that raises answers 502 with its traceback.
 */
@KvmTest
class RuntimesIT {
    @TempDir
    Path tmp;

    @Test
    void startersDeployAndAnswerAndAHandlerThatRaisesGivesA502WithItsTraceback() throws Exception {
        int port = Node.freePort();
        String url = "http://127.0.0.1:" + port;
        Path state = Files.createDirectories(tmp.resolve("state"));
        try (Node platform = Node.embedded("embedded-runtimes", port, "thaw.state-dir=" + state)) {
            String token = Files.readString(state.resolve("admin-token")).strip();
            for (String runtime : new String[] {"python", "lua"}) {
                String name = runtime + "-starter";
                Node.Run init = Node.fn("init", "--runtime", runtime, "--dir", tmp.toString(), name);
                assertEquals(0, init.exitCode(), init.output());
                Node.Run deploy = Node.fn("--gateway", url, "--token", token, "deploy", tmp.resolve(name).toString());
                assertEquals(0, deploy.exitCode(), deploy.output());
                assertTrue(deploy.output().contains("deployed " + name + " version 1"), deploy.output());
                HttpResponse<String> r = Node.post(url + "/fn/" + name, token, "Thaw");
                assertEquals(200, r.statusCode(), r.body());
                assertEquals("Hello, Thaw!\n", r.body());
            }

            Path probe = Node.ROOT.resolve("functions/src/test/functions/python-probe");
            Node.Run deploy = Node.fn("--gateway", url, "--token", token, "deploy", probe.toString());
            assertEquals(0, deploy.exitCode(), deploy.output());
            HttpResponse<String> failed = Node.post(url + "/fn/python-probe", token, "raise over HTTP");
            assertEquals(502, failed.statusCode(), failed.body());
            assertTrue(failed.body().contains("\"exit_code\":1"), failed.body());
            assertTrue(failed.body().contains("Traceback (most recent call last):")
                    && failed.body().contains("ValueError: asked to fail: over HTTP"), failed.body());
        }
    }
}
