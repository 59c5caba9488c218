package dev.thaw.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code fn up}: runs the embedded platform (gateway and invokers in one JVM) in the
 * foreground, as a child process, until it stops or the CLI is stopped. The gateway prints
 * its URL and admin token itself.
 */
@Command(name = "up", description = "Run the Thaw platform in the foreground.")
final class UpCommand extends Subcommand {
    /** How long a stopped CLI waits for the platform to finish its own shutdown. */
    private static final long SHUTDOWN_SECONDS = 10;

    @Option(names = "--port", paramLabel = "N", defaultValue = "8080",
            description = "The gateway's HTTP port (default: ${DEFAULT-VALUE}).")
    int port;

    @Option(names = "--state", paramLabel = "DIR",
            description = "Where the platform keeps functions, snapshots and its token (default: ~/.thaw/state).")
    Path state;

    @Override
    int run() throws InterruptedException {
        // Set by the launcher script, which builds the gateway first.
        String jar = System.getProperty("thaw.gateway.jar");
        if (jar == null || !Files.isRegularFile(Path.of(jar))) {
            throw new Failure("the gateway is not built (run ./fn up from the repository, which builds it)");
        }
        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        // Native access for the VMM (java.lang.foreign); the rest is for Quarkus and Netty on Java 24+.
        List<String> command = new ArrayList<>(List.of(java.toString(), "--enable-native-access=ALL-UNNAMED",
                "--add-opens", "java.base/java.lang=ALL-UNNAMED", "--sun-misc-unsafe-memory-access=allow"));
        System.getProperties().stringPropertyNames().stream()
                .filter(property -> property.startsWith("thaw."))
                .sorted()
                .forEach(property -> command.add("-D" + property + "=" + System.getProperty(property)));
        // After the forwarded properties, so that these win.
        command.add("-Dquarkus.http.port=" + port);
        command.add("-Dthaw.state-dir=" + (state == null ? fn.stateDir() : state).toAbsolutePath());
        command.addAll(List.of("-jar", jar));
        Process platform;
        try {
            platform = new ProcessBuilder(command).inheritIO().start();
        } catch (IOException e) {
            throw Failure.io("cannot start " + java, e);
        }
        Runtime.getRuntime().addShutdownHook(new Thread(() -> stop(platform)));
        return platform.waitFor();
    }

    /** Asks the platform to shut down and gives it time to, so it does not outlive the CLI. */
    private static void stop(Process platform) {
        platform.destroy();
        try {
            platform.waitFor(SHUTDOWN_SECONDS, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
