package dev.thaw.snapshotter;

import dev.thaw.invoker.Engine;
import dev.thaw.invoker.Limits;
import dev.thaw.invoker.Result;
import dev.thaw.invoker.Sandbox;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * Command line for the engine alone (no HTTP):
 * <pre>
 *   build DIR...            build functions into snapshots and print their timings
 *   demo FUNCTIONS_DIR      build every example, invoke each with its sample input, print
 *                           output and timings
 * </pre>
 */
public final class Main {
    private Main() {}

    /** Inputs the demo sends to the examples. */
    private static final Map<String, String> SAMPLE_INPUTS = Map.of(
            "hello", "Thaw",
            "json-transform", "{\"user\": {\"name\": \"Ada\", \"langs\": [\"C\", \"Java\"]}, \"active\": true}",
            "sha256-loop", "1000 Thaw",
            "alloc-touch", "8");

    public static void main(String[] args) throws Exception {
        if (args.length < 2 || !List.of("build", "demo").contains(args[0])) {
            System.err.println("usage: snapshotter build DIR... | demo FUNCTIONS_DIR");
            System.exit(2);
        }
        Path store = Path.of(System.getProperty("thaw.store", System.getProperty("user.home") + "/.cache/thaw/snapshots"));
        try (Engine engine = Engine.start()) {
            SnapshotBuilder builder = new SnapshotBuilder(engine, new SnapshotStore(store));
            if (args[0].equals("build")) {
                for (int i = 1; i < args.length; i++) {
                    print(builder.build(Path.of(args[i])));
                }
            } else {
                demo(engine, builder, Path.of(args[1]));
            }
        } catch (BuildException e) {
            System.err.println("build failed (" + e.stage() + "): " + e.getMessage());
            System.exit(1);
        }
    }

    private static void print(SnapshotBuilder.Built b) {
        String boot = b.cached() ? "cached" : String.format("boot %.2f ms, write %.2f ms, %d KiB of memory",
                b.boot().bootNanos() / 1e6, b.boot().writeNanos() / 1e6, b.boot().memoryBytes() / 1024);
        System.out.printf("%-16s snapshot %s  compile %.0f ms, %s, total %.0f ms%n", b.manifest().name(), b.key(),
                b.compileNanos() / 1e6, boot, b.totalNanos() / 1e6);
    }

    private static void demo(Engine engine, SnapshotBuilder builder, Path functions) throws Exception {
        List<Path> dirs;
        try (var list = Files.list(functions)) {
            dirs = list.filter(d -> Files.isRegularFile(d.resolve(Manifest.FILE))).sorted().toList();
        }
        for (Path dir : dirs) {
            SnapshotBuilder.Built built = builder.build(dir);
            print(built);
            Manifest m = built.manifest();
            String input = SAMPLE_INPUTS.getOrDefault(m.name(), "");
            Limits limits = new Limits(Duration.ofMillis(m.timeoutMs()), m.maxOutputBytes());
            try (Sandbox sandbox = engine.open(built.directory())) {
                Result first = sandbox.invoke(input.getBytes(StandardCharsets.UTF_8), limits);
                Result r = first;
                long best = Long.MAX_VALUE;
                for (int i = 0; i < 200; i++) {
                    r = sandbox.invoke(input.getBytes(StandardCharsets.UTF_8), limits);
                    best = Math.min(best, r.timings().totalNanos());
                }
                System.out.printf("  $ echo '%s' | %s%n", input, m.name());
                for (String line : r.stdoutText().strip().split("\n")) {
                    System.out.println("  " + line);
                }
                if (!r.ok()) {
                    System.out.println("  ! " + r.status() + " " + r.error() + " " + r.stderrText());
                }
                System.out.printf("  first invocation (new VM) %.0f us; warm: %.0f us (best of 200), "
                                + "%d exit(s), %d dirty pages%n%n",
                        first.timings().totalNanos() / 1e3, best / 1e3, r.timings().exits(), r.timings().dirtyPages());
            }
        }
    }
}
