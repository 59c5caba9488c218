package dev.thaw.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.junit.jupiter.api.Test;

/** {@code fn up}, as far as it can run without a built gateway. */
class UpCommandTest {
    private static final List<String> NOT_BUILT =
            List.of("fn: the gateway is not built (run ./fn up from the repository, which builds it)");

    @Test
    void refusesWithoutAGatewayJar() {
        String saved = System.clearProperty("thaw.gateway.jar");
        try {
            Cli.Result result = new Cli().run("up");
            assertEquals(1, result.exit());
            assertEquals(NOT_BUILT, result.errLines());
        } finally {
            if (saved != null) {
                System.setProperty("thaw.gateway.jar", saved);
            }
        }
    }

    @Test
    void refusesAGatewayJarThatIsNotThere() {
        String saved = System.setProperty("thaw.gateway.jar", "/nonexistent/gateway-runner.jar");
        try {
            Cli.Result result = new Cli().run("up", "--port", "18080");
            assertEquals(1, result.exit());
            assertEquals(NOT_BUILT, result.errLines());
        } finally {
            if (saved == null) {
                System.clearProperty("thaw.gateway.jar");
            } else {
                System.setProperty("thaw.gateway.jar", saved);
            }
        }
    }
}
