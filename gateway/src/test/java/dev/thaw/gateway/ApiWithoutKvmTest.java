package dev.thaw.gateway;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import io.restassured.response.Response;
import org.junit.jupiter.api.Test;

/**
 * The API's answers that involve no VM: authentication, names, sizes, unknown functions and
 * invocations, and what happens with no invoker alive. Runs without /dev/kvm (a cluster-mode
 * gateway over a real redis-server, with no invoker).
 */
@QuarkusTest
@TestProfile(ClusterProfile.class)
class ApiWithoutKvmTest {
    private static final String TOKEN = "test-token";

    private static io.restassured.specification.RequestSpecification admin() {
        return given().header("Authorization", "Bearer " + TOKEN);
    }

    @Test
    void theFunctionsApiNeedsTheToken() {
        given().get("/v1/functions").then().statusCode(401).body("error", equalTo("missing or invalid token"));
        given().header("Authorization", "Bearer wrong").get("/v1/functions").then().statusCode(401);
        given().header("Authorization", "Basic " + TOKEN).get("/v1/functions").then().statusCode(401);
        given().body(new byte[] {1}).put("/v1/functions/hello").then().statusCode(401);
        given().delete("/v1/functions/hello").then().statusCode(401);
        given().get("/v1/invocations/inv_000000000000000000000000").then().statusCode(401);
        admin().get("/v1/functions").then().statusCode(200).body("functions.size()", equalTo(0));
    }

    @Test
    void badNamesAndVersionsAre400() {
        admin().body(new byte[] {1}).put("/v1/functions/Bad_Name").then().statusCode(400)
                .body("error", containsString("invalid function name 'Bad_Name'"));
        admin().body("x").post("/fn/-x").then().statusCode(400).body("error", containsString("invalid function name"));
        admin().body("x").post("/fn/hello@zero").then().statusCode(400).body("error", containsString("invalid version 'zero'"));
        admin().body("x").post("/fn/hello@0").then().statusCode(400);
    }

    @Test
    void oversizedBodiesAndBundlesAre413() {
        admin().body(new byte[4097]).post("/fn/hello").then().statusCode(413)
                .body("error", equalTo("request body of 4097 bytes is larger than the limit of 4096"));
        admin().body(new byte[4096]).post("/fn/hello").then().statusCode(404);
        admin().contentType("application/gzip").body(new byte[8193]).put("/v1/functions/big")
                .then().statusCode(413).body("error", equalTo("bundle of 8193 bytes is larger than the limit of 8192"));
    }

    @Test
    void unknownFunctionsAre404WithTheTokenAnd401WithoutIt() {
        admin().body("x").post("/fn/nope").then().statusCode(404).body("error", equalTo("function 'nope' not found"));
        admin().get("/v1/functions/nope").then().statusCode(404);
        admin().delete("/v1/functions/nope").then().statusCode(404);
        admin().get("/v1/functions/nope/logs").then().statusCode(404);
        admin().get("/v1/invocations/inv_000000000000000000000000").then().statusCode(404);
        given().body("x").post("/fn/nope").then().statusCode(401)
                .body("error", equalTo("missing or invalid token (or no public function 'nope')"));
        given().header("Prefer", "respond-async").body("x").post("/fn/nope").then().statusCode(401);
    }

    @Test
    void withNoInvokerAliveDeployingIs503AndTheGatewayIsNotReady() {
        Response r = admin().contentType("application/gzip").body(new byte[] {31, -117, 8, 0}).put("/v1/functions/hello");
        assertEquals(503, r.statusCode(), r.asString());
        r.then().body("error", containsString("no invoker is alive"));
        given().get("/q/health/ready").then().statusCode(503);
        given().get("/q/health/live").then().statusCode(200);
    }

    @Test
    void theAutoscalerExportsTheInvokersTheQueueCallsFor() throws Exception {
        String metrics = "";
        for (int i = 0; i < 50 && !metrics.contains("thaw_desired_invokers 1.0"); i++) { // after its first tick
            metrics = given().get("/q/metrics").asString();
            Thread.sleep(100);
        }
        assertTrue(metrics.contains("thaw_desired_invokers 1.0"), "no invoker alive, no demand: the minimum, 1");
        assertTrue(metrics.contains("thaw_invokers 0.0"), metrics);
        assertTrue(metrics.contains("thaw_invoker_demand 0.0"), metrics);
    }
}
