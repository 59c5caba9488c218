package dev.thaw.embedded;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.greaterThanOrEqualTo;
import static org.hamcrest.Matchers.hasItem;
import static org.hamcrest.Matchers.matchesPattern;
import static org.hamcrest.Matchers.nullValue;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.thaw.invoker.testing.KvmTest;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.response.Response;
import io.restassured.specification.RequestSpecification;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.Test;

/** The functions API and invocation over HTTP, in the embedded mode, on real KVM. */
@QuarkusTest
@KvmTest
class FunctionsApiTest {
    static final String TOKEN = "test-token";

    @TestHTTPResource("/")
    URI url;

    static RequestSpecification admin() {
        return given().header("Authorization", "Bearer " + TOKEN);
    }

    static Response deploy(String name, byte[] bundle) {
        return admin().contentType("application/gzip").body(bundle).put("/v1/functions/" + name);
    }

    @Test
    void deployInvokeInspectAndDelete() throws Exception {
        deploy("hello", Bundles.folder("functions/hello")).then().statusCode(201)
                .body("name", equalTo("hello"))
                .body("version", greaterThanOrEqualTo(1))
                .body("snapshot", matchesPattern("[0-9a-f]{32}"))
                .body("manifest.memory_mb", equalTo(16));
        admin().body("Thaw").post("/fn/hello").then().statusCode(200)
                .contentType("application/octet-stream")
                .header("Thaw-Invocation-Id", matchesPattern("inv_[0-9a-f]{24}"))
                .header("Thaw-Warm", matchesPattern("true|false"))
                .body(equalTo("Hello, Thaw!\n"));
        int v = deploy("hello", Bundles.folder("functions/hello")).then().statusCode(201)
                .body("build.cached", equalTo(true)).extract().path("version");
        admin().body("again").post("/fn/hello@" + v).then().statusCode(200).header("Thaw-Version", String.valueOf(v));
        admin().get("/v1/functions").then().statusCode(200).body("functions.name", hasItem("hello"));
        admin().get("/v1/functions/hello").then().statusCode(200)
                .body("latest", equalTo(v)).body("versions.size()", equalTo(v))
                .body("pool.created", greaterThanOrEqualTo(1));

        deploy("bye", Bundles.function("\"name\": \"bye\", \"memory_mb\": 16",
                "#include <stdio.h>\nint main(void){getchar();puts(\"bye\");return 0;}\n")).then().statusCode(201);
        admin().delete("/v1/functions/bye").then().statusCode(204);
        admin().body("x").post("/fn/bye").then().statusCode(404).body("error", equalTo("function 'bye' not found"));
        admin().delete("/v1/functions/bye").then().statusCode(404);
    }

    @Test
    void theFunctionsApiNeedsTheToken() {
        given().get("/v1/functions").then().statusCode(401).body("error", equalTo("missing or invalid token"));
        given().header("Authorization", "Bearer wrong").get("/v1/functions").then().statusCode(401);
    }

    @Test
    void onlyPublicFunctionsRunWithoutAToken() throws Exception {
        deploy("private-fn", Bundles.function("\"name\": \"private-fn\", \"memory_mb\": 16",
                "#include <stdio.h>\nint main(void){getchar();puts(\"secret\");return 0;}\n")).then().statusCode(201);
        deploy("public-fn", Bundles.function("\"name\": \"public-fn\", \"memory_mb\": 16, \"public\": true",
                "#include <stdio.h>\nint main(void){getchar();puts(\"open\");return 0;}\n")).then().statusCode(201);
        given().body("x").post("/fn/private-fn").then().statusCode(401)
                .body("error", equalTo("missing or invalid token (or no public function 'private-fn')"));
        given().body("x").post("/fn/public-fn").then().statusCode(200).body(equalTo("open\n"));
    }

