package dev.thaw.registry;

import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * A real Apache Kafka broker (KRaft, one node) for one test class, started with the project's
 * own {@code bin/kafka} on a free loopback port. Register it on a static field with
 * {@code @RegisterExtension}. The first use on a machine resolves the broker's jars.
 */
public final class KafkaBroker implements BeforeAllCallback, AfterAllCallback {
    private static final Path ROOT = Path.of(System.getProperty("thaw.root", "..")).toAbsolutePath().normalize();
    /** The first start on a machine fetches the broker's jars from Maven Central. */
    private static final Duration START_TIMEOUT = Duration.ofMinutes(5);

    private Path dir;
    private Process process;
    private int port;

    public String bootstrap() {
        return "127.0.0.1:" + port;
    }

    @Override
    public void beforeAll(ExtensionContext context) throws Exception {
        dir = Files.createTempDirectory("thaw-kafka-test");
        port = freePortPair();
        try {
            start();
        } catch (BrokerExited e) {
            // Another process can take a port between our check and the broker's bind (the
            // suite runs many servers); once on new ports, then the failure stands.
            System.err.println("KafkaBroker: " + e.getMessage() + "\nKafkaBroker: starting again on other ports");
            port = freePortPair();
            start();
        }
    }

    /** bin/kafka ended while starting; the message holds its output and the broker's log. */
    private static final class BrokerExited extends Exception {
        private static final long serialVersionUID = 1L;

        BrokerExited(String message) {
            super(message);
        }
    }

    @Override
    public void afterAll(ExtensionContext context) throws Exception {
        stop();
        try (Stream<Path> files = Files.walk(dir)) {
            for (Path file : files.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(file);
            }
        }
    }

    /** Kills the broker at once (SIGKILL); {@link #restart()} brings it back with its data. */
    public void kill() throws InterruptedException {
        process.destroyForcibly().waitFor();
    }

    /** Stops the broker (if it runs) and starts it again on the same port and data. */
    public void restart() throws Exception {
        stop();
        start();
    }

    private void start() throws Exception {
        Path log = dir.resolve("bin-kafka.log");
        process = new ProcessBuilder(ROOT.resolve("bin/kafka").toString(), "--port", Integer.toString(port),
                "--dir", dir.toString())
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
                .start();
        long deadline = System.nanoTime() + START_TIMEOUT.toNanos();
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new BrokerExited("bin/kafka exited with " + process.exitValue() + " on port " + port + ":\n"
                        + Files.readString(log) + brokerLog());
            }
            if (Files.readString(log).contains("kafka: bootstrap ")) {
                return;
            }
            Thread.sleep(100);
        }
        fail("the Kafka broker did not start within " + START_TIMEOUT + ":\n" + Files.readString(log) + brokerLog());
    }

    /** The end of the broker's own log (bin/kafka sends it to a file), for failure messages. */
    private String brokerLog() throws IOException {
        Path log = dir.resolve("broker.log");
        if (!Files.exists(log)) {
            return "\n(no broker.log)";
        }
        String text = Files.readString(log);
        return "\nbroker.log:\n" + text.substring(Math.max(0, text.length() - 4000));
    }

    private void stop() throws InterruptedException {
        if (process != null && process.isAlive()) {
            process.destroy(); // SIGTERM: Kafka shuts down cleanly
            if (!process.waitFor(30, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor();
            }
        }
    }

    /** A free port whose successor (the controller's) is free too. */
    private static int freePortPair() throws IOException {
        for (int attempt = 0; attempt < 50; attempt++) {
            int p;
            try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
                p = s.getLocalPort();
            }
            if (p < 65535 && free(p + 1)) {
                return p;
            }
        }
        throw new IOException("no two free adjacent ports on loopback");
    }

    private static boolean free(int port) {
        try (Socket s = new Socket(InetAddress.getLoopbackAddress(), port)) {
            return false;
        } catch (IOException refused) {
            return true;
        }
    }
}
