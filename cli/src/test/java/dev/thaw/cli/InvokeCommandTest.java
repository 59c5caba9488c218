package dev.thaw.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code fn invoke}: the request it sends and the bytes, headers and errors it prints. */
class InvokeCommandTest {
    /** A response that is not UTF-8: NUL, 0xff, a lone continuation byte, and a newline. */
    private static final byte[] BINARY = {0, (byte) 0xff, (byte) 0xfe, 'h', (byte) 0x80, '\n'};

    private FakeGateway gateway;

    @BeforeEach
    void start() throws IOException {
        gateway = new FakeGateway().answer("POST", "/fn/hello", 200, BINARY, "application/octet-stream",
                "Thaw-Invocation-Id", "inv_1", "Thaw-Version", "3", "Thaw-Warm", "true",
                "Thaw-Queue-Ms", "0.02", "Thaw-Run-Ms", "0.04");
    }

    @AfterEach
    void stop() {
        gateway.close();
    }

    private Cli cli() {
        return new Cli().env("FN_GATEWAY", gateway.url()).env("FN_TOKEN", "test-token");
    }

    @Test
    void writesTheResponseBytesUntouched() {
        Cli.Result result = cli().run("invoke", "hello", "-d", "Ada");
        assertEquals(0, result.exit(), result.err());
        assertArrayEquals(BINARY, result.stdout());
        assertEquals("", result.out());
        assertEquals("", result.err());
    }

    @Test
    void sendsDataAsTheBody() {
        cli().run("invoke", "hello", "-d", "Ada Lovelace");
        FakeGateway.Request request = gateway.request();
        assertEquals("POST", request.method());
        assertEquals("/fn/hello", request.path());
        assertEquals("Bearer test-token", request.header("Authorization"));
        assertNull(request.header("Prefer"));
        assertEquals("Ada Lovelace", request.text());
    }

    @Test
    void sendsAFileAsTheBody(@TempDir Path dir) throws IOException {
        Path file = dir.resolve("request.bin");
        Files.write(file, BINARY);
        cli().run("invoke", "hello", "-f", file.toString());
        assertArrayEquals(BINARY, gateway.request().body());
    }

    @Test
    void sendsStdinWhenItIsNotATerminal() {
        cli().stdin(BINARY).run("invoke", "hello");
        assertArrayEquals(BINARY, gateway.request().body());
    }

    @Test
    void sendsNothingWhenStdinIsATerminal() {
        cli().interactive().stdin("typed by nobody".getBytes()).run("invoke", "hello");
        assertEquals(0, gateway.request().body().length);
    }

    @Test
    void dataWinsOverStdin() {
        cli().stdin("from stdin".getBytes()).run("invoke", "hello", "-d", "from -d");
        assertEquals("from -d", gateway.request().text());
    }

    @Test
    void invokesAVersion() {
        gateway.answer("POST", "/fn/hello@2", 200, "v2".getBytes(), "application/octet-stream");
        Cli.Result result = cli().run("invoke", "hello@2");
        assertEquals("v2", new String(result.stdout(), StandardCharsets.UTF_8));
        assertEquals("/fn/hello@2", gateway.request().path());
    }

    @Test
    void asyncAsksForAnAnswerLaterAndPrintsTheInvocation() {
        String queued = "{\"invocation\": \"inv_7\", \"state\": \"queued\"}";
        gateway.answer("POST", "/fn/hello", 202, queued, "Location", "/v1/invocations/inv_7");
        Cli.Result result = cli().run("invoke", "hello", "--async", "-d", "x");
        assertEquals(0, result.exit(), result.err());
        assertEquals("inv_7\n", result.out());
        assertEquals("respond-async", gateway.requests().getFirst().header("Prefer"));

        assertEquals(queued + "\n", cli().run("invoke", "hello", "--async", "--json").out());
    }

    @Test
    void verbosePrintsTheThawHeadersToStderr() {
        Cli.Result result = cli().run("invoke", "hello", "-v");
        assertArrayEquals(BINARY, result.stdout());
        assertEquals(List.of("Thaw-Invocation-Id: inv_1", "Thaw-Queue-Ms: 0.02", "Thaw-Run-Ms: 0.04",
                "Thaw-Version: 3", "Thaw-Warm: true"), result.errLines());
    }

    @Test
    void aFailedFunctionPrintsTheErrorThenItsStderr() {
        gateway.answer("POST", "/fn/hello", 502, """
                {"error": "function exited with status 1", "exit_code": 1,
                 "stderr": "opening config\\nno config: giving up\\n", "invocation": "inv_2"}""",
                "Thaw-Invocation-Id", "inv_2");
        Cli.Result result = cli().run("invoke", "hello", "-v");
        assertEquals(1, result.exit());
        assertEquals("Thaw-Invocation-Id: inv_2\n"
                + "fn: function exited with status 1\n"
                + "opening config\nno config: giving up\n", result.err());
        assertEquals(0, result.stdout().length);
    }

    @Test
    void aTimeoutIsOneLine() {
        gateway.answer("POST", "/fn/hello", 504,
                "{\"error\": \"ran longer than its timeout of 1000 ms and was stopped\", \"invocation\": \"inv_3\"}");
        Cli.Result result = cli().run("invoke", "hello");
        assertEquals(1, result.exit());
        assertEquals(List.of("fn: ran longer than its timeout of 1000 ms and was stopped"), result.errLines());
    }

    @Test
    void anUnknownFunctionIsOneLine() {
        gateway.answer("POST", "/fn/nope", 404, "{\"error\": \"no function named nope\"}");
        Cli.Result result = cli().run("invoke", "nope");
        assertEquals(1, result.exit());
        assertEquals(List.of("fn: no function named nope"), result.errLines());
    }

    @Test
    void anInvalidTargetIsRefusedBeforeSending() {
        Cli.Result result = cli().run("invoke", "Hello@x");
        assertEquals(1, result.exit());
        assertEquals(List.of("fn: invalid function 'Hello@x' (expected NAME or NAME@VERSION)"), result.errLines());
        assertTrue(gateway.requests().isEmpty());
    }

    @Test
    void aMissingFileIsOneLine() {
        Cli.Result result = cli().run("invoke", "hello", "-f", "/nonexistent/request.json");
        assertEquals(List.of("fn: cannot read /nonexistent/request.json: no such file or directory"),
                result.errLines());
        assertTrue(gateway.requests().isEmpty());
    }

    @Test
    void dataAndFileTogetherIsAUsageError() {
        assertEquals(2, cli().run("invoke", "hello", "-d", "x", "-f", "y").exit());
        assertTrue(gateway.requests().isEmpty());
    }
}
