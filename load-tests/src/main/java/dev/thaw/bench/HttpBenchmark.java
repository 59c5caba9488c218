package dev.thaw.bench;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.zip.GZIPOutputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;

/**
 * The HTTP benchmark behind docs/BENCHMARKS.md: the embedded gateway (what ./fn up runs),
 * {@code hello} deployed, and wrk (Debian's) driving sync invocations with keep-alive; in
 * the same run the same load against {@code POST /v1/echo}, which answers the body without a
 * VM: the ceiling of the HTTP path. Two loads: one connection (latency) and 16 (throughput).
 * The platform's CPU time during the two 16-connection runs gives the engine's CPU per
 * invocation (hello's CPU per request minus echo's) and from it the CPU bound for hello,
 * {@code cpu_bound_rps = cores / (cores / ceiling_rps + engine CPU per invocation)}, and
 * {@code ratio_to_bound}: how much of what the CPU allows the HTTP path reaches.
 *
 * <pre>./bench http [--quick]</pre>
 */
public final class HttpBenchmark {
    private static final Pattern PERCENTILE = Pattern.compile("^\\s+(50|99)%\\s+([\\d.]+)(us|ms|s)\\s*$", Pattern.MULTILINE);
    private static final Pattern RATE = Pattern.compile("Requests/sec:\\s+([\\d.]+)");
    private static final Pattern ERRORS = Pattern.compile("Non-2xx or 3xx responses: (\\d+)");

    private final Path root;
    private final int seconds;
    private final Map<String, String> figures = new LinkedHashMap<>();
    private final List<String> table = new ArrayList<>();

    private HttpBenchmark(Path root, int seconds) {
        this.root = root;
        this.seconds = seconds;
    }

    public static void main(String[] args) throws Exception {
        boolean quick = List.of(args).contains("--quick");
        Path root = Path.of(System.getProperty("thaw.root", ".")).toAbsolutePath().normalize();
        new HttpBenchmark(root, quick ? 3 : 15).run();
    }

    /** What one wrk run reported. */
    private record Load(double p50Ms, double p99Ms, double rps, long errors) {}

