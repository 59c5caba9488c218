package dev.thaw.e2e;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A Thaw process started by a test: a gateway (the packaged Quarkus app), an invoker, or
 * the fn CLI, with its output in a log file under target/e2e-logs for when a test fails.
 */
final class Node implements AutoCloseable {
    static final Path ROOT = Path.of(System.getProperty("thaw.root", "..")).toAbsolutePath().normalize();
    static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    private static final Path LOGS = ROOT.resolve("e2e/target/e2e-logs");

    private final Process process;
    private final Path log;

    /** The secret gateways and invokers of the test cluster share. */
    static final String CLUSTER_SECRET = "e2e-cluster-secret";

    private Node(List<String> command, String name) throws IOException {
        this(command, name, Map.of());
    }

    private Node(List<String> command, String name, Map<String, String> environment) throws IOException {
        Files.createDirectories(LOGS);
        this.log = LOGS.resolve(name + ".log");
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile());
        builder.environment().put("THAW_CLUSTER_SECRET", CLUSTER_SECRET);
        builder.environment().putAll(environment);
        this.process = builder.start();
    }

    private static List<String> java(String... more) {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--enable-native-access=ALL-UNNAMED", "--add-opens", "java.base/java.lang=ALL-UNNAMED",
                "--sun-misc-unsafe-memory-access=allow", "-Dthaw.sysroot=" + System.getProperty("thaw.sysroot")));
        cmd.addAll(List.of(more));
        return cmd;
    }

    /** The packaged cluster gateway, with -D settings such as "thaw.redis-uri=...". */
    static Node gateway(String name, int port, String... settings) throws Exception {
        return quarkusApp("gateway", name, port, settings);
    }

    /** The packaged embedded platform (what ./fn up runs), with -D settings such as "thaw.state-dir=...". */
    static Node embedded(String name, int port, String... settings) throws Exception {
        return quarkusApp("embedded", name, port, settings);
    }

    private static Node quarkusApp(String module, String name, int port, String... settings) throws Exception {
        List<String> cmd = java("-Dquarkus.http.port=" + port);
        for (String s : settings) {
            cmd.add("-D" + s);
        }
        cmd.addAll(List.of("-jar", ROOT.resolve(module + "/target/quarkus-app/quarkus-run.jar").toString()));
        Node node = new Node(cmd, name);
        node.awaitReady("http://127.0.0.1:" + port + "/q/health/ready", Duration.ofSeconds(30));
        return node;
    }

    /**
     * A standalone invoker on a free port, registered in Redis. It is given Redis in
     * $THAW_REDIS_URI, as deploy/ gives it (a URI with a password stays out of ps).
     */
    static Node invoker(String name, String redisUri, Path snapshots, String... options) throws Exception {
        List<String> cmd = java("-cp", System.getProperty("java.class.path"), "dev.thaw.invoker.service.InvokerMain",
                "--port", "0", "--id", name, "--runners", "1", "--snapshots", snapshots.toString());
        cmd.addAll(List.of(options));
        Node node = new Node(cmd, name, Map.of("THAW_REDIS_URI", redisUri));
        node.awaitLine("listening on", Duration.ofSeconds(30));
        return node;
    }

    /** Runs the fn CLI to completion; returns its exit code and output. */
    static Run fn(String... args) throws Exception {
        List<String> cmd = java("-cp", System.getProperty("java.class.path"), "dev.thaw.cli.Fn");
        cmd.addAll(List.of(args));
        Node node = new Node(cmd, "fn-" + args[args.length > 4 ? 4 : args.length - 1].replaceAll("\\W", "_"));
        int code = node.process.waitFor();
        return new Run(code, Files.readString(node.log));
    }

    record Run(int exitCode, String output) {}

    static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    static HttpResponse<String> post(String url, String token, String body) throws Exception {
        HttpRequest.Builder r = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(20))
                .POST(HttpRequest.BodyPublishers.ofString(body));
        if (token != null) {
            r.header("Authorization", "Bearer " + token);
        }
        return HTTP.send(r.build(), HttpResponse.BodyHandlers.ofString());
    }

    static HttpResponse<String> get(String url, String token) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(20))
                .header("Authorization", "Bearer " + token).GET().build(), HttpResponse.BodyHandlers.ofString());
    }

    private void awaitReady(String url, Duration timeout) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new AssertionError("process exited with " + process.exitValue() + ":\n" + Files.readString(log));
            }
            try {
                if (HTTP.send(HttpRequest.newBuilder(URI.create(url)).GET().build(), HttpResponse.BodyHandlers.discarding())
                        .statusCode() == 200) {
                    return;
                }
            } catch (IOException notYet) {
                // not listening yet
            }
            Thread.sleep(100);
        }
        throw new AssertionError(url + " not ready after " + timeout + ":\n" + Files.readString(log));
    }

    private void awaitLine(String text, Duration timeout) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            if (Files.readString(log).contains(text)) {
                return;
            }
            if (!process.isAlive()) {
                throw new AssertionError("process exited with " + process.exitValue() + ":\n" + Files.readString(log));
            }
            Thread.sleep(50);
        }
        throw new AssertionError("no '" + text + "' after " + timeout + ":\n" + Files.readString(log));
    }

    /** The URL an invoker announced ("listening on URL"). */
    String announcedUrl() throws IOException {
        for (String line : Files.readAllLines(log)) {
            int at = line.indexOf("listening on ");
            if (at >= 0) {
                return line.substring(at + "listening on ".length()).strip();
            }
        }
        throw new AssertionError("no 'listening on' line in " + log);
    }

    /** Sends an invocation without waiting for it. */
    static java.util.concurrent.CompletableFuture<HttpResponse<String>> postAsync(String url, String token, String body) {
        HttpRequest.Builder r = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(30))
                .POST(HttpRequest.BodyPublishers.ofString(body));
        if (token != null) {
            r.header("Authorization", "Bearer " + token);
        }
        return HTTP.sendAsync(r.build(), HttpResponse.BodyHandlers.ofString());
    }

    /** Kills the process at once (SIGKILL), as a crash would. */
    void kill() throws InterruptedException {
        process.destroyForcibly().waitFor();
    }

    /** Stops the process cleanly (SIGTERM) and waits for it. */
    @Override
    public void close() throws InterruptedException {
        process.destroy();
        if (!process.waitFor(Duration.ofSeconds(15))) {
            process.destroyForcibly().waitFor();
        }
    }
}
