package dev.thaw.e2e.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class QueriedMetricsTest {
    @Test
    void aMetricOrLabelTheGatewayDoesNotExportIsNamedWithWhereItIsQueried() {
        Map<String, java.util.Set<String>> exported = Scrape.labelsBySeries("""
                thaw_invocations_total{function="hello",outcome="EXITED"} 1.0
                thaw_desired_invokers 1.0
                """);
        Map<String, PromQl.Reads> queries = new LinkedHashMap<>();
        queries.put("ok", PromQl.read("sum by (outcome) (rate(thaw_invocations_total{function=~\"$function\"}[5m]))"));
        queries.put("scaler", PromQl.read("max(thaw_desired_invokers)"));
        queries.put("lag", PromQl.read("max by (trigger) (thaw_trigger_lag)"));
        queries.put("label", PromQl.read("sum(thaw_invocations_total{instance_type=\"x\"})"));
        queries.put("grouping", PromQl.read("sum by (partition) (thaw_desired_invokers)"));
        assertEquals(List.of("lag: thaw_trigger_lag", "lag: by (trigger)", "label: thaw_invocations_total{instance_type}",
                "grouping: by (partition)"), QueriedMetrics.missing(exported, queries));
    }
}