    @Test
    void withoutATokenAPrivateFunctionLooksExactlyLikeOneThatDoesNotExist() throws Exception {
        deploy("hidden", Bundles.function("\"name\": \"hidden\", \"memory_mb\": 16",
                "#include <stdio.h>\nint main(void){getchar();puts(\"secret\");return 0;}\n")).then().statusCode(201);
        for (String token : new String[] {null, "wrong"}) {
            RequestSpecification anonymous = token == null ? given() : given().header("Authorization", "Bearer " + token);
            Response exists = anonymous.body("x").post("/fn/hidden");
            Response missing = (token == null ? given() : given().header("Authorization", "Bearer " + token))
                    .body("x").post("/fn/hiddem");
            assertEquals(401, exists.statusCode());
            assertEquals(exists.statusCode(), missing.statusCode());
            assertEquals(exists.jsonPath().getString("error").replace("hidden", "NAME"),
                    missing.jsonPath().getString("error").replace("hiddem", "NAME"));
            Response existsAsync = (token == null ? given() : given().header("Authorization", "Bearer " + token))
                    .header("Prefer", "respond-async").body("x").post("/fn/hidden@1");
            assertEquals(401, existsAsync.statusCode(), "async, too");
        }
        admin().body("x").post("/fn/hiddem").then().statusCode(404);
    }

    @Test
    void aFunctionPastItsOutputLimitIs502NamingIt() throws Exception {
        deploy("chatter", Bundles.function("\"name\": \"chatter\", \"memory_mb\": 16, \"max_output_bytes\": 1000",
                "#include <stdio.h>\nint main(void){getchar();for(int i=0;i<1000;i++)puts(\"too much\");return 0;}\n"))
                .then().statusCode(201);
        admin().body("x").post("/fn/chatter").then().statusCode(502)
                .body("outcome", equalTo("OUTPUT_LIMIT"))
                .body("error", containsString("output limit of 1000 bytes"));
    }

    @Test
    void badNamesBundlesAndManifestsAreRefusedNamingTheProblem() throws Exception {
        deploy("Bad_Name", Bundles.folder("functions/hello")).then().statusCode(400)
                .body("error", containsString("invalid function name 'Bad_Name'"));
        admin().body("x").post("/fn/-x").then().statusCode(400).body("error", containsString("invalid function name"));
        admin().body("x").post("/fn/hello@zero").then().statusCode(400).body("error", containsString("invalid version 'zero'"));
        deploy("junk", "this is not a tarball".getBytes()).then().statusCode(400)
                .body("error", containsString("bundle: not a complete gzip-compressed tar archive"));
        deploy("nomanifest", Bundles.of(java.util.Map.of("main.c", "int main(void){return 0;}"))).then().statusCode(400)
                .body("error", containsString("bundle: no function.json at its top level"));
        deploy("badmem", Bundles.function("\"name\": \"badmem\", \"memory_mb\": 2", "int main(void){return 0;}"))
                .then().statusCode(400).body("field", equalTo("memory_mb"))
                .body("error", containsString("must be a whole number from 8 to 1024, got 2"));
        deploy("other", Bundles.function("\"name\": \"mismatch\"", "int main(void){return 0;}"))
                .then().statusCode(400).body("field", equalTo("name"))
                .body("error", containsString("'mismatch' does not match the function 'other'"));
        deploy("badidle", Bundles.function("\"name\": \"badidle\", \"idle_timeout_s\": -5", "int main(void){return 0;}"))
                .then().statusCode(400).body("field", equalTo("idle_timeout_s"))
                .body("error", containsString("must be a whole number from 0 to 86400, got -5"));
        deploy("badwarm", Bundles.function("\"name\": \"badwarm\", \"min_warm\": 4, \"max_warm\": 3", "int main(void){return 0;}"))
                .then().statusCode(400).body("field", equalTo("min_warm"))
                .body("error", containsString("must be at most max_warm (3), got 4"));
        deploy("badmax", Bundles.function("\"name\": \"badmax\", \"max_warm\": \"many\"", "int main(void){return 0;}"))
                .then().statusCode(400).body("field", equalTo("max_warm"));
        deploy("escape", Bundles.of(java.util.Map.of("../evil", "x"))).then().statusCode(400)
                .body("error", containsString("points outside the bundle"));
    }

    @Test
    void compileErrorsAre422WithTheCompilersMessage() throws Exception {
        deploy("broken", Bundles.function("\"name\": \"broken\"", "int main(void) { return undeclared; }\n"))
                .then().statusCode(422).body("error", equalTo("the function does not compile"))
                .body("compiler", containsString("'undeclared' undeclared"));
        admin().body("x").post("/fn/broken").then().statusCode(404);
    }

