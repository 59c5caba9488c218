package dev.thaw.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Command;

/**
 * {@code fn trigger ls}: every trigger, its state, its lag per partition (events of the topic
 * its group has not committed yet, as {@code partition:lag}) and its last error.
 */
@Command(name = "ls", description = "List the triggers with their state, lag per partition and last error.")
final class TriggerListCommand extends Subcommand {
    private static final List<String> HEADINGS = List.of("NAME", "FUNCTION", "TOPIC", "STATE", "LAG", "LAST ERROR");

    @Override
    int run() {
        Gateway.Response response;
        try (Gateway gateway = fn.gateway()) {
            response = gateway.send("GET", "/v1/triggers", null);
        }
        if (fn.json()) {
            printJson(response);
            return 0;
        }
        JsonNode triggers = response.json().path("triggers");
        if (triggers.isEmpty()) {
            out().println("no triggers");
            return 0;
        }
        List<List<String>> rows = new ArrayList<>(List.of(HEADINGS));
        for (JsonNode t : triggers) {
            JsonNode status = t.path("status");
            rows.add(List.of(t.path("name").asText(), t.path("function").asText(), t.path("topic").asText(),
                    status.path("state").asText("?"), lag(status), lastError(status)));
        }
        printTable(rows);
        return 0;
    }

    /** "0:12 1:0 2:3", or "?" when Kafka could not tell (the error says why). */
    private static String lag(JsonNode status) {
        if (!status.path("lag").isNumber()) {
            return "?";
        }
        List<String> parts = new ArrayList<>();
        for (JsonNode p : status.path("partitions")) {
            parts.add(p.path("partition").asInt() + ":" + p.path("lag").asLong());
        }
        return parts.isEmpty() ? "-" : String.join(" ", parts);
    }

    /** The current error, else the last one with when it was, else "-". */
    private static String lastError(JsonNode status) {
        if (status.hasNonNull("error")) {
            return status.get("error").asText();
        }
        if (status.hasNonNull("last_error")) {
            String at = status.path("last_error_at").asText("");
            return status.get("last_error").asText() + (at.isEmpty() ? "" : " (" + at + ")");
        }
        return "-";
    }
}
