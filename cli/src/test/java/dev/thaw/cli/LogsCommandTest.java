package dev.thaw.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** {@code fn logs}: recent lines, and lines as they come with {@code -f}. */
class LogsCommandTest {
    /** Newest invocation first, as the gateway lists them. */
    private static final String LOGS = """
            {"logs": [
              {"invocation": "inv_b", "time": "2026-11-22T07:51:03.000Z", "version": 3, "outcome": "EXITED",
               "stream": "stderr", "line": "second: one"},
              {"invocation": "inv_b", "time": "2026-11-22T07:51:03.001Z", "version": 3, "outcome": "EXITED",
               "stream": "log", "line": "second: two"},
              {"invocation": "inv_a", "time": "2026-11-22T07:51:02.123Z", "version": 2, "outcome": "CRASHED",
               "stream": "error", "line": "guest crashed at rip=0x401a2b"}]}""";

    private static final String EVENT_1 = "{\"invocation\": \"inv_c\", \"time\": \"2026-11-22T07:52:00.000Z\", "
            + "\"version\": 3, \"outcome\": \"EXITED\", \"stream\": \"stderr\", \"line\": \"echoed 4 bytes\"}";
    private static final String EVENT_2 = "{\"invocation\": \"inv_d\", \"time\": \"2026-11-22T07:52:01.000Z\", "
            + "\"version\": 3, \"outcome\": \"EXITED\", \"stream\": \"log\", \"line\": \"cache warm\"}";

    private FakeGateway gateway;

    @BeforeEach
    void start() throws IOException {
        gateway = new FakeGateway().answer("GET", "/v1/functions/hello/logs", 200, LOGS);
    }

    @AfterEach
    void stop() {
        gateway.close();
    }

    @Test
    void printsRecentLinesOldestInvocationFirst() {
        Cli.Result result = Cli.run(gateway, "logs", "hello");
        assertEquals(0, result.exit(), result.err());
        assertEquals(List.of(
                "2026-11-22T07:51:02.123Z inv_a v2 error guest crashed at rip=0x401a2b",
                "2026-11-22T07:51:03.000Z inv_b v3 stderr second: one",
                "2026-11-22T07:51:03.001Z inv_b v3 log second: two"), result.outLines());
        assertEquals("limit=20", gateway.request().query());
    }

    @Test
    void asksForAsManyInvocationsAsTold() {
        Cli.Result result = Cli.run(gateway, "logs", "hello", "-n", "5", "--json");
        assertEquals("limit=5", gateway.request().query());
        assertEquals(LOGS + "\n", result.out());
    }

    @Test
    void followPrintsEventsAsTheyArrive() {
        gateway.route("GET", "/v1/functions/hello/logs", exchange -> {
            exchange.getResponseHeaders().set("Content-Type", "text/event-stream");
            exchange.sendResponseHeaders(200, 0);
            try (OutputStream out = exchange.getResponseBody()) {
                send(out, ": connected\n\n");
                send(out, "data: " + EVENT_1 + "\n\n");
                sleep(100);
                send(out, "event: log\nid: 2\ndata:" + EVENT_2 + "\n\n");
            }
        });
        Cli.Result result = Cli.run(gateway, "logs", "hello", "-f");
        assertEquals(0, result.exit(), result.err());
        assertEquals(List.of(
                "2026-11-22T07:52:00.000Z inv_c v3 stderr echoed 4 bytes",
                "2026-11-22T07:52:01.000Z inv_d v3 log cache warm"), result.outLines());
        FakeGateway.Request request = gateway.request();
        assertEquals("follow=true", request.query());
        assertEquals("text/event-stream", request.header("Accept"));
        assertEquals("Bearer test-token", request.header("Authorization"));
    }

    @Test
    void followWithJsonPrintsEachEventsJson() {
        gateway.route("GET", "/v1/functions/hello/logs", exchange -> {
            exchange.sendResponseHeaders(200, 0);
            try (OutputStream out = exchange.getResponseBody()) {
                send(out, "data: " + EVENT_1 + "\n\ndata: " + EVENT_2 + "\n\n");
            }
        });
        assertEquals(EVENT_1 + "\n" + EVENT_2 + "\n", Cli.run(gateway, "logs", "hello", "-f", "--json").out());
    }

    @Test
    void followOfAnUnknownFunctionIsOneLine() {
        gateway.answer("GET", "/v1/functions/nope/logs", 404, "{\"error\": \"no function named nope\"}");
        Cli.Result result = Cli.run(gateway, "logs", "nope", "-f");
        assertEquals(1, result.exit());
        assertEquals(List.of("fn: no function named nope"), result.errLines());
    }

    private static void send(OutputStream out, String text) throws IOException {
        out.write(text.getBytes(StandardCharsets.UTF_8));
        out.flush();
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
