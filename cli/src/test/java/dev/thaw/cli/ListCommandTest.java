package dev.thaw.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** {@code fn ls}: the table of deployed functions. */
class ListCommandTest {
    private static final String FUNCTIONS = """
            {"functions": [{"name": "hello", "latest": 3, "public": false, "deployed_at": "2026-11-22T07:50:57Z"},
                           {"name": "json-transform", "latest": 12, "public": true, "deployed_at": "2026-11-22T08:01:00Z"}]}""";

    private FakeGateway gateway;

    @BeforeEach
    void start() throws IOException {
        gateway = new FakeGateway().answer("GET", "/v1/functions", 200, FUNCTIONS);
    }

    @AfterEach
    void stop() {
        gateway.close();
    }

    @Test
    void printsATable() {
        Cli.Result result = Cli.run(gateway, "ls");
        assertEquals(0, result.exit(), result.err());
        assertEquals(List.of(
                "NAME            VERSION  PUBLIC  DEPLOYED",
                "hello           3        no      2026-11-22T07:50:57Z",
                "json-transform  12       yes     2026-11-22T08:01:00Z"), result.outLines());
        assertEquals("Bearer test-token", gateway.request().header("Authorization"));
    }

    @Test
    void saysWhenThereAreNone() {
        gateway.answer("GET", "/v1/functions", 200, "{\"functions\": []}");
        assertEquals("no functions deployed\n", Cli.run(gateway, "ls").out());
    }

    @Test
    void jsonPrintsTheGatewaysAnswer() {
        assertEquals(FUNCTIONS + "\n", Cli.run(gateway, "ls", "--json").out());
    }
}
