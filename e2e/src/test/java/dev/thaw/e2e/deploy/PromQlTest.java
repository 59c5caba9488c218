package dev.thaw.e2e.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class PromQlTest {
    private static List<PromQl.Selector> selectors(String expr) {
        return PromQl.read(expr).selectors();
    }

    @Test
    void metricsAreTheNamesThatAreNotFunctionsKeywordsOrNumbers() {
        assertEquals(List.of(new PromQl.Selector("thaw_invocation_seconds_bucket", Set.of("function"))),
                selectors("histogram_quantile(0.99, sum by (le, function) (rate(thaw_invocation_seconds_bucket{function=~\"$function\"}[$__rate_interval])))"));
        assertEquals(Set.of("le", "function"), PromQl.read("sum by (le, function) (rate(x_bucket[5m]))").groupingLabels());
        assertEquals(List.of(new PromQl.Selector("thaw_desired_invokers", Set.of())), selectors("max(thaw_desired_invokers)"));
        assertEquals(List.of(new PromQl.Selector("a_total", Set.of("outcome", "function")), new PromQl.Selector("a_total", Set.of("function"))),
                selectors("sum(rate(a_total{outcome!=\"EXITED\",function=~\"${function:regex}\"}[1h] offset 5m)) / sum(rate(a_total{function=~'x'}[1h]))"));
        assertEquals(List.of(new PromQl.Selector("b", Set.of()), new PromQl.Selector("c:rate5m", Set.of("job"))),
                selectors("sum without (pod) (b) > bool 0.5 and on (job) group_left c:rate5m{job=\"j\"} * 1e3"));
        assertEquals(List.of(new PromQl.Selector("up", Set.of("job"))), selectors("{__name__=\"up\", job=\"x\"}"));
    }

    @Test
    void grafanaLabelValuesReadsTheMetricWithTheLabel() {
        assertEquals(List.of(new PromQl.Selector("thaw_invocations_total", Set.of("function"))),
                PromQl.grafanaVariable("label_values(thaw_invocations_total, function)").selectors());
        assertThrows(IllegalArgumentException.class, () -> PromQl.grafanaVariable("label_values(function)"));
    }

    @Test
    void aScrapeGivesSampleNamesWithTheirLabels() {
        Map<String, Set<String>> series = Scrape.labelsBySeries("""
                # HELP thaw_invocation_seconds invocation latency
                # TYPE thaw_invocation_seconds histogram
                thaw_invocation_seconds_bucket{function="hello",le="0.001"} 1.0
                thaw_invocation_seconds_count{function="a \\"quoted\\", name"} 1.0
                thaw_desired_invokers 2.0
                """);
        assertEquals(Map.of("thaw_invocation_seconds_bucket", Set.of("function", "le"),
                "thaw_invocation_seconds_count", Set.of("function"), "thaw_desired_invokers", Set.of()), series);
    }
}
