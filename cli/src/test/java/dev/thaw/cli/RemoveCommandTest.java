package dev.thaw.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** {@code fn rm}. */
class RemoveCommandTest {
    private FakeGateway gateway;

    @BeforeEach
    void start() throws IOException {
        gateway = new FakeGateway().answer("DELETE", "/v1/functions/hello", 204, null);
    }

    @AfterEach
    void stop() {
        gateway.close();
    }

    @Test
    void deletesTheFunction() {
        Cli.Result result = Cli.run(gateway, "rm", "hello");
        assertEquals(0, result.exit(), result.err());
        assertEquals("removed hello\n", result.out());
        assertEquals("DELETE", gateway.request().method());
        assertEquals("/v1/functions/hello", gateway.request().path());
    }

    @Test
    void anUnknownFunctionIsOneLine() {
        gateway.answer("DELETE", "/v1/functions/hello", 404, "{\"error\": \"no function named hello\"}");
        Cli.Result result = Cli.run(gateway, "rm", "hello");
        assertEquals(1, result.exit());
        assertEquals(List.of("fn: no function named hello"), result.errLines());
        assertEquals("", result.out());
    }
}
