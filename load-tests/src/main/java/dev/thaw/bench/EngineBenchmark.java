package dev.thaw.bench;

import dev.thaw.invoker.DedicatedShell;
import dev.thaw.invoker.Engine;
import dev.thaw.invoker.Limits;
import dev.thaw.invoker.Result;
import dev.thaw.invoker.ShellPool;
import dev.thaw.snapshotter.SnapshotBuilder;
import dev.thaw.snapshotter.SnapshotStore;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

/**
 * The engine benchmark behind docs/BENCHMARKS.md, for the {@code hello} function:
 * (a) warm invocations, (b) a brand-new VM per invocation, (c) snapshot builds, (d) host
 * memory per idle warm shell, (e) the same program started as a Linux process. Prints a
 * table, then every figure as a key=value line.
 *
 * <pre>./bench [--quick]</pre>
 */
public final class EngineBenchmark {
    private static final byte[] INPUT = "Thaw".getBytes(StandardCharsets.UTF_8);
    private static final Limits LIMITS = new Limits(Duration.ofSeconds(1), 1 << 20);

    private final Map<String, String> figures = new LinkedHashMap<>();
    private final List<String> table = new ArrayList<>();
    private final boolean quick;
    private final Path root;

    private EngineBenchmark(boolean quick, Path root) {
        this.quick = quick;
        this.root = root;
    }

    public static void main(String[] args) throws Exception {
        boolean quick = Arrays.asList(args).contains("--quick");
        Path root = Path.of(System.getProperty("thaw.root", ".")).toAbsolutePath().normalize();
        new EngineBenchmark(quick, root).run();
    }

    private int n(int full) {
        return quick ? Math.max(full / 10, 10) : full;
    }

    private void run() throws Exception {
        Path store = Files.createTempDirectory("thaw-bench-store-");
        try (Engine engine = Engine.start(1)) {
            SnapshotBuilder builder = new SnapshotBuilder(engine, new SnapshotStore(store));
            SnapshotBuilder.Built hello = builder.build(root.resolve("functions/hello"));
            try (ShellPool pool = engine.open(hello.directory(), 1)) {
                warm(pool);
                api(pool);
                try (ShellPool roomier = engine.open(hello.directory())) { // room for a shell of the event loop's own
                    hosted(engine, roomier);
                }
                fresh(pool);
            }
            builds(builder);
            memory(engine, hello.directory());
        } finally {
            SnapshotStore.delete(store);
        }
        process();
        System.out.println();
        table.forEach(System.out::println);
        System.out.println();
        figures.forEach((k, v) -> System.out.println(k + "=" + v));
    }

    private static void check(Result r) {
        if (!r.ok() || !r.stdoutText().equals("Hello, Thaw!\n")) {
            throw new IllegalStateException("unexpected result " + r + ": " + r.stdoutText());
        }
    }

    /** (a) resume + run + reset on one warm shell, on the calling thread. */
    private void warm(ShellPool pool) {
        int count = n(20_000);
        long[] cycle = new long[count];
        long[] run = new long[count];
        long[] reset = new long[count];
        long exits = 0;
        long dirty = 0;
        try (DedicatedShell shell = pool.dedicatedShell()) {
            for (int i = 0; i < n(20_000); i++) { // warm up the JIT and the shell
                check(shell.invoke(INPUT, LIMITS));
            }
            for (int i = 0; i < count; i++) {
                long t = System.nanoTime();
                Result r = shell.invoke(INPUT, LIMITS);
                cycle[i] = System.nanoTime() - t;
                check(r);
                run[i] = r.timings().runNanos();
                reset[i] = shell.lastResetNanos();
                exits += r.timings().exits();
                dirty += r.timings().dirtyPages();
            }
        }
        figures.put("warm_p50_us", us(percentile(cycle, 50)));
        figures.put("warm_p99_us", us(percentile(cycle, 99)));
        figures.put("warm_run_p50_us", us(percentile(run, 50)));
        figures.put("warm_reset_p50_us", us(percentile(reset, 50)));
        figures.put("warm_exits_per_invocation", String.format("%.2f", (double) exits / count));
        figures.put("warm_dirty_pages_per_invocation", String.format("%.2f", (double) dirty / count));
        table.add(String.format("(a) warm shell, resume+run+reset  p50 %s us  p99 %s us  (KVM_RUN %s us, reset %s us; "
                        + "%s exits, %s dirty pages per invocation; n=%d)", figures.get("warm_p50_us"),
                figures.get("warm_p99_us"), figures.get("warm_run_p50_us"), figures.get("warm_reset_p50_us"),
                figures.get("warm_exits_per_invocation"), figures.get("warm_dirty_pages_per_invocation"), count));
    }

