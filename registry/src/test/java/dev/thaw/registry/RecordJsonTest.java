package dev.thaw.registry;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.thaw.registry.InvocationRecord.State;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.Base64;
import java.util.List;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class RecordJsonTest {
    private static final Instant SEEN = Instant.parse("2026-11-22T07:50:57.123456Z");

    @Test
    void invocationRecordRoundTripsWithReadableFields() throws Exception {
        byte[] stdout = {0, (byte) 0xff, 'h', 'i'};
        InvocationRecord record = new InvocationRecord("inv_1", "hello", 2, State.RUNNING, "", 0, "", stdout,
                new byte[0], List.of("a log line"), true, 10, 0, SEEN, null, false);

        byte[] json = RecordJson.encode(record);

        JsonNode tree = new ObjectMapper().readTree(json);
        assertEquals("2026-11-22T07:50:57.123456Z", tree.get("created_at").asText());
        assertTrue(tree.get("finished_at").isNull());
        assertEquals(Base64.getEncoder().encodeToString(stdout), tree.get("stdout").asText());
        assertEquals(10, tree.get("queue_micros").asLong());
        InvocationStoreContract.assertSameRecord(record, RecordJson.decode(json, InvocationRecord.class));
    }

    @Test
    void invokerInfoRoundTripsAndIgnoresKeysItDoesNotKnow() {
        InvokerInfo invoker = new InvokerInfo("inv-1", "http://127.0.0.1:9001", 4, 2, SEEN);
        assertEquals(invoker, RecordJson.decode(RecordJson.encode(invoker), InvokerInfo.class));

        String newer = """
                {"id":"inv-1","url":"http://127.0.0.1:9001","capacity":4,"in_flight":2,
                 "seen":"2026-11-22T07:50:57.123456Z","zone":"a later field"}""";
        assertEquals(invoker, RecordJson.decode(newer.getBytes(UTF_8), InvokerInfo.class));
    }

    @Test
    void malformedJsonIsRefusedWithTheType() {
        IllegalArgumentException refused = assertThrows(IllegalArgumentException.class,
                () -> RecordJson.decode("{\"id\":".getBytes(UTF_8), InvokerInfo.class));
        assertTrue(refused.getMessage().startsWith("not a valid InvokerInfo in JSON"), refused.getMessage());
    }
}
