package dev.thaw.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.SequencedMap;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code fn logs NAME}: the stderr and log lines of a function's recent invocations, or,
 * with {@code -f}, of its invocations as they finish.
 */
@Command(name = "logs", description = "Print the stderr and log lines of a function's invocations.")
final class LogsCommand extends Subcommand {
    private static final ObjectMapper JSON = new ObjectMapper();

    @Parameters(paramLabel = "NAME", description = "The function.")
    String name;

    @Option(names = {"-f", "--follow"}, description = "Keep printing lines as invocations finish.")
    boolean follow;

    @Option(names = {"-n", "--limit"}, paramLabel = "N", defaultValue = "20",
            description = "How many recent invocations (default: ${DEFAULT-VALUE}).")
    int limit;

    @Override
    int run() {
        String path = "/v1/functions/" + new FunctionName(name) + "/logs";
        try (Gateway gateway = fn.gateway()) {
            if (follow) {
                gateway.follow(path + "?follow=true", this::printEvent);
                return 0;
            }
            Gateway.Response response = gateway.send("GET", path + "?limit=" + limit, null);
            if (fn.json()) {
                printJson(response);
                return 0;
            }
            for (JsonNode entry : oldestFirst(response.json().path("logs"))) {
                print(entry);
            }
        }
        return 0;
    }

    /**
     * The gateway lists the newest invocation first; print the oldest first, as tail does,
     * keeping each invocation's lines in their order.
     */
    private static List<JsonNode> oldestFirst(JsonNode logs) {
        SequencedMap<String, List<JsonNode>> byInvocation = new LinkedHashMap<>();
        for (JsonNode entry : logs) {
            byInvocation.computeIfAbsent(entry.path("invocation").asText(), id -> new ArrayList<>()).add(entry);
        }
        return byInvocation.sequencedValues().reversed().stream().flatMap(List::stream).toList();
    }

    /** One line of the event stream: a {@code data:} line carries an entry; others are framing. */
    private void printEvent(String line) {
        if (!line.startsWith("data:")) {
            return;
        }
        String data = line.substring("data:".length());
        data = data.startsWith(" ") ? data.substring(1) : data;
        if (fn.json()) {
            out().println(data);
        } else {
            try {
                print(JSON.readTree(data));
            } catch (JsonProcessingException e) {
                throw new Failure("the gateway sent an event that is not JSON: " + data);
            }
        }
        out().flush();
    }

    private void print(JsonNode entry) {
        out().println(String.join(" ", entry.path("time").asText(), entry.path("invocation").asText(),
                "v" + entry.path("version").asText(), entry.path("stream").asText(), entry.path("line").asText()));
    }
}