    /** (a') the same through ShellPool.invoke: a hand-off to a runner thread and back. */
    private void api(ShellPool pool) {
        int count = n(20_000);
        long[] t = new long[count];
        for (int i = 0; i < count / 2; i++) {
            check(pool.invoke(INPUT, LIMITS));
        }
        for (int i = 0; i < count; i++) {
            long s = System.nanoTime();
            check(pool.invoke(INPUT, LIMITS));
            t[i] = System.nanoTime() - s;
        }
        figures.put("api_p50_us", us(percentile(t, 50)));
        figures.put("api_p99_us", us(percentile(t, 99)));
        table.add(String.format("    via ShellPool.invoke (thread hand-off)  p50 %s us  p99 %s us", figures.get("api_p50_us"),
                figures.get("api_p99_us")));
    }

    /**
     * (a'') the same submitted from a thread that hosts invocations ({@link
     * Engine#hostInvocations}), as the gateway's event loops do: a function known to be short
     * runs to its end on the submitting thread, with no hand-off. Each invocation is timed
     * inside a task of that thread, from submit to the result; one that was handed off after
     * all (a runner finished first) is timed to its completion and counted.
     */
    private void hosted(Engine engine, ShellPool pool) throws Exception {
        int count = n(20_000);
        long[] t = new long[count];
        int handedOff = 0;
        ExecutorService loop = Executors.newSingleThreadExecutor(r -> new Thread(r, "bench-event-loop"));
        try {
            loop.submit(() -> engine.hostInvocations(loop)).get();
            long before = engine.invocationsRunOnCallers();
            for (int i = -count / 2; i < count; i++) {
                long[] times = new long[2]; // start; end when the result was there as submit returned
                CompletableFuture<Result> f = loop.submit(() -> {
                    times[0] = System.nanoTime();
                    CompletableFuture<Result> r = pool.submit(INPUT, LIMITS);
                    if (r.isDone()) {
                        times[1] = System.nanoTime();
                    }
                    return r;
                }).get();
                Result r = f.get();
                boolean inline = times[1] != 0;
                long end = inline ? times[1] : System.nanoTime();
                check(r);
                if (i >= 0) {
                    t[i] = end - times[0];
                    handedOff += inline ? 0 : 1;
                }
            }
            figures.put("api_hosted_on_caller_share", String.format("%.3f",
                    (double) (engine.invocationsRunOnCallers() - before) / (count + count / 2)));
        } finally {
            loop.shutdown();
        }
        figures.put("api_hosted_p50_us", us(percentile(t, 50)));
        figures.put("api_hosted_p99_us", us(percentile(t, 99)));
        table.add(String.format("    via ShellPool.submit on an event loop (no hand-off)  p50 %s us  p99 %s us  (%d of %d handed off)",
                figures.get("api_hosted_p50_us"), figures.get("api_hosted_p99_us"), handedOff, count));
    }

