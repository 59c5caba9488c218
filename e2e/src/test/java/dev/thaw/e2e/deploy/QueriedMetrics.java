package dev.thaw.e2e.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Every metric the Grafana dashboard and the KEDA ScaledObject of deploy/k8s query must be one
 * a cluster gateway really exports, with the labels the queries use. {@link #assertExportedBy}
 * scrapes a running gateway (as Prometheus 3 scrapes it) and compares. A test that runs a
 * gateway the way deploy/k8s does (with Redis, Kafka and invokers, after an invocation: the
 * per-function series exist from the first one on) calls it; AsyncDurabilityIT does.
 */
public final class QueriedMetrics {
    private static final Path ROOT = Path.of(System.getProperty("thaw.root", "..")).toAbsolutePath().normalize();
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    /** Gauges such as thaw_kafka_lag appear at the autoscaler's next tick (every 2 s); a busy machine gets ample time. */
    private static final Duration PATIENCE = Duration.ofSeconds(30);
    /**
     * What Prometheus 3 asks for with its default scrape_protocols. The gateway answers a
     * request for OpenMetrics alone with 406, and this list with the 0.0.4 text format.
     */
    private static final String PROMETHEUS_ACCEPT = "application/openmetrics-text;version=1.0.0;escaping=allow-utf-8;q=0.5,"
            + "application/openmetrics-text;version=0.0.1;q=0.4,text/plain;version=1.0.0;escaping=allow-utf-8;q=0.3,"
            + "text/plain;version=0.0.4;q=0.2,*/*;q=0.1";

    private QueriedMetrics() {}

    /** Fails, listing "where: metric{label}", for every queried series the gateway at {@code url} does not export. */
    public static void assertExportedBy(String url) throws Exception {
        Map<String, PromQl.Reads> queries = Queries.of(ROOT.resolve("deploy/k8s/grafana/thaw-dashboard.json"),
                Kustomize.render(ROOT.resolve("deploy/k8s")));
        assertTrue(queries.size() >= 10, "the dashboard's and the ScaledObject's queries: " + queries.keySet());
        List<String> missing = missing(url, queries);
        long deadline = System.nanoTime() + PATIENCE.toNanos();
        while (!missing.isEmpty() && System.nanoTime() < deadline) {
            Thread.sleep(500);
            missing = missing(url, queries);
        }
        assertEquals(List.of(), missing, "deploy/k8s queries series the gateway does not export");
    }

    private static List<String> missing(String url, Map<String, PromQl.Reads> queries) throws Exception {
        HttpResponse<String> scrape = HTTP.send(HttpRequest.newBuilder(URI.create(url + "/q/metrics"))
                .timeout(Duration.ofSeconds(20)).header("Accept", PROMETHEUS_ACCEPT).GET().build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(200, scrape.statusCode(), "GET /q/metrics as Prometheus asks: " + scrape.body());
        return missing(Scrape.labelsBySeries(scrape.body()), queries);
    }

    /** What the queries read that the exported series lack. */
    static List<String> missing(Map<String, Set<String>> exported, Map<String, PromQl.Reads> queries) {
        List<String> missing = new ArrayList<>();
        queries.forEach((where, reads) -> {
            Set<String> labelsInQuery = new HashSet<>();
            for (PromQl.Selector s : reads.selectors()) {
                Set<String> labels = exported.get(s.metric());
                if (labels == null) {
                    missing.add(where + ": " + s.metric());
                    continue;
                }
                labelsInQuery.addAll(labels);
                s.labels().stream().filter(l -> !labels.contains(l)).forEach(l -> missing.add(where + ": " + s.metric() + "{" + l + "}"));
            }
            reads.groupingLabels().stream().filter(l -> !labelsInQuery.contains(l))
                    .forEach(l -> missing.add(where + ": by (" + l + ")"));
        });
        return missing;
    }
}
