package dev.thaw.gateway;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasItem;
import static org.hamcrest.Matchers.not;
import static org.hamcrest.Matchers.nullValue;

import dev.thaw.registry.RedisFunctionRegistry;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import io.restassured.specification.RequestSpecification;
import java.net.InetAddress;
import java.net.ServerSocket;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The triggers API of a cluster gateway over a real redis-server, with no Kafka of its own
 * and no invoker: what it refuses (and the field it names), and how a trigger on a broker
 * nobody answers at shows: created, its error in its status, deleted.
 */
@QuarkusTest
@TestProfile(ClusterProfile.class)
class TriggersApiTest {
    private static final String TOKEN = "test-token";

    @ConfigProperty(name = "thaw.redis-uri")
    String redisUri;

    private static RequestSpecification admin() {
        return given().header("Authorization", "Bearer " + TOKEN).contentType("application/json");
    }

    @BeforeEach
    void aFunctionExists() {
        try (RedisFunctionRegistry functions = new RedisFunctionRegistry(redisUri)) {
            if (functions.latest("echo").isEmpty()) {
                functions.deploy("echo", "{\"name\": \"echo\"}", new byte[] {1});
            }
        }
    }

    private static String nowhere() throws Exception {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return "127.0.0.1:" + s.getLocalPort(); // closed once the test runs: nobody answers there
        }
    }

    @Test
    void theTriggersApiNeedsTheToken() {
        given().get("/v1/triggers").then().statusCode(401);
        given().contentType("application/json").body("{}").post("/v1/triggers").then().statusCode(401);
        given().delete("/v1/triggers/x").then().statusCode(401);
    }

    @Test
    void badFieldsAre400NamingTheField() throws Exception {
        String b = nowhere();
        admin().body("{\"name\": \"t\", \"function\": \"echo\", \"topic\": \"bad topic!\", \"bootstrap\": \"" + b + "\"}")
                .post("/v1/triggers").then().statusCode(400).body("field", equalTo("topic"))
                .body("error", containsString("'bad topic!' is not a Kafka topic name"));
        admin().body("{\"name\": \"t\", \"function\": \"echo\", \"topic\": \"..\", \"bootstrap\": \"" + b + "\"}")
                .post("/v1/triggers").then().statusCode(400).body("field", equalTo("topic"));
        admin().body("{\"name\": \"t\", \"function\": \"echo\", \"topic\": \"" + "x".repeat(250) + "\", \"bootstrap\": \"" + b
                + "\"}").post("/v1/triggers").then().statusCode(400).body("field", equalTo("topic"));
        admin().body("{\"name\": \"t\", \"function\": \"echo\", \"topic\": \"in\", \"batch_size\": 0, \"bootstrap\": \"" + b
                + "\"}").post("/v1/triggers").then().statusCode(400).body("field", equalTo("batch_size"));
        admin().body("{\"name\": \"t\", \"function\": \"echo\", \"topic\": \"in\", \"start\": \"middle\", \"bootstrap\": \"" + b
                + "\"}").post("/v1/triggers").then().statusCode(400).body("field", equalTo("start"));
        admin().body("{\"name\": \"t\", \"function\": \"echo\", \"topic\": \"in\", \"dlq\": \"in\", \"bootstrap\": \"" + b
                + "\"}").post("/v1/triggers").then().statusCode(400).body("field", equalTo("dlq"));
        admin().body("{\"name\": \"Bad_Name\", \"function\": \"echo\", \"topic\": \"in\", \"bootstrap\": \"" + b + "\"}")
                .post("/v1/triggers").then().statusCode(400).body("field", equalTo("name"));
        admin().body("{\"name\": \"t\", \"function\": \"echo\", \"topic\": \"in\", \"colour\": 1}")
                .post("/v1/triggers").then().statusCode(400).body("field", equalTo("colour"));
        admin().body("{\"name\": \"t\", \"function\": \"echo\", \"topic\": \"in\", \"bootstrap\": \"no port\"}")
                .post("/v1/triggers").then().statusCode(400).body("field", equalTo("bootstrap"));
        admin().body("{not json").post("/v1/triggers").then().statusCode(400)
                .body("error", containsString("the body is not JSON"));
        admin().body("[]").post("/v1/triggers").then().statusCode(400)
                .body("error", equalTo("the body must be a JSON object"));
        // This platform has no Kafka: a trigger must name one.
        admin().body("{\"name\": \"t\", \"function\": \"echo\", \"topic\": \"in\"}").post("/v1/triggers")
                .then().statusCode(400).body("field", equalTo("bootstrap"));
        admin().get("/v1/triggers/t").then().statusCode(404);
    }

    @Test
    void anUnknownFunctionIs404() throws Exception {
        admin().body("{\"name\": \"t2\", \"function\": \"nope\", \"topic\": \"in\", \"bootstrap\": \"" + nowhere() + "\"}")
                .post("/v1/triggers").then().statusCode(404).body("error", equalTo("function 'nope' not found"));
        admin().get("/v1/triggers/t2").then().statusCode(404);
    }

    @Test
    void aTriggerOnAnUnreachableBrokerIsCreatedShowsTheErrorAndIsDeleted() throws Exception {
        String b = nowhere();
        admin().body("{\"name\": \"clicks\", \"function\": \"echo\", \"topic\": \"clicks\", \"bootstrap\": \"" + b
                        + "\", \"batch_size\": 100, \"batch_window_ms\": 50, \"start\": \"earliest\", \"dlq\": \"clicks-dlq\"}")
                .post("/v1/triggers").then().statusCode(201).body("name", equalTo("clicks"))
                .body("group", equalTo("thaw-trigger-clicks")).body("batch_size", equalTo(100))
                .body("max_retries", equalTo(2)).body("to", nullValue()).body("created_at", not(nullValue()));
        admin().body("{\"name\": \"clicks\", \"function\": \"echo\", \"topic\": \"other\", \"bootstrap\": \"" + b + "\"}")
                .post("/v1/triggers").then().statusCode(409).body("error", containsString("trigger 'clicks' exists"));

        admin().get("/v1/triggers/clicks").then().statusCode(200).body("topic", equalTo("clicks"))
                .body("status.state", equalTo("error"))
                .body("status.error", equalTo("cannot reach Kafka at " + b + " (no answer within 3 s)"))
                .body("status.lag", nullValue());
        admin().get("/v1/triggers").then().statusCode(200).body("triggers.name", hasItem("clicks"));

        admin().delete("/v1/triggers/clicks").then().statusCode(204);
        admin().delete("/v1/triggers/clicks").then().statusCode(404);
        admin().get("/v1/triggers/clicks").then().statusCode(404).body("error", equalTo("trigger 'clicks' not found"));
        admin().get("/v1/triggers").then().statusCode(200).body("triggers.name", not(hasItem("clicks")));
    }
}