    private void run() throws Exception {
        Path state = Files.createTempDirectory("thaw-bench-http-");
        int port;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = s.getLocalPort();
        }
        String url = "http://127.0.0.1:" + port;
        Process gateway = startGateway(state, port);
        try {
            String token = Files.readString(state.resolve("admin-token")).strip();
            deployHello(url, token);
            Path script = state.resolve("post.lua");
            Files.writeString(script, "wrk.method = \"POST\"\nwrk.body = \"Thaw\"\n"
                    + "wrk.headers[\"Authorization\"] = \"Bearer " + token + "\"\n");
            // Warm the JIT and the pool until the rate settles: C2 takes tens of seconds on
            // this host, and 3 s of warm-up measured hello at half its steady rate.
            figures.put("warmup_s", String.valueOf(warmUntilSteady(script, url + "/fn/hello")
                    + warmUntilSteady(script, url + "/v1/echo")));
            Load hello1 = wrk(script, url + "/fn/hello", 1, seconds);
            Load echo1 = wrk(script, url + "/v1/echo", 1, seconds);
            long cpu0 = cpuNanos(gateway);
            Load hello16 = wrk(script, url + "/fn/hello", 16, seconds);
            long cpu1 = cpuNanos(gateway);
            Load echo16 = wrk(script, url + "/v1/echo", 16, seconds);
            long cpu2 = cpuNanos(gateway);
            // The platform's CPU per request, hello and echo, from the same runs: what hello
            // costs beyond echo is the engine's CPU per invocation (vCPU time included, since
            // KVM accounts guest time to the runner thread). The bound: the cores spent on the
            // echo path at its ceiling, plus the engine's share, per request.
            int cores = Runtime.getRuntime().availableProcessors();
            double helloCpuUs = (cpu1 - cpu0) / 1e3 / (hello16.rps() * seconds);
            double echoCpuUs = (cpu2 - cpu1) / 1e3 / (echo16.rps() * seconds);
            double engineCpuUs = Math.max(0, helloCpuUs - echoCpuUs);
            double cpuBoundRps = cores / (cores / echo16.rps() + engineCpuUs / 1e6);
            figures.put("http_p50_ms", ms(hello1.p50Ms()));
            figures.put("http_p99_ms", ms(hello1.p99Ms()));
            figures.put("http_rps", rate(hello16.rps()));
            figures.put("ceiling_rps", rate(echo16.rps()));
            figures.put("ratio_to_ceiling", String.format("%.3f", hello16.rps() / echo16.rps()));
            figures.put("hello_cpu_us_per_request", String.format("%.1f", helloCpuUs));
            figures.put("echo_cpu_us_per_request", String.format("%.1f", echoCpuUs));
            figures.put("engine_cpu_us_per_invocation", String.format("%.1f", engineCpuUs));
            figures.put("cpu_bound_rps", rate(cpuBoundRps));
            figures.put("ratio_to_bound", String.format("%.3f", hello16.rps() / cpuBoundRps));
            figures.put("http_loaded_p50_ms", ms(hello16.p50Ms()));
            figures.put("http_loaded_p99_ms", ms(hello16.p99Ms()));
            figures.put("http_single_connection_rps", rate(hello1.rps()));
            figures.put("ceiling_p50_ms", ms(echo1.p50Ms()));
            figures.put("ceiling_loaded_p99_ms", ms(echo16.p99Ms())); // the HTTP stack's own tail at 16 connections, no VM
            figures.put("http_errors", String.valueOf(hello1.errors() + hello16.errors()));
            table.add(String.format("%-34s %10s %10s %12s", "", "p50", "p99", "requests/s"));
            table.add(row("POST /fn/hello, 1 connection", hello1));
            table.add(row("POST /v1/echo (no VM), 1 connection", echo1));
            table.add(row("POST /fn/hello, 16 connections", hello16));
            table.add(row("POST /v1/echo (no VM), 16 connections", echo16));
            table.add(String.format("throughput of hello relative to the echo ceiling: %.1f%%",
                    100 * hello16.rps() / echo16.rps()));
            table.add(String.format("platform CPU per request: hello %.1f us, echo %.1f us; engine %.1f us per invocation",
                    helloCpuUs, echoCpuUs, engineCpuUs));
            table.add(String.format("CPU bound for hello on %d cores: %.0f requests/s; reached %.1f%%",
                    cores, cpuBoundRps, 100 * hello16.rps() / cpuBoundRps));
        } finally {
            gateway.destroy();
            gateway.waitFor(15, TimeUnit.SECONDS);
            deleteTree(state);
        }
        System.out.println();
        table.forEach(System.out::println);
        System.out.println();
        figures.forEach((k, v) -> System.out.println(k + "=" + v));
    }

    /**
     * Runs 3 s rounds at 16 connections until two rounds in a row differ by less than 5% (at
     * most 90 s); returns the seconds it took.
     */
    private int warmUntilSteady(Path script, String url) throws Exception {
        double previous = 0;
        for (int round = 1; round <= 30; round++) {
            double rps = wrk(script, url, 16, 3).rps();
            if (previous > 0 && Math.abs(rps - previous) < 0.05 * previous) {
                return round * 3;
            }
            previous = rps;
        }
        return 90;
    }

    private Process startGateway(Path state, int port) throws Exception {
        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        Process p = new ProcessBuilder(java.toString(), "--enable-native-access=ALL-UNNAMED",
                "--add-opens", "java.base/java.lang=ALL-UNNAMED", "--sun-misc-unsafe-memory-access=allow",
                "-Dthaw.sysroot=" + System.getProperty("thaw.sysroot"), "-Dthaw.state-dir=" + state,
                "-Dquarkus.http.port=" + port, "-Dthaw.bench-echo=true",
                "-jar", root.resolve("embedded/target/quarkus-app/quarkus-run.jar").toString())
                .redirectErrorStream(true).redirectOutput(state.resolve("gateway.log").toFile()).start();
        HttpClient http = HttpClient.newHttpClient();
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (System.nanoTime() < deadline) {
            try {
                if (http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/q/health/ready")).build(),
                        HttpResponse.BodyHandlers.discarding()).statusCode() == 200) {
                    return p;
                }
            } catch (IOException notYet) {
                // still starting
            }
            if (!p.isAlive()) {
                break;
            }
            Thread.sleep(200);
        }
        p.destroyForcibly();
        throw new IllegalStateException("the gateway did not start:\n" + Files.readString(state.resolve("gateway.log")));
    }

    private void deployHello(String url, String token) throws Exception {
        ByteArrayOutputStream bundle = new ByteArrayOutputStream();
        try (TarArchiveOutputStream tar = new TarArchiveOutputStream(new GZIPOutputStream(bundle))) {
            for (String file : List.of("function.json", "main.c")) {
                byte[] content = Files.readAllBytes(root.resolve("functions/hello").resolve(file));
                TarArchiveEntry e = new TarArchiveEntry(file);
                e.setSize(content.length);
                tar.putArchiveEntry(e);
                tar.write(content);
                tar.closeArchiveEntry();
            }
        }
        HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(url + "/v1/functions/hello"))
                .header("Authorization", "Bearer " + token).header("Content-Type", "application/gzip")
                .PUT(HttpRequest.BodyPublishers.ofByteArray(bundle.toByteArray())).build(), HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() != 201) {
            throw new IllegalStateException("deploying hello failed: " + r.statusCode() + " " + r.body());
        }
    }

    /** One wrk run: a single wrk thread, keep-alive connections, the latency distribution. */
    private static Load wrk(Path script, String url, int connections, int seconds) throws Exception {
        Process p = new ProcessBuilder("wrk", "-t1", "-c" + connections, "-d" + seconds + "s", "--latency",
                "-s", script.toString(), url).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (p.waitFor() != 0) {
            throw new IllegalStateException("wrk failed: " + out);
        }
        Map<String, Double> pct = new LinkedHashMap<>();
        Matcher m = PERCENTILE.matcher(out);
        while (m.find()) {
            double v = Double.parseDouble(m.group(2));
            pct.put(m.group(1), switch (m.group(3)) {
                case "us" -> v / 1000;
                case "s" -> v * 1000;
                default -> v;
            });
        }
        Matcher rate = RATE.matcher(out);
        Matcher errors = ERRORS.matcher(out);
        if (!rate.find() || !pct.containsKey("50") || !pct.containsKey("99")) {
            throw new IllegalStateException("cannot read wrk's output:\n" + out);
        }
        return new Load(pct.get("50"), pct.get("99"), Double.parseDouble(rate.group(1)),
                errors.find() ? Long.parseLong(errors.group(1)) : 0);
    }

    /** CPU time (user + system, every thread) of a process so far, from /proc/PID/stat. */
    private static long cpuNanos(Process p) throws IOException {
        String stat = Files.readString(Path.of("/proc", String.valueOf(p.pid()), "stat"));
        // the fields after the command name, which is in parentheses and may hold spaces
        String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        long ticks = Long.parseLong(f[11]) + Long.parseLong(f[12]); // utime, stime (fields 14, 15)
        return ticks * 1_000_000_000L / CLOCK_TICKS_PER_SECOND;
    }

    /** USER_HZ: 100 on every Linux the JDK runs on (sysconf(_SC_CLK_TCK)). */
    private static final long CLOCK_TICKS_PER_SECOND = 100;

    private static String row(String name, Load l) {
        return String.format("%-34s %7.3f ms %7.3f ms %12.0f%s", name, l.p50Ms(), l.p99Ms(), l.rps(),
                l.errors() > 0 ? "  (" + l.errors() + " errors)" : "");
    }

    private static String ms(double v) {
        return String.format("%.3f", v);
    }

    private static String rate(double v) {
        return String.format("%.0f", v);
    }

    private static void deleteTree(Path dir) throws IOException {
        try (var walk = Files.walk(dir)) {
            for (Path p : walk.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }
}