    /**
     * (b) snapshot to response on a brand-new VM, timed from the call to its result (not the
     * VM's close after it: see {@link DedicatedShell#lastAnsweredNanos}). Two ways: after the
     * engine finished what the previous one left behind (its VM closed, the VM reserve made up
     * again), which is what the first call of a function finds on a host that is not busy
     * making and closing VMs; and back to back, where that background work runs on the other
     * core at the same time.
     */
    private void fresh(ShellPool pool) throws InterruptedException {
        int count = n(2_000);
        long[] quiet = new long[count];
        long[] quietRun = new long[count]; // of which the guest's first run (KVM_RUN)
        long[] busy = new long[count];
        Duration settle = Duration.ofSeconds(10);
        try (DedicatedShell shell = pool.dedicatedShell()) {
            for (int i = 0; i < count / 4; i++) {
                check(shell.invokeFresh(INPUT, LIMITS));
            }
            for (int i = 0; i < count; i++) {
                shell.awaitBackgroundWork(settle);
                long s = System.nanoTime();
                Result r = shell.invokeFresh(INPUT, LIMITS);
                quiet[i] = shell.lastAnsweredNanos() - s;
                check(r);
                quietRun[i] = r.timings().runNanos();
            }
            shell.awaitBackgroundWork(settle);
            for (int i = 0; i < count; i++) {
                long s = System.nanoTime();
                check(shell.invokeFresh(INPUT, LIMITS));
                busy[i] = shell.lastAnsweredNanos() - s;
            }
        }
        figures.put("fresh_vm_p50_us", us(percentile(quiet, 50)));
        figures.put("fresh_vm_p99_us", us(percentile(quiet, 99)));
        figures.put("fresh_vm_run_p50_us", us(percentile(quietRun, 50)));
        figures.put("fresh_vm_run_p99_us", us(percentile(quietRun, 99)));
        long[] quietSetup = new long[count]; // everything but the first run: the VM from the reserve, the mapping, the registers
        for (int i = 0; i < count; i++) {
            quietSetup[i] = quiet[i] - quietRun[i];
        }
        figures.put("fresh_vm_setup_p50_us", us(percentile(quietSetup, 50)));
        figures.put("fresh_vm_setup_p99_us", us(percentile(quietSetup, 99)));
        figures.put("fresh_vm_back_to_back_p50_us", us(percentile(busy, 50)));
        figures.put("fresh_vm_back_to_back_p99_us", us(percentile(busy, 99)));
        table.add(String.format("(b) new VM from the snapshot        p50 %s us  p99 %s us  (first run's KVM_RUN p50 %s us, p99 %s us; "
                        + "the rest p50 %s us, p99 %s us; n=%d; "
                        + "back to back, while the last VM closes and the next is made: p50 %s us  p99 %s us)",
                figures.get("fresh_vm_p50_us"), figures.get("fresh_vm_p99_us"), figures.get("fresh_vm_run_p50_us"),
                figures.get("fresh_vm_run_p99_us"), figures.get("fresh_vm_setup_p50_us"), figures.get("fresh_vm_setup_p99_us"), count,
                figures.get("fresh_vm_back_to_back_p50_us"), figures.get("fresh_vm_back_to_back_p99_us")));
    }

    /** (c) building hello's snapshot, with and without the compile step. */
    private void builds(SnapshotBuilder builder) throws Exception {
        int count = quick ? 3 : 15;
        long[] total = new long[count];
        long[] compile = new long[count];
        long[] boot = new long[count];
        long[] write = new long[count];
        Path fn = Files.createTempDirectory("thaw-bench-fn-");
        try {
            Files.copy(root.resolve("functions/hello/main.c"), fn.resolve("main.c"));
            for (int i = 0; i < count; i++) {
                // a new environment gives a new snapshot address, so every build really boots
                Files.writeString(fn.resolve("function.json"),
                        "{\"name\": \"hello\", \"memory_mb\": 64, \"env\": {\"BENCH_RUN\": \"" + System.nanoTime() + "\"}}");
                SnapshotBuilder.Built b = builder.build(fn);
                total[i] = b.totalNanos();
                compile[i] = b.compileNanos();
                boot[i] = b.boot().setupNanos() + b.boot().bootNanos();
                write[i] = b.boot().writeNanos();
            }
        } finally {
            SnapshotStore.delete(fn);
        }
        long[] without = new long[count];
        for (int i = 0; i < count; i++) {
            without[i] = total[i] - compile[i];
        }
        figures.put("snapshot_build_ms", ms(percentile(without, 50)));
        figures.put("snapshot_build_with_compile_ms", ms(percentile(total, 50)));
        figures.put("snapshot_boot_ms", ms(percentile(boot, 50)));
        figures.put("snapshot_write_ms", ms(percentile(write, 50)));
        table.add(String.format("(c) snapshot build                 %s ms without compile (boot %s ms, write %s ms), "
                        + "%s ms with compile (median of %d)", figures.get("snapshot_build_ms"), figures.get("snapshot_boot_ms"),
                figures.get("snapshot_write_ms"), figures.get("snapshot_build_with_compile_ms"), count));
    }

