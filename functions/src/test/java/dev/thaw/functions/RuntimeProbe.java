package dev.thaw.functions;

import static java.nio.charset.StandardCharsets.UTF_8;

import dev.thaw.invoker.Limits;
import dev.thaw.invoker.Result;
import dev.thaw.invoker.ShellPool;
import dev.thaw.snapshotter.SnapshotBuilder;
import dev.thaw.snapshotter.TestSnapshots;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A runtime probe function (src/test/functions/*-probe), built once and kept open for a test
 * class, and the same handler run by the host's own interpreter for comparison.
 */
final class RuntimeProbe implements AutoCloseable {
    final SnapshotBuilder.Built built;
    final ShellPool pool;

    RuntimeProbe(String name) throws Exception {
        built = TestSnapshots.build("functions/src/test/functions/" + name);
        pool = TestSnapshots.engine().open(built.directory());
    }

    Path dir() {
        return TestSnapshots.root().resolve("functions/src/test/functions/" + built.manifest().name());
    }

    Result invoke(String request) {
        return pool.invoke(request.getBytes(UTF_8), new Limits(java.time.Duration.ofSeconds(10), 1 << 20));
    }

    /** Runs {@code command} in the probe's directory with {@code input} on stdin; returns stdout. */
    String host(List<String> command, String input) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(command).directory(dir().toFile()).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        p.getOutputStream().write(input.getBytes(UTF_8));
        p.getOutputStream().close();
        String out = new String(p.getInputStream().readAllBytes(), UTF_8);
        if (!p.waitFor(30, TimeUnit.SECONDS) || p.exitValue() != 0) {
            throw new IllegalStateException(command.getFirst() + " failed on the host (is it installed? ./test installs it)");
        }
        return out;
    }

    @Override
    public void close() {
        pool.close();
    }
}