    @Test
    void aFunctionThatFailsIs502WithItsStderrAndATimeoutIs504() throws Exception {
        deploy("fails", Bundles.function("\"name\": \"fails\", \"memory_mb\": 16, \"timeout_ms\": 200",
                "#include <stdio.h>\n#include <string.h>\nint main(void){char b[16]={0};fread(b,1,15,stdin);"
                        + "if(!strcmp(b,\"loop\"))for(;;){}fprintf(stderr,\"went wrong\\n\");return 3;}\n"))
                .then().statusCode(201);
        admin().body("x").post("/fn/fails").then().statusCode(502)
                .body("error", equalTo("function exited with status 3"))
                .body("exit_code", equalTo(3))
                .body("stderr", equalTo("went wrong\n"))
                .body("invocation", matchesPattern("inv_[0-9a-f]{24}"));
        admin().body("loop").post("/fn/fails").then().statusCode(504)
                .body("error", equalTo("ran longer than its timeout of 200 ms and was stopped"));
    }

    /**
     * {@code POST /fn} has two ways in: a plain Vert.x route for a body of known length
     * (InvokeRoute) and RESTEasy for the rest, here a chunked body. Both must answer alike,
     * also to a client that waits for "100 Continue" before it sends the body.
     */
    @Test
    void aChunkedBodyOneOfKnownLengthAndOneAfter100ContinueGetTheSameAnswers() throws Exception {
        deploy("hello", Bundles.folder("functions/hello")).then().statusCode(201);
        deploy("fails", Bundles.function("\"name\": \"fails\", \"memory_mb\": 16, \"timeout_ms\": 200",
                "#include <stdio.h>\n#include <string.h>\nint main(void){char b[16]={0};fread(b,1,15,stdin);"
                        + "if(!strcmp(b,\"loop\"))for(;;){}fprintf(stderr,\"went wrong\\n\");return 3;}\n"))
                .then().statusCode(201);
        HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
        record Call(String path, String body, boolean token, int status) {}
        for (Call call : List.of(new Call("/fn/hello", "Thaw", true, 200), new Call("/fn/fails", "x", true, 502),
                new Call("/fn/fails", "loop", true, 504), new Call("/fn/nope", "x", true, 404),
                new Call("/fn/-x", "x", true, 400), new Call("/fn/hello@zero", "x", true, 400),
                new Call("/fn/hello", "x", false, 401), new Call("/fn/hello/", "Thaw", true, 200))) {
            List<String> answers = new ArrayList<>();
            for (String way : List.of("length", "chunked", "length after 100 Continue")) {
                byte[] body = call.body().getBytes(java.nio.charset.StandardCharsets.UTF_8);
                HttpRequest.Builder request = HttpRequest.newBuilder(url.resolve(call.path()))
                        // a client that expects 100 Continue and does not get it waits 5 s, then sends the body
                        .timeout(java.time.Duration.ofSeconds(3)).expectContinue(way.endsWith("Continue"))
                        .POST(way.equals("chunked")
                                ? HttpRequest.BodyPublishers.ofInputStream(() -> new java.io.ByteArrayInputStream(body))
                                : HttpRequest.BodyPublishers.ofByteArray(body));
                if (call.token()) {
                    request.header("Authorization", "Bearer " + TOKEN);
                }
                HttpResponse<String> r = http.send(request.build(), HttpResponse.BodyHandlers.ofString());
                List<String> thawHeaders = r.headers().map().keySet().stream().map(String::toLowerCase)
                        .filter(h -> h.startsWith("thaw-")).sorted().toList();
                answers.add(r.statusCode() + " " + r.headers().firstValue("content-type").orElse("")
                        + " " + thawHeaders + " " + r.body().replaceAll("inv_[0-9a-f]{24}", "inv_ID"));
            }
            assertEquals(answers.get(0), answers.get(1), call + ": with a known length, then chunked");
            assertEquals(answers.get(0), answers.get(2), call + ": with a known length, then after 100 Continue");
            assertTrue(answers.get(0).startsWith(call.status() + (call.status() == 200
                    ? " application/octet-stream" : " application/json")), call + ": " + answers.get(0));
        }
    }

