package dev.thaw.bench;

import dev.thaw.invoker.Engine;
import dev.thaw.invoker.service.FunctionHost;
import dev.thaw.invoker.service.ShellMemoryBudget;
import dev.thaw.protocol.BuildOutcome;
import dev.thaw.protocol.InvocationResult;
import dev.thaw.registry.FunctionVersion;
import dev.thaw.registry.LocalFunctionRegistry;
import dev.thaw.snapshotter.SnapshotStore;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.zip.GZIPOutputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;

/**
 * Density: many distinct small functions on one host. Deploys N functions (10,000 by
 * default) to one {@link FunctionHost} (the invoker half of the embedded platform, in this
 * JVM), invokes each once, lets them go idle (scaled to zero: {@code idle_timeout_s} 1), then
 * invokes a random 2,000 of them one at a time. Every function is the same hello binary,
 * compiled once with thaw-cc and deployed as a {@code "runtime": "elf"} bundle under its own
 * name, so each has a snapshot of its own without 10,000 compiles.
 *
 * <p>Idle memory per function is what the JVM and its mappings grew by, per function, with
 * every function idle: heap in use after a full GC, plus anonymous resident memory outside
 * the (fixed, pre-touched) heap, plus page tables. The snapshots' page cache is not counted
 * (the kernel may drop it). Disk is what {@code du} finds in the snapshot store and the
 * registry.
 *
 * <p>The first calls run one after the other, back to back by default: each leaves the host
 * work to do after its answer (closing the VM when it idles out, making the next reserved VM:
 * ~1 ms of kernel time each here), which competes with the next call on a 2-core host.
 * {@code --pause-ms} spaces them, for the first call of an idle function on a quiet host.
 *
 * <pre>./bench density [--functions N] [--sample M] [--pause-ms P]</pre>
 */
public final class DensityBenchmark {
    private static final byte[] INPUT = "Thaw".getBytes(StandardCharsets.UTF_8);

    private final Map<String, String> figures = new LinkedHashMap<>();
    private final Path root;
    private final int functions;
    private final int sample;
    private final int pauseMillis; // between the first calls: 0 back to back; more lets the host's background work finish

    private DensityBenchmark(Path root, int functions, int sample, int pauseMillis) {
        this.root = root;
        this.functions = functions;
        this.sample = Math.min(sample, functions);
        this.pauseMillis = pauseMillis;
    }

