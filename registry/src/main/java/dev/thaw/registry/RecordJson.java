package dev.thaw.registry;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;

import java.io.IOException;

/**
 * The JSON form in which records ({@link InvocationRecord}, {@link InvokerInfo}) are stored
 * and exchanged between processes: snake_case keys, instants as ISO-8601 strings, byte
 * arrays as base64. Unknown keys are ignored when reading, so a newer writer can add fields
 * while older readers still run.
 */
public final class RecordJson {
    private static final ObjectMapper MAPPER = new ObjectMapper()
            .registerModule(new JavaTimeModule())
            .setPropertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
            .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS)
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

    private RecordJson() {}

    /** UTF-8 JSON of {@code record}. */
    public static byte[] encode(Record record) {
        try {
            return MAPPER.writeValueAsBytes(record);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("cannot encode " + record.getClass().getSimpleName() + " as JSON", e);
        }
    }

    /** Reads a record of {@code type}; IllegalArgumentException if {@code json} is not one. */
    public static <T extends Record> T decode(byte[] json, Class<T> type) {
        try {
            return MAPPER.readValue(json, type);
        } catch (IOException e) {
            // Jackson's own message repeats the whole input location; the original one says what was wrong.
            String why = e instanceof JsonProcessingException j ? j.getOriginalMessage() : e.getMessage();
            throw new IllegalArgumentException("not a valid " + type.getSimpleName() + " in JSON: " + why, e);
        }
    }
}
