package dev.thaw.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code fn trigger create NAME --function F --topic T [...]}: a new trigger. The gateway
 * checks every field (and names the one it refuses); options left out take its defaults.
 */
@Command(name = "create", description = "Create a trigger: the events of a topic run a function, in batches.")
final class TriggerCreateCommand extends Subcommand {
    private static final ObjectMapper JSON = new ObjectMapper();

    @Parameters(paramLabel = "NAME", description = "The trigger's name (like a function's).")
    String name;

    @Option(names = "--function", required = true, paramLabel = "F", description = "The function to run (its latest version).")
    String function;

    @Option(names = "--topic", required = true, paramLabel = "T", description = "The Kafka topic to consume (it must exist).")
    String topic;

    @Option(names = "--bootstrap", paramLabel = "H:P", description = "The topic's Kafka (default: the platform's).")
    String bootstrap;

    @Option(names = "--group", paramLabel = "G", description = "The consumer group (default: thaw-trigger-NAME).")
    String group;

    @Option(names = "--batch-size", paramLabel = "N", description = "Events per invocation, at most (default 1).")
    Integer batchSize;

    @Option(names = "--batch-window-ms", paramLabel = "W", description = "How long a batch waits to fill up (default 0).")
    Integer batchWindowMs;

    @Option(names = "--start", paramLabel = "earliest|latest",
            description = "Where a new group begins: the oldest event kept, or new events only (default latest).")
    String start;

    @Option(names = "--max-retries", paramLabel = "N", description = "Tries of a failing batch after the first (default 2).")
    Integer maxRetries;

    @Option(names = "--dlq", paramLabel = "TOPIC", description = "Where an event that keeps failing goes (default: its "
            + "partition waits on it).")
    String dlq;

    @Option(names = "--to", paramLabel = "TOPIC", description = "Where each batch's stdout goes, as a record.")
    String to;

    @Override
    int run() {
        ObjectNode body = JSON.createObjectNode().put("name", name).put("function", function).put("topic", topic);
        putIfSet(body, "bootstrap", bootstrap);
        putIfSet(body, "group", group);
        if (batchSize != null) {
            body.put("batch_size", batchSize);
        }
        if (batchWindowMs != null) {
            body.put("batch_window_ms", batchWindowMs);
        }
        putIfSet(body, "start", start);
        if (maxRetries != null) {
            body.put("max_retries", maxRetries);
        }
        putIfSet(body, "dlq", dlq);
        putIfSet(body, "to", to);
        Gateway.Response response;
        try (Gateway gateway = fn.gateway()) {
            response = gateway.send("POST", "/v1/triggers", body.toString().getBytes(java.nio.charset.StandardCharsets.UTF_8),
                    "Content-Type", "application/json");
        }
        if (fn.json()) {
            printJson(response);
            return 0;
        }
        JsonNode t = response.json();
        out().println("created trigger " + t.path("name").asText() + ": " + t.path("topic").asText() + " -> "
                + t.path("function").asText() + " (group " + t.path("group").asText() + ", batches of up to "
                + t.path("batch_size").asInt() + ", start " + t.path("start").asText()
                + (t.hasNonNull("dlq") ? ", dead letters to " + t.path("dlq").asText() : "")
                + (t.hasNonNull("to") ? ", output to " + t.path("to").asText() : "") + ")");
        return 0;
    }

    private static void putIfSet(ObjectNode body, String field, String value) {
        if (value != null) {
            body.put(field, value);
        }
    }
}
