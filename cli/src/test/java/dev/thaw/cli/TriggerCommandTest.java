package dev.thaw.cli;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** {@code fn trigger create|ls|rm}: what is sent, and what the user reads. */
class TriggerCommandTest {
    private static final String CREATED = """
            {"name": "clicks", "function": "count", "topic": "clicks", "bootstrap": null, "group": "thaw-trigger-clicks",
             "batch_size": 100, "batch_window_ms": 50, "start": "earliest", "max_retries": 2, "dlq": "clicks-dlq",
             "to": null, "created_at": "2026-11-29T17:00:00Z"}""";
    private static final String LISTED = """
            {"triggers": [
              {"name": "clicks", "function": "count", "topic": "clicks", "status": {"state": "running", "error": null,
               "last_error": null, "last_error_at": null, "lag": 15, "partitions": [
                 {"partition": 0, "end_offset": 100, "committed_offset": 88, "lag": 12},
                 {"partition": 1, "end_offset": 50, "committed_offset": 47, "lag": 3}]}},
              {"name": "orders", "function": "bill", "topic": "orders", "status": {"state": "error",
               "error": "topic 'orders' does not exist on 127.0.0.1:9092", "last_error": "topic 'orders' does not exist on 127.0.0.1:9092",
               "lag": null, "partitions": []}}]}""";

    private FakeGateway gateway;

    @BeforeEach
    void start() throws IOException {
        gateway = new FakeGateway().answer("POST", "/v1/triggers", 201, CREATED)
                .answer("GET", "/v1/triggers", 200, LISTED)
                .answer("DELETE", "/v1/triggers/clicks", 204, null);
    }

    @AfterEach
    void stop() {
        gateway.close();
    }

    @Test
    void createSendsTheOptionsAsSnakeCaseFieldsAndLeavesOutTheOthers() throws Exception {
        Cli.Result result = Cli.run(gateway, "trigger", "create", "clicks", "--function", "count", "--topic", "clicks",
                "--batch-size", "100", "--batch-window-ms", "50", "--start", "earliest", "--dlq", "clicks-dlq");
        assertEquals(0, result.exit(), result.err());
        assertEquals("created trigger clicks: clicks -> count (group thaw-trigger-clicks, batches of up to 100, start earliest, "
                + "dead letters to clicks-dlq)\n", result.out());
        assertEquals(new ObjectMapper().readTree("""
                {"name": "clicks", "function": "count", "topic": "clicks", "batch_size": 100, "batch_window_ms": 50,
                 "start": "earliest", "dlq": "clicks-dlq"}"""), new ObjectMapper().readTree(new String(gateway.request().body(), UTF_8)));
        assertEquals("Bearer test-token", gateway.request().header("Authorization"));
    }

    @Test
    void aRefusedFieldIsOneLineNamingIt() {
        gateway.answer("POST", "/v1/triggers", 400,
                "{\"error\": \"field 'topic': 'a b' is not a Kafka topic name\", \"field\": \"topic\"}");
        Cli.Result result = Cli.run(gateway, "trigger", "create", "t", "--function", "f", "--topic", "a b");
        assertEquals(1, result.exit());
        assertEquals(List.of("fn: field 'topic': 'a b' is not a Kafka topic name (field topic)"), result.errLines());
    }

    @Test
    void lsShowsStateLagPerPartitionAndTheError() {
        Cli.Result result = Cli.run(gateway, "trigger", "ls");
        assertEquals(0, result.exit(), result.err());
        assertEquals(List.of(
                "NAME    FUNCTION  TOPIC   STATE    LAG       LAST ERROR",
                "clicks  count     clicks  running  0:12 1:3  -",
                "orders  bill      orders  error    ?         topic 'orders' does not exist on 127.0.0.1:9092"),
                result.outLines());
        assertEquals(LISTED + "\n", Cli.run(gateway, "trigger", "ls", "--json").out());
    }

    @Test
    void rmDeletesIt() {
        Cli.Result result = Cli.run(gateway, "trigger", "rm", "clicks");
        assertEquals(0, result.exit(), result.err());
        assertEquals("removed trigger clicks\n", result.out());
        assertEquals("DELETE", gateway.request().method());
        assertEquals(1, Cli.run(gateway, "trigger", "rm", "Bad").exit());
    }
}
