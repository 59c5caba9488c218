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

    @Option(names = "--kafka", description = "Start a local Kafka broker beside the platform (bin/kafka; its data "
            + "in the state directory): async invocations and triggers then go through it.")
    boolean kafka;

    @Option(names = "--kafka-port", paramLabel = "N", defaultValue = "9092",
            description = "The local broker's port with --kafka (default: ${DEFAULT-VALUE}).")
    int kafkaPort;

    @Option(names = "--kafka-bootstrap", paramLabel = "HOST:PORT",
            description = "Use this Kafka broker instead of starting one.")
    String kafkaBootstrap;

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
        Path stateDir = (state == null ? fn.stateDir() : state).toAbsolutePath();
        Process broker = null;
        if (kafka && kafkaBootstrap != null) {
            throw new Failure("use either --kafka (start a local broker) or --kafka-bootstrap (use one), not both");
        }
        if (kafka) {
            broker = startBroker(stateDir.resolve("kafka"));
            kafkaBootstrap = "127.0.0.1:" + kafkaPort;
        }
        // After the forwarded properties, so that these win.
        command.add("-Dquarkus.http.port=" + port);
        command.add("-Dthaw.state-dir=" + stateDir);
        if (kafkaBootstrap != null) {
            command.add("-Dthaw.kafka.bootstrap=" + kafkaBootstrap);
        }
        command.addAll(List.of("-jar", jar));
        Process platform;
        try {
            platform = new ProcessBuilder(command).inheritIO().start();
        } catch (IOException e) {
            throw Failure.io("cannot start " + java, e);
        }
        Process localBroker = broker;
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            stop(platform);
            if (localBroker != null) {
                stop(localBroker);
            }
        }));
        int status = platform.waitFor();
        if (localBroker != null) {
            stop(localBroker);
        }
        return status;
    }

    /** Starts bin/kafka and waits until it accepts clients (the first run fetches it: that takes a while). */
    private Process startBroker(Path dir) throws InterruptedException {
        Path script = Path.of(System.getProperty("thaw.root", ".")).resolve("bin/kafka");
        Process broker;
        try {
            broker = new ProcessBuilder(script.toString(), "--port", Integer.toString(kafkaPort), "--dir", dir.toString())
                    .redirectErrorStream(true).start();
        } catch (IOException e) {
            throw Failure.io("cannot start " + script, e);
        }
        try (var lines = new java.io.BufferedReader(new java.io.InputStreamReader(broker.getInputStream(),
                java.nio.charset.StandardCharsets.UTF_8))) {
            for (String line; (line = lines.readLine()) != null; ) {
                out().println(line);
                if (line.startsWith("kafka: bootstrap ")) {
                    Thread.ofVirtual().start(() -> drain(broker)); // keep its pipe from filling up
                    return broker;
                }
            }
        } catch (IOException e) {
            broker.destroyForcibly();
            throw Failure.io("cannot read the broker's output", e);
        }
        int status = broker.waitFor();
        throw new Failure("the Kafka broker stopped with status " + status + " before it accepted clients (see "
                + dir.resolve("broker.log") + ")");
    }

    private static void drain(Process p) {
        try {
            p.getInputStream().transferTo(java.io.OutputStream.nullOutputStream());
        } catch (IOException ignored) {
            // it stopped
        }
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
