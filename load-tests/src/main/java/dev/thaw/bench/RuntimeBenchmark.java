package dev.thaw.bench;

import dev.thaw.invoker.DedicatedShell;
import dev.thaw.invoker.Engine;
import dev.thaw.invoker.Limits;
import dev.thaw.invoker.Result;
import dev.thaw.invoker.ShellPool;
import dev.thaw.snapshotter.SnapshotBuilder;
import dev.thaw.snapshotter.SnapshotStore;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The runtimes benchmark behind docs/BENCHMARKS.md: a Python and a Lua hello as Thaw
 * functions (warm invocations resumed after the interpreter has started and imported the
 * handler), against the same program started as a process by the host's Debian python3.11
 * and lua5.4 ({@code python3 -c}, {@code lua5.4 -e}), with snapshot sizes and deploy times.
 *
 * <pre>./bench runtimes [--quick]</pre>
 */
public final class RuntimeBenchmark {
    private static final byte[] INPUT = "Thaw".getBytes(StandardCharsets.UTF_8);
    private static final Limits LIMITS = new Limits(Duration.ofSeconds(5), 1 << 20);
    private static final String PYTHON_HELLO =
            "import sys; name = sys.stdin.read().strip() or 'world'; sys.stdout.write('Hello, %s!\\n' % name)";
    private static final String LUA_HELLO =
            "local name = io.read('a'):match('^%s*(.-)%s*$'); if name == '' then name = 'world' end; "
                    + "io.write(('Hello, %s!\\n'):format(name))";

    private final Map<String, String> figures = new LinkedHashMap<>();
    private final List<String> table = new ArrayList<>();
    private final boolean quick;
    private final Path root;

    private RuntimeBenchmark(boolean quick, Path root) {
        this.quick = quick;
        this.root = root;
    }

    public static void main(String[] args) throws Exception {
        boolean quick = Arrays.asList(args).contains("--quick");
        Path root = Path.of(System.getProperty("thaw.root", ".")).toAbsolutePath().normalize();
        new RuntimeBenchmark(quick, root).run();
    }

    private int n(int full) {
        return quick ? Math.max(full / 10, 20) : full;
    }

    private void run() throws Exception {
        Path store = Files.createTempDirectory("thaw-bench-runtimes-");
        try (Engine engine = Engine.start(1)) {
            SnapshotBuilder builder = new SnapshotBuilder(engine, new SnapshotStore(store));
            for (String lang : List.of("python", "lua")) {
                builder.build(root.resolve("functions/hello-" + lang)); // builds the runtime if this machine has none yet
                SnapshotStore.delete(store);
                Files.createDirectories(store);
                SnapshotBuilder.Built built = builder.build(root.resolve("functions/hello-" + lang));
                snapshot(lang, built);
                try (ShellPool pool = engine.open(built.directory(), 1)) {
                    warm(lang, pool);
                }
            }
        } finally {
            SnapshotStore.delete(store);
        }
        process("python", "/usr/bin/python3.11", "-c", PYTHON_HELLO);
        process("lua", "/usr/bin/lua5.4", "-e", LUA_HELLO);
        double speedup = Double.parseDouble(figures.get("python_process_p50_us")) / Double.parseDouble(figures.get("python_warm_p50_us"));
        figures.put("python_speedup_x", String.format("%.1f", speedup));
        figures.put("lua_speedup_x", String.format("%.1f", Double.parseDouble(figures.get("lua_process_p50_us"))
                / Double.parseDouble(figures.get("lua_warm_p50_us"))));
        System.out.println();
        table.forEach(System.out::println);
        System.out.println();
        figures.forEach((k, v) -> System.out.println(k + "=" + v));
    }

    private static void check(Result r) {
        if (!r.ok() || !r.stdoutText().equals("Hello, Thaw!\n")) {
            throw new IllegalStateException("unexpected result " + r + ": " + r.stdoutText() + r.stderrText());
        }
    }