    public static void main(String[] args) throws Exception {
        int functions = 10_000;
        int sample = 2_000;
        int pauseMillis = 0;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--functions" -> functions = Integer.parseInt(args[++i]);
                case "--sample" -> sample = Integer.parseInt(args[++i]);
                case "--pause-ms" -> pauseMillis = Integer.parseInt(args[++i]);
                default -> throw new IllegalArgumentException("bench density: unknown option " + args[i]
                        + " (--functions N, --sample M, --pause-ms P)");
            }
        }
        Path root = Path.of(System.getProperty("thaw.root", ".")).toAbsolutePath().normalize();
        new DensityBenchmark(root, functions, sample, pauseMillis).run();
    }

    private void run() throws Exception {
        Path work = Files.createTempDirectory("thaw-bench-density-");
        try (Engine engine = Engine.start()) {
            engine.shellMemoryBudget(ShellMemoryBudget.parse(ShellMemoryBudget.DEFAULT));
            byte[] binary = compileHello(work);
            LocalFunctionRegistry registry = new LocalFunctionRegistry(work.resolve("registry"));
            try (FunctionHost host = new FunctionHost(engine, new SnapshotStore(work.resolve("snapshots")), registry,
                    work.resolve("work"))) {
                measure(engine, host, registry, binary, work);
            }
        } finally {
            SnapshotStore.delete(work);
        }
        System.out.println();
        figures.forEach((k, v) -> System.out.println(k + "=" + v));
    }

    private void measure(Engine engine, FunctionHost host, LocalFunctionRegistry registry, byte[] binary, Path work)
            throws Exception {
        Memory before = Memory.now();
        List<FunctionVersion> deployed = new ArrayList<>(functions);
        long deployNanos = 0;
        long started = System.nanoTime();
        for (int i = 0; i < functions; i++) {
            String name = String.format("d%05d", i);
            byte[] bundle = bundle(name, binary);
            long t = System.nanoTime();
            BuildOutcome built = host.build(name, bundle);
            FunctionVersion v = registry.deploy(name, built.manifestJson(), bundle);
            deployNanos += System.nanoTime() - t;
            deployed.add(v);
            check(host.invoke(v, INPUT).join());
            if ((i + 1) % 1000 == 0) {
                System.err.printf("density: %d functions deployed and invoked (%.0f s)%n", i + 1,
                        (System.nanoTime() - started) / 1e9);
            }
        }
        long deployRate = Math.round(functions / (deployNanos / 1e9));

        // Idle: every pool scaled to zero (1 s idle timeout, 1 s ticks) and its VMs closed.
        long until = System.nanoTime() + 300_000_000_000L;
        while ((host.activePools() > 0 || engine.shellMemory() > 0) && System.nanoTime() < until) {
            Thread.sleep(200);
        }
        if (host.activePools() > 0 || engine.shellMemory() > 0) {
            throw new IllegalStateException("not idle after 300 s: " + host.activePools() + " pools sized, "
                    + engine.shellMemory() + " bytes of shells");
        }
        Memory idle = Memory.now();
        long idleMappings = Files.readAllLines(Path.of("/proc/self/maps")).size(); // what each VM creation walks
        long idleBytes = idle.minus(before);
        long disk = du(work.resolve("snapshots")) + du(work.resolve("registry"));

        // The first call of an idle function: its VM created from the snapshot.
        List<FunctionVersion> chosen = new ArrayList<>(deployed);
        Collections.shuffle(chosen, new Random(42)); // distinct functions: each call is an idle one's first
        long[] latency = new long[sample];
        long[] queue = new long[sample]; // admitted to taken up by a runner
        long[] vm = new long[sample]; // the VM made from the snapshot, the request delivered
        long[] run = new long[sample]; // the guest running
        long[] outside = new long[sample]; // outside the engine: the function host, the hand-offs between threads
        int cold = 0;
        long recycled = engine.recycledVms();
        long reused = engine.reusedVms();
        long majorFaults = majorFaults();
        for (int i = 0; i < sample; i++) {
            if (pauseMillis > 0) {
                Thread.sleep(pauseMillis);
            }
            FunctionVersion v = chosen.get(i);
            long t = System.nanoTime();
            InvocationResult r = host.invoke(v, INPUT).join();
            latency[i] = System.nanoTime() - t;
            queue[i] = r.timings().queueNanos();
            run[i] = r.timings().runNanos();
            vm[i] = r.timings().totalNanos() - queue[i] - run[i];
            outside[i] = latency[i] - r.timings().totalNanos();
            check(r);
            cold += r.timings().warm() ? 0 : 1;
        }
        majorFaults = majorFaults() - majorFaults;
        recycled = engine.recycledVms() - recycled;
        reused = engine.reusedVms() - reused;
        Arrays.sort(latency);
        Arrays.sort(queue);
        Arrays.sort(vm);
        Arrays.sort(outside);
        Arrays.sort(run);
        int p99 = Math.min(sample - 1, sample * 99 / 100);

        figures.put("density_functions", String.valueOf(functions));
        figures.put("idle_kib_per_function", String.format("%.1f", idleBytes / 1024.0 / functions));
        figures.put("idle_heap_kib_per_function", String.format("%.1f", (idle.heapUsed - before.heapUsed) / 1024.0 / functions));
        figures.put("idle_anon_kib_per_function", String.format("%.1f", (idle.rssAnon - before.rssAnon) / 1024.0 / functions));
        figures.put("idle_page_tables_kib_per_function", String.format("%.1f",
                (idle.pageTables - before.pageTables) / 1024.0 / functions));
        figures.put("disk_kib_per_function", String.valueOf(disk / 1024 / functions));
        figures.put("deploy_per_s", String.valueOf(deployRate));
        figures.put("cold_calls", sample + " (" + cold + " of them cold, " + pauseMillis + " ms apart)");
        figures.put("cold_call_p50_ms", String.format("%.3f", latency[sample / 2] / 1e6));
        figures.put("cold_call_queue_p50_ms", String.format("%.3f", queue[sample / 2] / 1e6));
        figures.put("cold_call_vm_p50_ms", String.format("%.3f", vm[sample / 2] / 1e6));
        figures.put("cold_call_run_p50_ms", String.format("%.3f", run[sample / 2] / 1e6));
        figures.put("cold_call_host_p50_ms", String.format("%.3f", outside[sample / 2] / 1e6));
        figures.put("cold_call_p99_ms", String.format("%.3f", latency[p99] / 1e6));
        figures.put("cold_call_queue_p99_ms", String.format("%.3f", queue[p99] / 1e6));
        figures.put("cold_call_vm_p99_ms", String.format("%.3f", vm[p99] / 1e6));
        figures.put("cold_call_run_p99_ms", String.format("%.3f", run[p99] / 1e6));
        figures.put("cold_call_host_p99_ms", String.format("%.3f", outside[p99] / 1e6));
        figures.put("process_mappings_idle", String.valueOf(idleMappings));
        figures.put("cold_call_recycled_vms", reused + " of the calls ran in a VM recycled from a retired shell ("
                + recycled + " recycled meanwhile)");
        figures.put("cold_call_major_faults", String.valueOf(majorFaults)); // pages read from disk: the snapshot was not in the page cache
    }

    private static void check(InvocationResult r) {
        if (!r.ok() || !r.stdoutText().equals("Hello, Thaw!\n")) {
            throw new IllegalStateException("unexpected result " + r + ": " + r.stdoutText());
        }
    }

    /** The hello function, compiled once with the driver the build installs. */
    private byte[] compileHello(Path work) throws Exception {
        Path out = work.resolve("hello");
        Process p = new ProcessBuilder(root.resolve("unikernel-base/target/sysroot/bin/thaw-cc").toString(), "-O2", "-o",
                out.toString(), root.resolve("functions/hello/main.c").toString()).inheritIO().start();
        if (p.waitFor() != 0) {
            throw new IllegalStateException("thaw-cc failed on functions/hello/main.c: exit " + p.exitValue());
        }
        return Files.readAllBytes(out);
    }

    private static byte[] bundle(String name, byte[] binary) throws IOException {
        byte[] manifest = ("{\"name\": \"" + name + "\", \"runtime\": \"elf\", \"binary\": \"hello\", \"memory_mb\": 8, "
                + "\"timeout_ms\": 1000, \"idle_timeout_s\": 1}").getBytes(StandardCharsets.UTF_8);
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (TarArchiveOutputStream tar = new TarArchiveOutputStream(new GZIPOutputStream(bytes))) {
            entry(tar, "function.json", manifest, 0644);
            entry(tar, "hello", binary, 0755);
        }
        return bytes.toByteArray();
    }

    private static void entry(TarArchiveOutputStream tar, String name, byte[] content, int mode) throws IOException {
        TarArchiveEntry e = new TarArchiveEntry(name);
        e.setSize(content.length);
        e.setMode(mode);
        tar.putArchiveEntry(e);
        tar.write(content);
        tar.closeArchiveEntry();
    }

    /** Page faults of this process that read from disk so far (field 12 of /proc/self/stat). */
    private static long majorFaults() throws IOException {
        String stat = Files.readString(Path.of("/proc/self/stat"));
        return Long.parseLong(stat.substring(stat.lastIndexOf(')') + 2).split(" ")[9]);
    }

    /** Disk blocks under {@code dir}, in bytes (sparse snapshot files count what they use). */
    private static long du(Path dir) throws Exception {
        Process p = new ProcessBuilder("du", "-sk", dir.toString()).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (p.waitFor() != 0) {
            throw new IllegalStateException("du -sk " + dir + " failed");
        }
        return Long.parseLong(out.split("\\s+")[0]) * 1024;
    }

    /** The process's memory that functions can grow: heap in use, anonymous memory beyond the heap, page tables. */
    private record Memory(long heapUsed, long rssAnon, long pageTables) {
        static Memory now() throws Exception {
            MemoryMXBean mx = ManagementFactory.getMemoryMXBean();
            for (int i = 0; i < 3; i++) {
                System.gc();
                Thread.sleep(100);
            }
            long heap = mx.getHeapMemoryUsage().getUsed();
            long anon = 0;
            long pte = 0;
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("RssAnon:")) {
                    anon = kib(line) * 1024;
                } else if (line.startsWith("VmPTE:")) {
                    pte = kib(line) * 1024;
                }
            }
            return new Memory(heap, anon, pte);
        }

        private static long kib(String line) {
            return Long.parseLong(line.replaceAll("[^0-9]", ""));
        }

        /** Growth since {@code earlier}: the heap's use, what anonymous memory grew beyond the pre-touched heap, page tables. */
        long minus(Memory earlier) {
            return (heapUsed - earlier.heapUsed) + Math.max(0, rssAnon - earlier.rssAnon) + (pageTables - earlier.pageTables);
        }
    }
}