    /**
     * (d) host memory an idle warm shell costs, averaged over many shells, in three rounds
     * (the kernel's share varies from round to round; the median is reported).
     */
    private void memory(Engine engine, Path snapshot) throws Exception {
        int shells = quick ? 100 : 1000;
        long[] perShell = new long[3];
        long rss = 0;
        long kernel = 0;
        for (int round = 0; round < perShell.length; round++) {
            System.gc();
            Thread.sleep(500);
            Map<String, Long> before = meminfo();
            long rssBefore = rssKib();
            try (ShellPool pool = engine.open(snapshot, shells)) {
                pool.prewarm(shells, INPUT);
                Thread.sleep(500);
                Map<String, Long> after = meminfo();
                perShell[round] = (used(after) - used(before)) / shells;
                rss = (rssKib() - rssBefore) / shells;
                kernel = (delta(before, after, "Slab") + delta(before, after, "PageTables")
                        + delta(before, after, "SecPageTables") + delta(before, after, "KernelStack")
                        + delta(before, after, "VmallocUsed")) / shells;
            }
            Thread.sleep(1000); // let the closed VMs go
        }
        long[] sorted = perShell.clone();
        Arrays.sort(sorted);
        figures.put("shell_kib", String.valueOf(sorted[1]));
        figures.put("shell_kib_min", String.valueOf(sorted[0]));
        figures.put("shell_kib_max", String.valueOf(sorted[2]));
        figures.put("shell_process_rss_kib", String.valueOf(rss));
        figures.put("shell_kernel_counted_kib", String.valueOf(kernel));
        table.add(String.format("(d) host memory per idle warm shell %s KiB, median of 3 rounds (%s-%s); of which the "
                        + "kernel's counted slab, page tables, stacks and vmalloc %s KiB (%d shells a round)",
                figures.get("shell_kib"), figures.get("shell_kib_min"), figures.get("shell_kib_max"),
                figures.get("shell_kernel_counted_kib"), shells));
    }

    /**
     * Memory in use that is not page cache (free(1)'s "used", with reclaimable slab kept in):
     * kernel memory and anonymous pages. The snapshot's file pages are page cache shared by
     * every shell, so they are not a shell's own cost.
     */
    private static long used(Map<String, Long> m) {
        return m.get("MemTotal") - m.get("MemFree") - m.get("Buffers") - m.get("Cached");
    }

    private static long delta(Map<String, Long> before, Map<String, Long> after, String key) {
        return after.getOrDefault(key, 0L) - before.getOrDefault(key, 0L);
    }

    private static Map<String, Long> meminfo() throws IOException {
        Map<String, Long> m = new LinkedHashMap<>();
        for (String line : Files.readAllLines(Path.of("/proc/meminfo"))) {
            String[] p = line.split(":\\s+");
            m.put(p[0], Long.parseLong(p[1].split(" ")[0]));
        }
        return m;
    }

    private static long rssKib() throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
            if (line.startsWith("VmRSS:")) {
                return Long.parseLong(line.replaceAll("\\D", ""));
            }
        }
        return 0;
    }

    /** (e) hello.c as an ordinary static Linux program (Debian's musl-gcc), fork+exec+wait. */
    private void process() throws Exception {
        Path dir = Files.createTempDirectory("thaw-bench-process-");
        try {
            exec(dir, "musl-gcc", "-static", "-O2", "-o", "hello", root.resolve("functions/hello/main.c").toString());
            exec(dir, "gcc", "-O2", "-o", "spawn", root.resolve("load-tests/src/main/c/spawn.c").toString());
            int count = n(5_000);
            exec(dir, dir.resolve("spawn").toString(), String.valueOf(count / 5), "Thaw", dir.resolve("hello").toString());
            String out = exec(dir, dir.resolve("spawn").toString(), String.valueOf(count), "Thaw", dir.resolve("hello").toString());
            long[] t = out.lines().mapToLong(l -> (long) (Double.parseDouble(l) * 1000)).toArray();
            figures.put("process_p50_us", us(percentile(t, 50)));
            figures.put("process_p99_us", us(percentile(t, 99)));
            table.add(String.format("(e) same hello.c as a Linux process p50 %s us  p99 %s us  (musl-gcc -static, "
                    + "fork+exec+wait; n=%d)", figures.get("process_p50_us"), figures.get("process_p99_us"), count));
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

    private static String ms(long nanos) {
        return String.format("%.1f", nanos / 1e6);
    }
}
