package dev.thaw.protocol;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.Iterator;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * A Kafka trigger: the events of {@code topic} run {@code function}, in batches, in the
 * trigger's own consumer group. The one definition of its fields, their defaults and their
 * rules, and of its JSON (the API's body and answer, and what the registries store).
 *
 * @param bootstrap     host:port[,host:port...] of the topic's cluster; null: the platform's own
 * @param group         the consumer group; {@code thaw-trigger-<name>} unless given
 * @param batchSize     the function gets a JSON array of up to this many events
 * @param batchWindowMs how long a batch waits to fill up; 0: it takes what has arrived
 * @param start         where a group without committed offsets begins
 * @param maxRetries    tries of a failing batch after its first, with backoff, before it is split
 * @param dlq           where an event that fails alone goes, with its error in headers; null:
 *                      its partition waits on it (tried again with backoff) until it passes or
 *                      the trigger is replaced
 * @param to            where each batch's stdout goes as a record (a sink); null: nowhere
 */
public record TriggerSpec(String name, String function, String topic, String bootstrap, String group, int batchSize,
                          int batchWindowMs, Start start, int maxRetries, String dlq, String to, Instant createdAt) {
    public static final int DEFAULT_BATCH_SIZE = 1;
    public static final int MAX_BATCH_SIZE = 10_000;
    public static final int MAX_BATCH_WINDOW_MS = 60_000;
    public static final int DEFAULT_MAX_RETRIES = 2;
    public static final int MAX_MAX_RETRIES = 100;
    /** Kafka's rule for topic names (its {@code Topic.validate}), which group names here follow too. */
    private static final Pattern KAFKA_NAME = Pattern.compile("[a-zA-Z0-9._-]{1,249}");
    private static final String KAFKA_RULE = "1 to 249 characters of ASCII letters, digits, '.', '_' and '-', not '.' or '..'";
    private static final Pattern BOOTSTRAP = Pattern.compile(
            "(?:[A-Za-z0-9](?:[A-Za-z0-9.-]{0,252})|\\[[0-9A-Fa-f:.]{2,45}\\]):([0-9]{1,5})");
    private static final Set<String> FIELDS = Set.of("name", "function", "topic", "bootstrap", "group", "batch_size",
            "batch_window_ms", "start", "max_retries", "dlq", "to", "created_at");
    private static final ObjectMapper JSON = new ObjectMapper();

    /** Where a consumer group without committed offsets begins. */
    public enum Start {
        /** The oldest event the topic still holds. */
        EARLIEST,
        /** Events produced after the group first joined. */
        LATEST;

        public String text() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /** A field that breaks its rule; {@link #field()} names it as the API spells it (null: the whole body). */
    public static final class InvalidFieldException extends Exception {
        private static final long serialVersionUID = 1L;
        private final String field;

        public InvalidFieldException(String field, String reason) {
            super(field == null ? reason : "field '" + field + "': " + reason);
            this.field = field;
        }

        public String field() {
            return field;
        }
    }

    /** The default consumer group of a trigger. */
    public static String defaultGroup(String name) {
        return "thaw-trigger-" + name;
    }

    /**
     * A new trigger from the API's JSON object (snake_case fields; what is missing takes its
     * default), checked field by field.
     */
    public static TriggerSpec fromRequest(JsonNode body, Instant createdAt) throws InvalidFieldException {
        if (body == null || !body.isObject()) {
            throw new InvalidFieldException(null, "the body must be a JSON object");
        }
        for (Iterator<String> names = body.fieldNames(); names.hasNext(); ) {
            String field = names.next();
            if (!FIELDS.contains(field) || field.equals("created_at")) {
                throw new InvalidFieldException(field, "unknown field (fields: name, function, topic, bootstrap, group, "
                        + "batch_size, batch_window_ms, start, max_retries, dlq, to)");
            }
        }
        String name = name(body, "name");
        String group = optionalText(body, "group");
        TriggerSpec spec = new TriggerSpec(name, name(body, "function"), requiredText(body, "topic"),
                optionalText(body, "bootstrap"), group == null ? defaultGroup(name) : group,
                (int) wholeNumber(body, "batch_size", DEFAULT_BATCH_SIZE, 1, MAX_BATCH_SIZE),
                (int) wholeNumber(body, "batch_window_ms", 0, 0, MAX_BATCH_WINDOW_MS),
                start(body), (int) wholeNumber(body, "max_retries", DEFAULT_MAX_RETRIES, 0, MAX_MAX_RETRIES),
                optionalText(body, "dlq"), optionalText(body, "to"), createdAt);
        spec.check();
        return spec;
    }

    /** Reads a stored trigger (its JSON as {@link #toJson()} writes it); IllegalArgumentException if it is not one. */
    public static TriggerSpec fromJson(byte[] json) {
        try {
            JsonNode n = JSON.readTree(json);
            Instant createdAt = Instant.parse(requiredText(n, "created_at"));
            ObjectNode request = ((ObjectNode) n.deepCopy()).without("created_at");
            return fromRequest(request, createdAt);
        } catch (java.io.IOException | ClassCastException | DateTimeParseException e) {
            throw new IllegalArgumentException("not a stored trigger: " + e.getMessage(), e);
        } catch (InvalidFieldException e) {
            throw new IllegalArgumentException("not a valid stored trigger: " + e.getMessage(), e);
        }
    }

    /** The trigger as JSON: every field, snake_case, {@code start} in lower case, nulls included. */
    public ObjectNode toJson() {
        ObjectNode n = JSON.createObjectNode();
        n.put("name", name).put("function", function).put("topic", topic).put("bootstrap", bootstrap)
                .put("group", group).put("batch_size", batchSize).put("batch_window_ms", batchWindowMs)
                .put("start", start.text()).put("max_retries", maxRetries).put("dlq", dlq).put("to", to)
                .put("created_at", createdAt.toString());
        return n;
    }

    public byte[] toJsonBytes() {
        try {
            return JSON.writeValueAsBytes(toJson());
        } catch (java.io.IOException e) {
            throw new IllegalStateException("cannot write a trigger as JSON", e);
        }
    }

    /** The bootstrap servers to use: the trigger's own, else {@code platform}'s (null when there is none). */
    public String bootstrapOr(String platform) {
        return bootstrap != null ? bootstrap : platform;
    }

    /** Checks every rule that involves more than one field's type. */
    private void check() throws InvalidFieldException {
        kafkaName("topic", topic);
        if (bootstrap != null) {
            bootstrap(bootstrap);
        }
        if (!KAFKA_NAME.matcher(group).matches()) {
            throw new InvalidFieldException("group", "'" + group + "' is not a consumer group name here: " + KAFKA_RULE);
        }
        if (dlq != null) {
            kafkaName("dlq", dlq);
            if (dlq.equals(topic)) {
                throw new InvalidFieldException("dlq", "must not be the trigger's own topic '" + topic + "'");
            }
        }
        if (to != null) {
            kafkaName("to", to);
            if (to.equals(topic)) {
                throw new InvalidFieldException("to", "must not be the trigger's own topic '" + topic
                        + "' (each batch's output would trigger it again)");
            }
        }
    }

    /** Kafka's topic name rule, and not one of Kafka's internal topics. */
    private static void kafkaName(String field, String topic) throws InvalidFieldException {
        if (!KAFKA_NAME.matcher(topic).matches() || topic.equals(".") || topic.equals("..")) {
            throw new InvalidFieldException(field, "'" + printable(topic) + "' is not a Kafka topic name: " + KAFKA_RULE);
        }
        if (topic.startsWith("__")) {
            throw new InvalidFieldException(field, "'" + topic + "' is one of Kafka's internal topics (names starting with __)");
        }
    }

    private static void bootstrap(String servers) throws InvalidFieldException {
        if (servers.length() > 2048) {
            throw new InvalidFieldException("bootstrap", "longer than 2048 characters");
        }
        for (String server : servers.split(",", -1)) {
            var m = BOOTSTRAP.matcher(server);
            if (!m.matches() || Integer.parseInt(m.group(1)) < 1 || Integer.parseInt(m.group(1)) > 65535) {
                throw new InvalidFieldException("bootstrap", "'" + printable(server)
                        + "' is not HOST:PORT (a comma-separated list of them, port 1 to 65535)");
            }
        }
    }

    private static String name(JsonNode body, String field) throws InvalidFieldException {
        String value = requiredText(body, field);
        if (!FunctionName.isValid(value)) {
            throw new InvalidFieldException(field, "'" + printable(value) + "' is not a name: it must be " + FunctionName.RULE);
        }
        return value;
    }

    private static long wholeNumber(JsonNode body, String field, long fallback, long min, long max)
            throws InvalidFieldException {
        try {
            return FunctionSettings.wholeNumber(body, field, fallback, min, max);
        } catch (FunctionSettings.InvalidFieldException e) {
            throw new InvalidFieldException(field, e.getMessage());
        }
    }

    private static Start start(JsonNode body) throws InvalidFieldException {
        String text = optionalText(body, "start");
        if (text == null) {
            return Start.LATEST;
        }
        return switch (text) {
            case "earliest" -> Start.EARLIEST;
            case "latest" -> Start.LATEST;
            default -> throw new InvalidFieldException("start", "must be 'earliest' or 'latest', got '" + printable(text) + "'");
        };
    }

    private static String requiredText(JsonNode body, String field) throws InvalidFieldException {
        String value = optionalText(body, field);
        if (value == null) {
            throw new InvalidFieldException(field, "is required");
        }
        return value;
    }

    private static String optionalText(JsonNode body, String field) throws InvalidFieldException {
        JsonNode n = body.get(field);
        if (n == null || n.isNull()) {
            return null;
        }
        if (!n.isTextual()) {
            throw new InvalidFieldException(field, "must be a string, got " + n.getNodeType().name().toLowerCase(Locale.ROOT));
        }
        return n.textValue();
    }

    /** A value for an error message: at most 100 characters, control characters escaped. */
    private static String printable(String value) {
        String cut = value.length() > 100 ? value.substring(0, 100) + "..." : value;
        StringBuilder b = new StringBuilder();
        cut.codePoints().forEach(c -> {
            if (c < 0x20 || c == 0x7f) {
                b.append(String.format("\\u%04x", c));
            } else {
                b.appendCodePoint(c);
            }
        });
        return b.toString();
    }
}
