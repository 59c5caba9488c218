package dev.thaw.gatling;

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
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The Thaw platform a simulation drives: the one {@code FN_GATEWAY} (with {@code FN_TOKEN})
 * names, or else an embedded one it starts itself with {@code ./fn up} on a free loopback
 * port and a state directory of its own, and stops when the simulation ends. With Kafka (for
 * Kafka's simulation): {@code ./fn up --kafka} on a free port pair, or with
 * {@code FN_GATEWAY} the broker {@code FN_KAFKA_BOOTSTRAP} names. A child process
 * rather than the platform inside Gatling's JVM: the figures are then what a client of
 * {@code ./fn up} sees, and Gatling's garbage and threads do not share the platform's JVM.
 */
public final class Platform implements AutoCloseable {
    /** How long ./fn up may take to answer ready (the first start maps the guest toolchain). */
    private static final Duration START_TIMEOUT = Duration.ofSeconds(120);

    private final String url;
    private final String token;
    private final Process process; // null when FN_GATEWAY names the platform
    private final Path state;
    private final String kafkaBootstrap; // null without Kafka
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();

    private Platform(String url, String token, Process process, Path state, String kafkaBootstrap) {
        this.url = url;
        this.token = token;
        this.process = process;
        this.state = state;
        this.kafkaBootstrap = kafkaBootstrap;
    }

    /** The repository Thaw's launchers and functions are in ($THAW_ROOT, set by ./bench). */
    public static Path root() {
        String root = System.getenv("THAW_ROOT");
        return Path.of(root == null || root.isBlank() ? "../.." : root).toAbsolutePath().normalize();
    }

    /** {@code FN_GATEWAY}'s platform when set, else a new embedded one. */
    public static Platform startOrConnect() {
        return startOrConnect(false);
    }

    /**
     * {@code FN_GATEWAY}'s platform and {@code FN_KAFKA_BOOTSTRAP}'s broker when set, else a new
     * embedded one with a local broker of its own ({@code ./fn up --kafka}).
     */
    public static Platform startOrConnectWithKafka() {
        return startOrConnect(true);
    }

    private static Platform startOrConnect(boolean kafka) {
        String gateway = System.getenv("FN_GATEWAY");
        if (gateway != null && !gateway.isBlank()) {
            String token = System.getenv("FN_TOKEN");
            if (token == null || token.isBlank()) {
                throw new IllegalStateException("FN_GATEWAY is " + gateway + " but FN_TOKEN is not set: "
                        + "deploying the functions under test needs the admin token");
            }
            String bootstrap = null;
            if (kafka) {
                bootstrap = System.getenv("FN_KAFKA_BOOTSTRAP");
                if (bootstrap == null || bootstrap.isBlank()) {
                    throw new IllegalStateException("FN_GATEWAY is " + gateway + " but FN_KAFKA_BOOTSTRAP is not set: "
                            + "this simulation produces to and consumes from the platform's Kafka (host:port)");
                }
                bootstrap = bootstrap.strip();
            }
            return new Platform(gateway.replaceAll("/+$", ""), token.strip(), null, null, bootstrap);
        }
        try {
            return startEmbedded(kafka);
        } catch (IOException e) {
            throw new IllegalStateException("cannot start the embedded platform: " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while starting the embedded platform", e);
        }
    }

    private static Platform startEmbedded(boolean kafka) throws IOException, InterruptedException {
        Path state = Files.createTempDirectory("thaw-gatling-");
        int port;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = s.getLocalPort();
        }
        Path log = state.resolve("platform.log");
        Path fn = root().resolve("fn");
        List<String> command = new ArrayList<>(List.of(fn.toString(), "up", "--port", Integer.toString(port),
                "--state", state.toString()));
        String bootstrap = null;
        if (kafka) {
            int kafkaPort = freePortPair();
            command.addAll(List.of("--kafka", "--kafka-port", Integer.toString(kafkaPort)));
            bootstrap = "127.0.0.1:" + kafkaPort;
        }
        Process p = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        String url = "http://127.0.0.1:" + port;
        Platform platform = new Platform(url, null, p, state, bootstrap);
        // Gatling exits through System.exit after a failed assertion: the platform must not outlive it.
        Runtime.getRuntime().addShutdownHook(new Thread(platform::stop));
        HttpClient http = HttpClient.newHttpClient();
        long deadline = System.nanoTime() + START_TIMEOUT.toNanos();
        while (System.nanoTime() < deadline && p.isAlive()) {
            try {
                if (http.send(HttpRequest.newBuilder(URI.create(url + "/q/health/ready")).build(),
                        HttpResponse.BodyHandlers.discarding()).statusCode() == 200) {
                    String token = Files.readString(state.resolve("admin-token")).strip();
                    System.out.println("thaw: embedded platform at " + url + (bootstrap == null ? "" : ", Kafka at " + bootstrap)
                            + " (state " + state + ", log " + log + ")");
                    return new Platform(url, token, p, state, bootstrap);
                }
            } catch (IOException notYet) {
                // still starting
            }
            Thread.sleep(200);
        }
        platform.stop();
        throw new IllegalStateException(String.join(" ", command.subList(1, command.size())) + " did not become ready within "
                + START_TIMEOUT.toSeconds() + " s" + (p.isAlive() ? "" : " (it exited with status " + p.exitValue() + ")")
                + "; its output:\n" + Files.readString(log));
    }

    /**
     * A port P with P + 1 free too: the local broker listens on P and its controller on P + 1
     * (bin/kafka). Free when asked; another process could take them before the broker starts,
     * which then fails to start and says so.
     */
    private static int freePortPair() throws IOException {
        for (int tries = 0; tries < 50; tries++) {
            try (ServerSocket first = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
                int p = first.getLocalPort();
                if (p < 65535) {
                    try (ServerSocket second = new ServerSocket(p + 1, 1, InetAddress.getLoopbackAddress())) {
                        return p;
                    } catch (IOException taken) {
                        // try another
                    }
                }
            }
        }
        throw new IOException("found no two free consecutive loopback ports for the Kafka broker in 50 tries");
    }

    public String url() {
        return url;
    }

    public String token() {
        return token;
    }

    /** The Kafka bootstrap address ({@code host:port}); only for {@link #startOrConnectWithKafka}. */
    public String kafkaBootstrap() {
        if (kafkaBootstrap == null) {
            throw new IllegalStateException("this platform was started without Kafka");
        }
        return kafkaBootstrap;
    }

    /**
     * Creates a trigger ({@code POST /v1/triggers}, docs/API.md) from its JSON; the answer's
     * status and body. The caller judges it (a 400 may say the platform has no Kafka).
     */
    public HttpResponse<String> createTrigger(String json) {
        return admin(HttpRequest.newBuilder(URI.create(url + "/v1/triggers")).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(json)), "creating a trigger");
    }

    /** A trigger and its status ({@code GET /v1/triggers/{name}}): the answer's body. */
    public String trigger(String name) {
        HttpResponse<String> r = admin(HttpRequest.newBuilder(URI.create(url + "/v1/triggers/" + name)).GET(), "reading trigger " + name);
        if (r.statusCode() != 200) {
            throw new IllegalStateException("reading trigger " + name + " at " + url + " answered " + r.statusCode() + ": " + r.body());
        }
        return r.body();
    }

    /** Deletes a trigger ({@code DELETE /v1/triggers/{name}}); one already gone is no error. */
    public void deleteTrigger(String name) {
        try {
            int status = admin(HttpRequest.newBuilder(URI.create(url + "/v1/triggers/" + name)).DELETE(), "deleting trigger " + name).statusCode();
            if (status != 204 && status != 404) {
                System.err.println("thaw: deleting trigger " + name + " from " + url + " answered " + status);
            }
        } catch (IllegalStateException e) {
            System.err.println("thaw: " + e.getMessage());
        }
    }

    private HttpResponse<String> admin(HttpRequest.Builder request, String what) {
        try {
            return http.send(request.header("Authorization", "Bearer " + token).timeout(Duration.ofSeconds(30)).build(),
                    HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new IllegalStateException(what + " at " + url + " failed: " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while " + what, e);
        }
    }

    /** Deploys a function (PUT /v1/functions/{name}); the platform builds its snapshot before answering. */
    public void deploy(String name, byte[] bundle) {
        HttpResponse<String> r;
        try {
            r = http.send(HttpRequest.newBuilder(URI.create(url + "/v1/functions/" + name))
                    .header("Authorization", "Bearer " + token).header("Content-Type", "application/gzip")
                    .timeout(Duration.ofSeconds(120))
                    .PUT(HttpRequest.BodyPublishers.ofByteArray(bundle)).build(), HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new IllegalStateException("deploying " + name + " to " + url + " failed: " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while deploying " + name, e);
        }
        if (r.statusCode() != 201) {
            throw new IllegalStateException("deploying " + name + " to " + url + " answered " + r.statusCode() + ": " + r.body());
        }
    }

    /** Deletes a function (DELETE /v1/functions/{name}); one already gone is no error. */
    public void delete(String name) {
        try {
            int status = http.send(HttpRequest.newBuilder(URI.create(url + "/v1/functions/" + name))
                    .header("Authorization", "Bearer " + token).DELETE().build(), HttpResponse.BodyHandlers.discarding()).statusCode();
            if (status != 204 && status != 404) {
                System.err.println("thaw: deleting " + name + " from " + url + " answered " + status);
            }
        } catch (IOException e) {
            System.err.println("thaw: deleting " + name + " from " + url + " failed: " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Deploys the function in {@code functions/<name>} of the repository. */
    public void deployExample(String name) {
        deploy(name, Bundle.ofDirectory(root().resolve("functions").resolve(name)));
    }

    /**
     * Calls a function for a while from a few threads, before the simulation measures: a
     * platform that just started runs its first thousands of requests in the interpreter and
     * the first JIT tiers, which is not what it sustains. Answers are not checked here (the
     * simulation checks every one of its own).
     */
    public void warmUp(String function, String body, Duration duration) {
        long deadline = System.nanoTime() + duration.toNanos();
        HttpRequest request = HttpRequest.newBuilder(URI.create(url + "/fn/" + function))
                .header("Authorization", "Bearer " + token).POST(HttpRequest.BodyPublishers.ofString(body)).build();
        try (var threads = java.util.concurrent.Executors.newVirtualThreadPerTaskExecutor()) {
            for (int t = 0; t < 4; t++) {
                threads.submit(() -> {
                    while (System.nanoTime() < deadline) {
                        http.send(request, HttpResponse.BodyHandlers.discarding());
                    }
                    return null;
                });
            }
        }
    }

    /** One sync call, its answer not checked (a warm-up of a path the simulation measures later). */
    public void call(String function, String body) {
        try {
            http.send(HttpRequest.newBuilder(URI.create(url + "/fn/" + function)).header("Authorization", "Bearer " + token)
                    .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.discarding());
        } catch (IOException e) {
            throw new IllegalStateException("calling " + function + " at " + url + " failed: " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** A function's pool of VM shells on the platform, as GET /v1/functions/{name} reports it. */
    public String pool(String function) {
        try {
            String body = http.send(HttpRequest.newBuilder(URI.create(url + "/v1/functions/" + function))
                    .header("Authorization", "Bearer " + token).build(), HttpResponse.BodyHandlers.ofString()).body();
            var m = java.util.regex.Pattern.compile("\"pool\"\\s*:\\s*(\\{[^}]*\\})").matcher(body);
            return m.find() ? m.group(1) : "(no pool in the answer)";
        } catch (IOException e) {
            return "(cannot ask: " + e.getMessage() + ")";
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "(interrupted)";
        }
    }

    /** Stops the embedded platform (./fn up stops its gateway on SIGTERM) and deletes its state. */
    @Override
    public void close() {
        stop();
    }

    private void stop() {
        if (process == null) {
            return;
        }
        synchronized (process) { // the shutdown hook and close() both stop it
            process.destroy();
            try {
                if (!process.waitFor(20, TimeUnit.SECONDS)) {
                    process.destroyForcibly();
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            if (Files.exists(state)) {
                deleteTree(state);
            }
        }
    }

    private static void deleteTree(Path state) {
        try (var walk = Files.walk(state)) {
            for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        } catch (IOException e) {
            System.err.println("thaw: could not delete " + state + ": " + e.getMessage());
        }
    }
}
