package dev.thaw.gatling;

import static io.gatling.javaapi.core.CoreDsl.StringBody;
import static io.gatling.javaapi.core.CoreDsl.bodyString;
import static io.gatling.javaapi.core.CoreDsl.details;
import static io.gatling.javaapi.core.CoreDsl.exec;
import static io.gatling.javaapi.core.CoreDsl.constantUsersPerSec;
import static io.gatling.javaapi.core.CoreDsl.global;
import static io.gatling.javaapi.core.CoreDsl.scenario;
import static io.gatling.javaapi.http.HttpDsl.header;
import static io.gatling.javaapi.http.HttpDsl.http;
import static io.gatling.javaapi.http.HttpDsl.status;

import io.gatling.javaapi.core.ScenarioBuilder;
import io.gatling.javaapi.core.Simulation;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

/**
 * Cold: many functions deployed (copies of {@code hello} under their own names, each its own
 * snapshot), left idle, then each called once: every call is a function's first, which
 * opens its snapshot and resumes a VM shell that has never run ({@code Thaw-Warm: false},
 * checked). That is first-call latency, what a rarely called function costs its caller.
 * Defaults: one function per second of the main phase (at least 5, at most 60), idle 5 s,
 * called at 2 per second. Verdict: no failed request, p99 under 2 s.
 */
public class ColdSimulation extends Simulation {
    private static final double CALLS_PER_SECOND = 2;
    private static final long IDLE_SECONDS = 5;
    private static final int P99_BOUND_MS = 2000;

    private final Platform platform = Platform.startOrConnect();
    /** The functions under test, named for this run: on a long-lived gateway (FN_GATEWAY) an
     *  earlier run's functions, same code and manifest, could still have warm shells. */
    private final List<String> names = new ArrayList<>();

    {
        Load load = Load.fromEnvironment();
        platform.deployExample("hello");
        int count = (int) Math.clamp(load.seconds(), 5, 60);
        deployCopiesOfHello(count, Long.toString(System.currentTimeMillis() / 1000 % 1_000_000, 36));
        System.out.println("thaw: deployed " + count + " functions; idle for " + IDLE_SECONDS + " s before calling each once");
        try {
            TimeUnit.SECONDS.sleep(IDLE_SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        double rate = load.rate(CALLS_PER_SECOND);
        Iterator<Map<String, Object>> feeder = names.stream().map(n -> Map.<String, Object>of("function", n)).iterator();
        ScenarioBuilder firstCalls = scenario("first calls").feed(feeder).group("first calls")
                .on(exec(http("first call").post("/fn/#{function}").body(StringBody("cold"))
                        .check(status().is(200), header("Thaw-Warm").is("false"), bodyString().is("Hello, cold!\n"))));
        // The warm-up calls hello, not the functions under test: it warms Gatling and the platform's HTTP path.
        setUp(Requests.warmUp("hello", "Thaw", 20, load).andThen(
                firstCalls.injectOpen(constantUsersPerSec(rate).during(Duration.ofMillis((long) (count * 1000 / rate))))))
                .protocols(Requests.protocol(platform))
                .assertions(load.verdict(List.of(global().failedRequests().percent().is(0.0),
                                details("first calls").allRequests().count().is((long) count)),
                        List.of(details("first calls").responseTime().percentile(99).lt(P99_BOUND_MS))));
    }

    /** Deploys cold-RUN-0, cold-RUN-1, ...: hello's source under new names, a few deploys at a time. */
    private void deployCopiesOfHello(int count, String run) {
        byte[] source;
        try {
            source = Files.readAllBytes(Platform.root().resolve("functions/hello/main.c"));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read functions/hello/main.c", e);
        }
        List<Future<?>> deploys = new ArrayList<>();
        try (var pool = Executors.newFixedThreadPool(2)) {
            for (int i = 0; i < count; i++) {
                String name = "cold-" + run + "-" + i;
                names.add(name);
                String manifest = "{\"name\": \"" + name + "\", \"runtime\": \"c\", \"memory_mb\": 16, \"timeout_ms\": 5000}";
                byte[] bundle = Bundle.of(Map.of("function.json", manifest.getBytes(StandardCharsets.UTF_8), "main.c", source));
                deploys.add(pool.submit(() -> platform.deploy(name, bundle)));
            }
            for (Future<?> d : deploys) {
                d.get();
            }
        } catch (Exception e) {
            throw new IllegalStateException("deploying the functions for Cold failed: " + e.getMessage(), e);
        }
    }

    @Override
    public void after() {
        names.forEach(platform::delete);
        platform.close();
    }
}