    @Test
    void oversizedBodiesAre413() throws Exception {
        deploy("hello", Bundles.folder("functions/hello")).then().statusCode(201);
        admin().body(new byte[6 * 1024 * 1024 + 1]).post("/fn/hello").then().statusCode(413)
                .body("error", containsString("larger than the limit of 6291456"));
    }

    @Test
    void overTheConcurrencyLimitIs429WithRetryAfter() throws Exception {
        deploy("slow", Bundles.function("\"name\": \"slow\", \"memory_mb\": 16, \"concurrency\": 1",
                "#include <stdio.h>\n#include <time.h>\nint main(void){getchar();"
                        + "struct timespec t={0,400000000};nanosleep(&t,0);puts(\"done\");return 0;}\n"))
                .then().statusCode(201);
        ExecutorService clients = Executors.newFixedThreadPool(3);
        List<CompletableFuture<Response>> calls = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            calls.add(CompletableFuture.supplyAsync(() -> admin().body("x").post("/fn/slow"), clients));
        }
        List<Response> answers = calls.stream().map(CompletableFuture::join).toList();
        clients.shutdown();
        List<Integer> statuses = answers.stream().map(Response::statusCode).toList();
        assertTrue(statuses.contains(200), statuses.toString());
        Response refused = answers.stream().filter(r -> r.statusCode() == 429).findFirst()
                .orElseThrow(() -> new AssertionError("no request was refused: " + statuses));
        assertEquals("1", refused.header("Retry-After"));
        assertTrue(refused.jsonPath().getString("error").contains("its concurrency limit"));
    }

    @Test
    void asyncInvocationsAnswer202AndKeepTheirResult() throws Exception {
        deploy("hello", Bundles.folder("functions/hello")).then().statusCode(201);
        Response accepted = admin().header("Prefer", "respond-async").body("later").post("/fn/hello");
        accepted.then().statusCode(202).body("state", equalTo("queued"));
        String id = accepted.jsonPath().getString("invocation");
        assertEquals("/v1/invocations/" + id, accepted.header("Location"));
        String state = "";
        for (int i = 0; i < 200 && !state.equals("done"); i++) {
            state = admin().get("/v1/invocations/" + id).jsonPath().getString("state");
            Thread.sleep(10);
        }
        admin().get("/v1/invocations/" + id).then().statusCode(200)
                .body("state", equalTo("done")).body("outcome", equalTo("EXITED"))
                .body("stdout", equalTo("Hello, later!\n")).body("function", equalTo("hello"));
        admin().get("/v1/invocations/" + id + "/output").then().statusCode(200).body(equalTo("Hello, later!\n"));
        admin().get("/v1/invocations/inv_000000000000000000000000").then().statusCode(404);
    }

    @Test
    void logsKeepStderrAndLogLines() throws Exception {
        deploy("noisy", Bundles.function("\"name\": \"noisy\", \"memory_mb\": 16",
                "#include <stdio.h>\n#include <thaw/thaw.h>\nint main(void){char b[32]={0};fread(b,1,31,stdin);"
                        + "fprintf(stderr,\"warning: %s\\n\",b);thaw_log(\"handled\");puts(\"ok\");return 0;}\n"))
                .then().statusCode(201);
        admin().body("first").post("/fn/noisy").then().statusCode(200);
        List<String> lines = List.of();
        for (int i = 0; i < 100 && lines.size() < 2; i++) { // records are written just after the answer
            lines = admin().get("/v1/functions/noisy/logs").jsonPath().getList("logs.line");
            Thread.sleep(10);
        }
        assertTrue(lines.contains("warning: first"), lines.toString());
        assertTrue(lines.contains("handled"), lines.toString());
        admin().get("/v1/functions/noisy/logs").then().body("logs.stream", hasItem("log")).body("logs.stream", hasItem("stderr"));
    }

    @Test
    void followingLogsStreamsNewLinesAsServerSentEvents() throws Exception {
        deploy("chatty", Bundles.function("\"name\": \"chatty\", \"memory_mb\": 16",
                "#include <stdio.h>\nint main(void){char b[32]={0};fread(b,1,31,stdin);"
                        + "fprintf(stderr,\"said %s\\n\",b);return 0;}\n")).then().statusCode(201);
        java.net.http.HttpClient http = java.net.http.HttpClient.newHttpClient();
        java.net.http.HttpRequest follow = java.net.http.HttpRequest.newBuilder(java.net.URI.create(
                        "http://localhost:" + io.restassured.RestAssured.port + "/v1/functions/chatty/logs?follow=true"))
                .header("Authorization", "Bearer " + TOKEN).build();
        java.util.concurrent.BlockingQueue<String> events = new java.util.concurrent.LinkedBlockingQueue<>();
        java.net.http.HttpResponse<java.util.stream.Stream<String>> stream =
                http.send(follow, java.net.http.HttpResponse.BodyHandlers.ofLines());
        assertEquals(200, stream.statusCode());
        assertTrue(stream.headers().firstValue("Content-Type").orElse("").startsWith("text/event-stream"));
        Thread reader = Thread.ofVirtual().start(() -> {
            try (java.util.stream.Stream<String> lines = stream.body()) {
                lines.filter(l -> l.startsWith("data: ")).forEach(events::add);
            } catch (java.io.UncheckedIOException stopped) {
                // interrupted below, once the event came: the end of this reader
            }
        });
        admin().body("live").post("/fn/chatty").then().statusCode(200);
        String event = events.poll(10, java.util.concurrent.TimeUnit.SECONDS);
        reader.interrupt();
        assertTrue(event != null && event.contains("\"line\":\"said live\"") && event.contains("\"stream\":\"stderr\""),
                String.valueOf(event));
    }

    @Test
    void anIdleFunctionScalesToZeroAndItsNextCallSaysCold() throws Exception {
        deploy("sleepy", Bundles.function("\"name\": \"sleepy\", \"memory_mb\": 16, \"idle_timeout_s\": 1",
                "#include <stdio.h>\nint main(void){getchar();puts(\"up\");return 0;}\n")).then().statusCode(201);
        admin().body("x").post("/fn/sleepy").then().statusCode(200).header("Thaw-Warm", "true").header("Thaw-Cold", nullValue());
        long until = System.nanoTime() + 30_000_000_000L; // 1 s idle, 1 s ticks; a busy machine
        int shells;
        do {
            Thread.sleep(200);
            shells = admin().get("/v1/functions/sleepy").jsonPath().getInt("pool.warm_shells");
        } while (shells > 0 && System.nanoTime() < until);
        assertEquals(0, shells, "warm shells after the idle timeout");
        admin().body("x").post("/fn/sleepy").then().statusCode(200).body(equalTo("up\n"))
                .header("Thaw-Warm", "false").header("Thaw-Cold", "true");
        admin().get("/v1/functions/sleepy").then().body("pool.cold_starts", equalTo(1)).body("pool.warm_shells", equalTo(1));
        admin().body("x").post("/fn/sleepy").then().statusCode(200).header("Thaw-Cold", nullValue());
        given().get("/q/metrics").then().body(containsString("thaw_cold_starts_total{function=\"sleepy\"} 1.0"));
    }

    @Test
    void metricsHealthAndOpenApiAreServed() throws Exception {
        deploy("hello", Bundles.folder("functions/hello")).then().statusCode(201);
        admin().body("m").post("/fn/hello").then().statusCode(200);
        given().get("/q/metrics").then().statusCode(200)
                .body(containsString("thaw_invocations_total{function=\"hello\",outcome=\"EXITED\"}"))
                .body(containsString("thaw_invocation_seconds_bucket{function=\"hello\""))
                .body(containsString("thaw_pool_idle_shells{function=\"hello\"}"))
                .body(containsString("thaw_function_warm_shells{function=\"hello\"}"))
                .body(containsString("thaw_function_in_flight{function=\"hello\"}"))
                .body(containsString("thaw_function_queued{function=\"hello\"}"))
                .body(containsString("thaw_cold_starts_total{function=\"hello\"}"))
                .body(containsString("thaw_shell_evictions_total{function=\"hello\"}"))
                .body(containsString("thaw_shell_memory_budget_bytes"))
                .body(containsString("thaw_snapshot_build_seconds_count"));
        given().get("/q/health/ready").then().statusCode(200).body("status", equalTo("UP"));
        given().get("/q/openapi").then().statusCode(200).body(containsString("/fn/{target}"));
        admin().body("echo me").post("/v1/echo").then().statusCode(404); // only when the HTTP benchmark asks for it
    }
}
