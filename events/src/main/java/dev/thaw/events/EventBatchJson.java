package dev.thaw.events;

import com.fasterxml.jackson.core.JsonEncoding;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What a trigger's function reads on stdin: a JSON array with one object per event, in
 * offset order:
 * <pre>
 * [{"topic": "orders", "partition": 0, "offset": 42, "timestamp": 1764410000000,
 *   "key": "customer-7", "value": "{\"total\": 12}", "headers": {"source": "web"}}]
 * </pre>
 * {@code key} and {@code value} are strings when the bytes are valid UTF-8, null when the
 * record had none; otherwise the field is {@code key_base64} / {@code value_base64} instead.
 * {@code headers} holds the headers whose values are UTF-8 (a key repeated: the last value
 * wins); the others are in {@code headers_base64}, present only then.
 */
public final class EventBatchJson {
    private static final JsonFactory JSON = new JsonFactory();

    private EventBatchJson() {}

    public static byte[] encode(List<TriggerEvent> events) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(256 * events.size());
        try (JsonGenerator g = JSON.createGenerator(bytes, JsonEncoding.UTF8)) {
            g.writeStartArray();
            for (TriggerEvent e : events) {
                g.writeStartObject();
                g.writeStringField("topic", e.topic());
                g.writeNumberField("partition", e.partition());
                g.writeNumberField("offset", e.offset());
                g.writeNumberField("timestamp", e.timestamp());
                bytesField(g, "key", e.key());
                bytesField(g, "value", e.value());
                Map<String, String> text = new LinkedHashMap<>();
                Map<String, String> binary = new LinkedHashMap<>();
                for (TriggerEvent.Header h : e.headers()) {
                    String value = h.value() == null ? "" : utf8(h.value());
                    if (value != null) {
                        text.put(h.key(), value);
                        binary.remove(h.key());
                    } else {
                        binary.put(h.key(), Base64.getEncoder().encodeToString(h.value()));
                        text.remove(h.key());
                    }
                }
                g.writeObjectFieldStart("headers");
                for (Map.Entry<String, String> h : text.entrySet()) {
                    g.writeStringField(h.getKey(), h.getValue());
                }
                g.writeEndObject();
                if (!binary.isEmpty()) {
                    g.writeObjectFieldStart("headers_base64");
                    for (Map.Entry<String, String> h : binary.entrySet()) {
                        g.writeStringField(h.getKey(), h.getValue());
                    }
                    g.writeEndObject();
                }
                g.writeEndObject();
            }
            g.writeEndArray();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write a batch of events as JSON", e); // in memory: never
        }
        return bytes.toByteArray();
    }

    private static void bytesField(JsonGenerator g, String name, byte[] bytes) throws IOException {
        if (bytes == null) {
            g.writeNullField(name);
            return;
        }
        String text = utf8(bytes);
        if (text != null) {
            g.writeStringField(name, text);
        } else {
            g.writeStringField(name + "_base64", Base64.getEncoder().encodeToString(bytes));
        }
    }

    /** The bytes as text if they are valid UTF-8, else null. */
    private static String utf8(byte[] bytes) {
        try {
            return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(bytes)).toString();
        } catch (CharacterCodingException e) {
            return null;
        }
    }
}
