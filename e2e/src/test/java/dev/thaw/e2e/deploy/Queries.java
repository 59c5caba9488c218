package dev.thaw.e2e.deploy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Every Prometheus query deploy/k8s makes, by where it is: the Grafana dashboard's panel
 * targets (rows and nested panels included) and query variables, and the KEDA ScaledObject's
 * prometheus triggers. Each is read with {@link PromQl}.
 */
public final class Queries {
    private static final ObjectMapper JSON = new ObjectMapper();

    private Queries() {}

    /** Where a query is ("dashboard panel 'Desired vs actual invokers'") to what it reads. */
    public static Map<String, PromQl.Reads> of(Path dashboard, List<JsonNode> rendered) throws IOException {
        Map<String, PromQl.Reads> queries = new LinkedHashMap<>();
        JsonNode board = JSON.readTree(dashboard.toFile());
        for (JsonNode panel : panels(board)) {
            for (JsonNode target : panel.path("targets")) {
                if (target.has("expr")) {
                    String at = "dashboard panel '" + panel.path("title").asText() + "' target " + target.path("refId").asText();
                    queries.put(at, read(at, target.path("expr").asText(), false));
                }
            }
        }
        for (JsonNode variable : board.path("templating").path("list")) {
            if (variable.path("type").asText().equals("query")) {
                JsonNode q = variable.path("query");
                String at = "dashboard variable $" + variable.path("name").asText();
                queries.put(at, read(at, q.isObject() ? q.path("query").asText() : q.asText(), true));
            }
        }
        for (JsonNode object : rendered) {
            if (object.path("kind").asText().equals("ScaledObject")) {
                for (JsonNode trigger : object.path("spec").path("triggers")) {
                    if (trigger.path("type").asText().equals("prometheus")) {
                        String at = "ScaledObject " + object.path("metadata").path("name").asText() + " trigger "
                                + trigger.path("name").asText();
                        queries.put(at, read(at, trigger.path("metadata").path("query").asText(), false));
                    }
                }
            }
        }
        return queries;
    }

    private static PromQl.Reads read(String at, String query, boolean variable) {
        try {
            PromQl.Reads reads = variable ? PromQl.grafanaVariable(query) : PromQl.read(query);
            if (reads.selectors().isEmpty()) {
                throw new AssertionError(at + " reads no metric: " + query);
            }
            return reads;
        } catch (IllegalArgumentException e) {
            throw new AssertionError(at + ": " + e.getMessage(), e);
        }
    }

    /** The dashboard's panels, those inside collapsed rows too. */
    private static List<JsonNode> panels(JsonNode board) {
        List<JsonNode> all = new ArrayList<>();
        for (JsonNode panel : board.path("panels")) {
            all.add(panel);
            panel.path("panels").forEach(all::add);
        }
        return all;
    }
}
