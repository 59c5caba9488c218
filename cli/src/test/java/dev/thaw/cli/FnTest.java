package dev.thaw.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The options every subcommand shares, and how failures reach the user. */
class FnTest {
    private static final String NO_FUNCTIONS = "{\"functions\": []}";

    @TempDir
    Path home;

    private FakeGateway gateway;

    @BeforeEach
    void start() throws IOException {
        gateway = new FakeGateway().answer("GET", "/v1/functions", 200, NO_FUNCTIONS);
    }

    @AfterEach
    void stop() {
        gateway.close();
    }

    private void writeTokenFile(String content) throws IOException {
        Path state = Files.createDirectories(home.resolve(".thaw/state"));
        Files.writeString(state.resolve("admin-token"), content);
    }

    private Cli cli() {
        return new Cli().home(home).env("FN_GATEWAY", gateway.url());
    }

    @Test
    void tokenFlagWinsOverEnvironmentAndFile() throws IOException {
        writeTokenFile("from-file\n");
        cli().env("FN_TOKEN", "from-env").run("ls", "--token", "from-flag");
        assertEquals("Bearer from-flag", gateway.request().header("Authorization"));
    }

    @Test
    void environmentTokenWinsOverFile() throws IOException {
        writeTokenFile("from-file\n");
        cli().env("FN_TOKEN", "from-env").run("ls");
        assertEquals("Bearer from-env", gateway.request().header("Authorization"));
    }

    @Test
    void tokenFileIsReadTrimmedWhenNothingElseIsSet() throws IOException {
        writeTokenFile("  from-file \n");
        cli().run("ls");
        assertEquals("Bearer from-file", gateway.request().header("Authorization"));
    }

    @Test
    void noTokenAnywhereSendsNoAuthorization() {
        cli().run("ls");
        assertNull(gateway.request().header("Authorization"));
    }

    @Test
    void gatewayFlagWinsOverEnvironment() throws IOException {
        Cli.Result result = new Cli().env("FN_GATEWAY", "http://127.0.0.1:" + closedPort())
                .run("ls", "--gateway", gateway.url() + "/");
        assertEquals(0, result.exit(), result.err());
        assertEquals("/v1/functions", gateway.request().path());
    }

    @Test
    void globalOptionsMayComeBeforeTheSubcommand() {
        Cli.Result result = new Cli().run("--gateway", gateway.url(), "--json", "ls");
        assertEquals(NO_FUNCTIONS + "\n", result.out());
    }

    @Test
    void unreachableGatewayIsOneLine() throws IOException {
        String url = "http://127.0.0.1:" + closedPort();
        Cli.Result result = new Cli().env("FN_GATEWAY", url).run("ls");
        assertEquals(1, result.exit());
        assertEquals(List.of("fn: cannot reach the gateway at " + url + " (is ./fn up running?)"), result.errLines());
        assertEquals("", result.out());
    }

    @Test
    void unauthorizedSaysHowToSetTheToken() {
        gateway.answer("GET", "/v1/functions", 401, "{\"error\": \"missing or invalid token\"}");
        Cli.Result result = cli().run("ls");
        assertEquals(1, result.exit());
        assertEquals(List.of("fn: missing or invalid token (set FN_TOKEN or --token)"), result.errLines());
    }

    @Test
    void errorWithoutJsonNamesTheStatus() {
        gateway.answer("GET", "/v1/functions", 503, "Service Unavailable".getBytes(), "text/plain");
        Cli.Result result = cli().run("ls");
        assertEquals(1, result.exit());
        assertEquals(List.of("fn: the gateway answered HTTP 503"), result.errLines());
    }

    @Test
    void invalidGatewayUrlIsOneLine() {
        Cli.Result result = new Cli().run("ls", "--gateway", "localhost:8080");
        assertEquals(1, result.exit());
        assertEquals(List.of("fn: invalid gateway URL 'localhost:8080' (expected http://HOST:PORT)"),
                result.errLines());
    }

    @Test
    void usageErrorsExitWithTwo() {
        assertEquals(2, cli().run("invoke").exit());
        assertEquals(2, cli().run("frobnicate").exit());
        assertEquals(2, cli().run().exit());
        assertTrue(gateway.requests().isEmpty());
    }

    @Test
    void everySubcommandHasHelp() {
        Cli.Result result = cli().run("deploy", "--help");
        assertEquals(0, result.exit());
        assertTrue(result.out().startsWith("Usage: fn deploy"), result.out());
    }

    /** A port nothing listens on: bound by the system, then released. */
    static int closedPort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }
}
