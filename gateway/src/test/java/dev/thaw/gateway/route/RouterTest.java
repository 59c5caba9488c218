package dev.thaw.gateway.route;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.thaw.registry.InvokerInfo;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class RouterTest {
    private static List<InvokerInfo> invokers(int n) {
        List<InvokerInfo> list = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            list.add(new InvokerInfo("inv-" + i, "http://127.0.0.1:" + (9000 + i), 2, 0, Instant.now()));
        }
        return list;
    }

    @Test
    void aFunctionKeepsItsInvokerAndOnlyTheDeadOnesFunctionsMove() {
        Router router = new Router(1.25);
        router.members(invokers(5));
        Map<String, String> before = new HashMap<>();
        for (int f = 0; f < 500; f++) {
            before.put("fn" + f, router.order("fn" + f, Set.of()).get(0).id());
            assertEquals(before.get("fn" + f), router.order("fn" + f, Set.of()).get(0).id(), "stable");
        }
        Map<String, Integer> spread = new HashMap<>();
        before.values().forEach(id -> spread.merge(id, 1, Integer::sum));
        assertEquals(5, spread.size());
        spread.values().forEach(n -> assertTrue(n > 60 && n < 140, "uneven spread " + spread));

        List<InvokerInfo> four = new ArrayList<>(invokers(5));
        four.remove(2);
        router.members(four);
        for (Map.Entry<String, String> e : before.entrySet()) {
            String now = router.order(e.getKey(), Set.of()).get(0).id();
            if (!e.getValue().equals("inv-2")) {
                assertEquals(e.getValue(), now, e.getKey() + " moved although its invoker lives");
            } else {
                assertNotEquals("inv-2", now);
            }
        }
    }

    @Test
    void anOverloadedInvokerIsPassedOverUntilItsLoadFalls() {
        Router router = new Router(1.25);
        router.members(invokers(3));
        String first = router.order("hot", Set.of()).get(0).id();
        for (int i = 0; i < 10; i++) {
            router.started(first);
        }
        assertNotEquals(first, router.order("hot", Set.of()).get(0).id(), "bounded load sends it elsewhere");
        for (int i = 0; i < 10; i++) {
            router.finished(first);
        }
        assertEquals(first, router.order("hot", Set.of()).get(0).id());
        assertEquals(2, router.order("hot", Set.of(first)).size(), "excluded invokers are skipped");
    }
}
