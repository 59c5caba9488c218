package dev.thaw.embedded;

import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.thaw.invoker.testing.KvmTest;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.response.Response;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Deploying must not reach the host: what a hostile deployer sends (sources that read host
 * files, options that run programs, compiles that never end or print without end) is refused
 * with a status and a message naming the cause, and no secret of the host is in any answer.
 */
@QuarkusTest
@KvmTest
class DeploySandboxTest {
    /** The gateway's configured admin token (application.properties, test profile). */
    private static final String ADMIN_TOKEN = FunctionsApiTest.TOKEN;
    /** gateway/pom.xml sets the compile timeout for the tests. */
    private static final Duration COMPILE_TIMEOUT = Duration.ofSeconds(
            Long.parseLong(System.getProperty("thaw.compile-timeout", "120s").replace("s", "")));

    /** Names unique to this run: the embedded registry (target/test-state) outlives a test run. */
    private static final String RUN = Long.toString(System.nanoTime() % 1_000_000_000L, 36);

    private static Path secretDir;
    private static Path tokenFile;
    private static String secret;

    @BeforeAll
    static void aTokenFileOnTheHost() throws Exception {
        secretDir = Files.createTempDirectory("thaw-deploy-sandbox-");
        secret = "thaw-admin-" + UUID.randomUUID();
        tokenFile = Files.writeString(secretDir.resolve("admin-token"), secret);
    }

    @AfterAll
    static void removeIt() throws Exception {
        Files.deleteIfExists(tokenFile);
        Files.deleteIfExists(secretDir);
    }

    /** A function that embeds a host file in its binary and prints it when invoked. */
    private static String printsFile(Path file) {
        return "#include <stdio.h>\n"
                + "__asm__(\".section .rodata\\n.globl stolen\\nstolen: .incbin \\\"" + file + "\\\"\\n.byte 0\\n\");\n"
                + "extern const char stolen[];\n"
                + "int main(void) { getchar(); puts(stolen); return 0; }\n";
    }

    private static void assertNoSecretIn(Response r) {
        String body = r.asString();
        assertFalse(body.contains(secret), "the token file's content is in the answer: " + body);
        assertFalse(body.contains(ADMIN_TOKEN), "the admin token is in the answer: " + body);
        assertFalse(body.contains("root:x:0:0"), "/etc/passwd is in the answer: " + body);
    }

    @Test
    void aFunctionCannotAssembleAHostFileIntoItself() throws Exception {
        String name = "steal-token-" + RUN;
        Response r = FunctionsApiTest.deploy(name, Bundles.function("\"name\": \"" + name + "\", \"memory_mb\": 16",
                printsFile(tokenFile)));
        r.then().statusCode(422).body("error", equalTo("the function does not compile"))
                .body("compiler", containsString("file not found: " + tokenFile));
        assertNoSecretIn(r);
        FunctionsApiTest.admin().body("x").post("/fn/" + name).then().statusCode(404);

        // the gateway's own configuration, which holds the admin token in this profile
        Path config = Path.of(getClass().getClassLoader().getResource("application.properties").toURI());
        name = "steal-config-" + RUN;
        r = FunctionsApiTest.deploy(name, Bundles.function("\"name\": \"" + name + "\", \"memory_mb\": 16",
                printsFile(config)));
        r.then().statusCode(422).body("compiler", containsString("file not found: " + config));
        assertNoSecretIn(r);
    }

    @Test
    void aFunctionCannotIncludeAHostFile() throws Exception {
        Response r = FunctionsApiTest.deploy("passwd", Bundles.function("\"name\": \"passwd\"",
                "#include </etc/passwd>\nint main(void) { return 0; }\n"));
        r.then().statusCode(422).body("error", equalTo("the function does not compile"))
                .body("compiler", containsString("/etc/passwd: No such file or directory"));
        assertNoSecretIn(r);
    }

    @Test
    void compilerOptionsThatRunProgramsOrNameFilesAre400() throws Exception {
        for (String flag : new String[] {"--specs=x", "-Wl,-T," + tokenFile, "-fplugin=" + tokenFile, "-MF" + tokenFile}) {
            Response r = FunctionsApiTest.deploy("specs", Bundles.of(Map.of(
                    "function.json", "{\"name\": \"specs\", \"cflags\": [\"-O2\", \"" + flag + "\"]}",
                    "main.c", "int main(void) { return 0; }\n")));
            r.then().statusCode(400).body("field", equalTo("cflags"))
                    .body("error", containsString("'" + flag + "' is not an allowed compiler option"));
            assertNoSecretIn(r);
        }
    }

    @Test
    void anIncludeBombAndEndlessOutputEndIn422WhileAnotherDeploySucceeds() throws Exception {
        String bombName = "bomb-" + RUN;
        String spewName = "spew-" + RUN;
        byte[] bomb = Bundles.of(Map.of(
                "function.json", "{\"name\": \"" + bombName + "\"}",
                "main.c", "#include \"bomb.h\"\nint main(void) { return 0; }\n",
                // 2^40 inclusions: no output, no memory growth, only the timeout ends it
                "bomb.h", "#if __INCLUDE_LEVEL__ < 40\n#include \"bomb.h\"\n#include \"bomb.h\"\n#endif\n"));
        StringBuilder sum = new StringBuilder(); // 20,000 undeclared names: about 100 MB of errors
        for (int i = 0; i < 20_000; i++) {
            sum.append(i == 0 ? "" : "+").append("u").append(i);
        }
        byte[] spew = Bundles.function("\"name\": \"" + spewName + "\"", "int main(void) { return " + sum + "; }\n");

        ExecutorService clients = Executors.newFixedThreadPool(2);
        try {
            long start = System.nanoTime();
            CompletableFuture<Response> bombed = CompletableFuture.supplyAsync(() -> FunctionsApiTest.deploy(bombName, bomb), clients);
            CompletableFuture<Response> spewed = CompletableFuture.supplyAsync(() -> FunctionsApiTest.deploy(spewName, spew), clients);
            Thread.sleep(500); // both are compiling

            FunctionsApiTest.deploy("meanwhile", Bundles.function("\"name\": \"meanwhile\", \"memory_mb\": 16",
                    "#include <stdio.h>\nint main(void){getchar();puts(\"still here\");return 0;}\n"))
                    .then().statusCode(201);
            assertFalse(bombed.isDone(), "the deploy waited for the stuck compile");
            FunctionsApiTest.admin().body("x").post("/fn/meanwhile").then().statusCode(200).body(equalTo("still here\n"));

            long bound = COMPILE_TIMEOUT.toSeconds() + 30; // a busy machine's slack; the old timeout never fired at all
            Response b = bombed.get(bound, TimeUnit.SECONDS);
            b.then().statusCode(422).body("compiler", equalTo("the compiler ran longer than "
                    + COMPILE_TIMEOUT.toSeconds() + " s and was stopped"));
            Response s = spewed.get(bound, TimeUnit.SECONDS);
            s.then().statusCode(422).body("compiler", containsString("[compiler output exceeded 64 KiB (truncated)"));
            assertTrue(s.asString().length() < 80 * 1024, "an answer of " + s.asString().length() + " bytes");
            long seconds = TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - start);
            assertTrue(seconds < bound, "took " + seconds + " s");
        } finally {
            clients.shutdownNow();
        }
        FunctionsApiTest.admin().body("x").post("/fn/" + bombName).then().statusCode(404);
        assertEquals(404, FunctionsApiTest.admin().body("x").post("/fn/" + spewName).statusCode());
    }
}