    private void snapshot(String lang, SnapshotBuilder.Built built) throws Exception {
        Path memory = built.directory().resolve("memory");
        long onDisk = Long.parseLong(exec(built.directory(), "du", "--block-size=1", memory.toString()).split("\\s+")[0]);
        figures.put(lang + "_snapshot_mib", String.format("%.1f", onDisk / 1048576.0));
        figures.put(lang + "_guest_memory_mib", String.valueOf(Files.size(memory) >> 20));
        figures.put(lang + "_deploy_ms", String.format("%.1f", built.totalNanos() / 1e6));
        figures.put(lang + "_boot_ms", String.format("%.1f", built.boot().bootNanos() / 1e6));
        table.add(String.format("%-6s deploy %s ms (interpreter start + handler import %s ms), snapshot %s MiB on disk "
                        + "of %s MiB guest memory", lang, figures.get(lang + "_deploy_ms"), figures.get(lang + "_boot_ms"),
                figures.get(lang + "_snapshot_mib"), figures.get(lang + "_guest_memory_mib")));
    }

    private void warm(String lang, ShellPool pool) {
        int count = n(5_000);
        long[] cycle = new long[count];
        long dirty = 0;
        try (DedicatedShell shell = pool.dedicatedShell()) {
            for (int i = 0; i < n(2_000); i++) { // warm up the JIT and the shell
                check(shell.invoke(INPUT, LIMITS));
            }
            for (int i = 0; i < count; i++) {
                long t = System.nanoTime();
                Result r = shell.invoke(INPUT, LIMITS);
                cycle[i] = System.nanoTime() - t;
                check(r);
                dirty += r.timings().dirtyPages();
            }
        }
        figures.put(lang + "_warm_p50_us", us(percentile(cycle, 50)));
        figures.put(lang + "_warm_p99_us", us(percentile(cycle, 99)));
        figures.put(lang + "_dirty_pages_per_invocation", String.format("%.1f", (double) dirty / count));
        table.add(String.format("%-6s warm shell, resume+run+reset  p50 %s us  p99 %s us  (%s dirty pages; n=%d)", lang,
                figures.get(lang + "_warm_p50_us"), figures.get(lang + "_warm_p99_us"),
                figures.get(lang + "_dirty_pages_per_invocation"), count));
    }

    private void process(String lang, String... command) throws Exception {
        Path dir = Files.createTempDirectory("thaw-bench-process-");
        try {
            exec(dir, "gcc", "-O2", "-o", "spawn", root.resolve("load-tests/src/main/c/spawn.c").toString());
            int count = n(500);
            List<String> spawn = new ArrayList<>(List.of(dir.resolve("spawn").toString(), "", "Thaw"));
            spawn.addAll(List.of(command));
            spawn.set(1, String.valueOf(Math.max(count / 10, 5)));
            exec(dir, spawn.toArray(String[]::new)); // warm the page cache
            spawn.set(1, String.valueOf(count));
            long[] t = exec(dir, spawn.toArray(String[]::new)).lines().mapToLong(l -> (long) (Double.parseDouble(l) * 1000)).toArray();
            figures.put(lang + "_process_p50_us", us(percentile(t, 50)));
            figures.put(lang + "_process_p99_us", us(percentile(t, 99)));
            table.add(String.format("%-6s the same hello as a process (%s %s ...)  p50 %s us  p99 %s us  (fork+exec+wait; n=%d)",
                    lang, command[0], command[1], figures.get(lang + "_process_p50_us"), figures.get(lang + "_process_p99_us"), count));
        } finally {
            SnapshotStore.delete(dir);
        }
    }

    private static String exec(Path dir, String... command) throws Exception {
        Process p = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(10, TimeUnit.MINUTES) || p.exitValue() != 0) {
            throw new IllegalStateException(String.join(" ", command) + " failed: " + out);
        }
        return out;
    }

    private static long percentile(long[] values, int p) {
        long[] sorted = values.clone();
        Arrays.sort(sorted);
        return sorted[Math.min(sorted.length - 1, (int) Math.ceil(p / 100.0 * sorted.length) - 1)];
    }

    private static String us(long nanos) {
        return String.format("%.1f", nanos / 1e3);
    }
}
