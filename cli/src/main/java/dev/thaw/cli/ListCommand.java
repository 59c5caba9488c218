package dev.thaw.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Command;

/** {@code fn ls}: the deployed functions, one row each. */
@Command(name = "ls", description = "List the deployed functions.")
final class ListCommand extends Subcommand {
    private static final List<String> HEADINGS = List.of("NAME", "VERSION", "PUBLIC", "DEPLOYED");

    @Override
    int run() {
        Gateway.Response response;
        try (Gateway gateway = fn.gateway()) {
            response = gateway.send("GET", "/v1/functions", null);
        }
        if (fn.json()) {
            printJson(response);
            return 0;
        }
        JsonNode functions = response.json().path("functions");
        if (functions.isEmpty()) {
            out().println("no functions deployed");
            return 0;
        }
        List<List<String>> rows = new ArrayList<>(List.of(HEADINGS));
        for (JsonNode f : functions) {
            rows.add(List.of(f.path("name").asText(), f.path("latest").asText(),
                    f.path("public").asBoolean() ? "yes" : "no", f.path("deployed_at").asText()));
        }
        printTable(rows);
        return 0;
    }
}
