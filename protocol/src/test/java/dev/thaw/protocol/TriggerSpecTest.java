package dev.thaw.protocol;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Instant;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class TriggerSpecTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Instant NOW = Instant.parse("2026-11-30T10:00:00Z");

    private static ObjectNode request(String json) throws Exception {
        return (ObjectNode) JSON.readTree(json);
    }

    @Test
    void missingFieldsTakeTheirDefaults() throws Exception {
        TriggerSpec spec = TriggerSpec.fromRequest(request("{\"name\": \"orders\", \"function\": \"hello\", \"topic\": \"orders.v1\"}"), NOW);
        assertEquals(new TriggerSpec("orders", "hello", "orders.v1", null, "thaw-trigger-orders", 1, 0,
                TriggerSpec.Start.LATEST, 2, null, null, NOW), spec);
    }

    @Test
    void everyFieldRoundTripsThroughItsJson() throws Exception {
        TriggerSpec spec = TriggerSpec.fromRequest(request("""
                {"name": "orders", "function": "hello", "topic": "orders", "bootstrap": "kafka-1:9092,[::1]:9093",
                 "group": "my.group_1", "batch_size": 100, "batch_window_ms": 250, "start": "earliest",
                 "max_retries": 0, "dlq": "orders.dlq", "to": "greetings"}"""), NOW);
        assertEquals(spec, TriggerSpec.fromJson(spec.toJsonBytes()));
        assertEquals("earliest", spec.toJson().get("start").asText());
        assertEquals("kafka-1:9092,[::1]:9093", spec.bootstrapOr("platform:9092"));
        assertEquals("platform:9092", TriggerSpec.fromRequest(
                request("{\"name\": \"a\", \"function\": \"b\", \"topic\": \"c\"}"), NOW).bootstrapOr("platform:9092"));
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "{\"function\": \"f\", \"topic\": \"t\"}|name|is required",
            "{\"name\": \"Bad_Name\", \"function\": \"f\", \"topic\": \"t\"}|name|'Bad_Name' is not a name",
            "{\"name\": \"n\", \"function\": 7, \"topic\": \"t\"}|function|must be a string, got number",
            "{\"name\": \"n\", \"function\": \"f\"}|topic|is required",
            "{\"name\": \"n\", \"function\": \"f\", \"topic\": \"a b\"}|topic|'a b' is not a Kafka topic name",
            "{\"name\": \"n\", \"function\": \"f\", \"topic\": \"..\"}|topic|'..' is not a Kafka topic name",
            "{\"name\": \"n\", \"function\": \"f\", \"topic\": \"\"}|topic|'' is not a Kafka topic name",
            "{\"name\": \"n\", \"function\": \"f\", \"topic\": \"__consumer_offsets\"}|topic|internal topics",
            "{\"name\": \"n\", \"function\": \"f\", \"topic\": \"t\", \"bootstrap\": \"nohost\"}|bootstrap|is not HOST:PORT",
            "{\"name\": \"n\", \"function\": \"f\", \"topic\": \"t\", \"bootstrap\": \"h:0\"}|bootstrap|is not HOST:PORT",
            "{\"name\": \"n\", \"function\": \"f\", \"topic\": \"t\", \"bootstrap\": \"h:9092,\"}|bootstrap|is not HOST:PORT",
            "{\"name\": \"n\", \"function\": \"f\", \"topic\": \"t\", \"group\": \"a/b\"}|group|not a consumer group name",
            "{\"name\": \"n\", \"function\": \"f\", \"topic\": \"t\", \"batch_size\": 0}|batch_size|from 1 to 10000",
            "{\"name\": \"n\", \"function\": \"f\", \"topic\": \"t\", \"batch_size\": 1.5}|batch_size|whole number",
            "{\"name\": \"n\", \"function\": \"f\", \"topic\": \"t\", \"batch_window_ms\": 60001}|batch_window_ms|from 0 to 60000",
            "{\"name\": \"n\", \"function\": \"f\", \"topic\": \"t\", \"max_retries\": -1}|max_retries|from 0 to 100",
            "{\"name\": \"n\", \"function\": \"f\", \"topic\": \"t\", \"start\": \"now\"}|start|'earliest' or 'latest'",
            "{\"name\": \"n\", \"function\": \"f\", \"topic\": \"t\", \"dlq\": \"t\"}|dlq|must not be the trigger's own topic",
            "{\"name\": \"n\", \"function\": \"f\", \"topic\": \"t\", \"to\": \"t\"}|to|would trigger it again",
            "{\"name\": \"n\", \"function\": \"f\", \"topic\": \"t\", \"to\": \"x\\u0000y\"}|to|'x\\u0000y' is not a Kafka topic name",
            "{\"name\": \"n\", \"function\": \"f\", \"topic\": \"t\", \"batch\": 5}|batch|unknown field",
            "{\"name\": \"n\", \"function\": \"f\", \"topic\": \"t\", \"created_at\": \"x\"}|created_at|unknown field",
    })
    void aBadFieldIsNamed(String body, String field, String reason) throws Exception {
        TriggerSpec.InvalidFieldException e = assertThrows(TriggerSpec.InvalidFieldException.class,
                () -> TriggerSpec.fromRequest(request(body), NOW));
        assertEquals(field, e.field());
        assertEquals(true, e.getMessage().startsWith("field '" + field + "': "), e.getMessage());
        assertEquals(true, e.getMessage().contains(reason), e.getMessage());
    }

    @Test
    void aTopicOfTwoHundredFortyNineCharactersIsAKafkaNameAndOneMoreIsNot() throws Exception {
        String longest = "t".repeat(249);
        assertEquals(longest, TriggerSpec.fromRequest(request("{\"name\": \"n\", \"function\": \"f\", \"topic\": \""
                + longest + "\"}"), NOW).topic());
        TriggerSpec.InvalidFieldException e = assertThrows(TriggerSpec.InvalidFieldException.class,
                () -> TriggerSpec.fromRequest(request("{\"name\": \"n\", \"function\": \"f\", \"topic\": \"" + longest
                        + "t\"}"), NOW));
        assertEquals("topic", e.field());
    }

    @Test
    void aBodyThatIsNotAnObjectIsRefusedAsAWhole() {
        TriggerSpec.InvalidFieldException e = assertThrows(TriggerSpec.InvalidFieldException.class,
                () -> TriggerSpec.fromRequest(JSON.readTree("[1]"), NOW));
        assertNull(e.field());
        assertEquals("the body must be a JSON object", e.getMessage());
    }
}
