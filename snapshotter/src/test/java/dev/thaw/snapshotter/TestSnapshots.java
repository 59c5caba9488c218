package dev.thaw.snapshotter;

import dev.thaw.invoker.Engine;
import dev.thaw.invoker.Limits;
import dev.thaw.invoker.ShellPool;
import java.nio.file.Path;
import java.time.Duration;

/**
 * One engine and one snapshot store for all the KVM tests of a test JVM, and shortcuts to
 * build a function of this repository and open it.
 */
public final class TestSnapshots {
    private static Engine engine;
    private static SnapshotBuilder builder;

    private TestSnapshots() {}

    /** The repository's root directory. */
    public static Path root() {
        return Path.of(System.getProperty("thaw.root", "..")).toAbsolutePath().normalize();
    }

    public static synchronized Engine engine() {
        if (engine == null) {
            engine = Engine.start(2);
        }
        return engine;
    }

    public static synchronized SnapshotStore store() throws Exception {
        return new SnapshotStore(root().resolve("target/test-snapshots"));
    }

    public static synchronized SnapshotBuilder builder() throws Exception {
        if (builder == null) {
            builder = new SnapshotBuilder(engine(), store(), Duration.ofSeconds(2));
        }
        return builder;
    }

    /** Builds a function directory given relative to the repository root. */
    public static SnapshotBuilder.Built build(String dir) throws Exception {
        return builder().build(root().resolve(dir));
    }

    /** Builds and opens a function; the caller closes the pool. */
    public static ShellPool open(String dir) throws Exception {
        return engine().open(build(dir).directory());
    }

    /** The limits in a built function's manifest. */
    public static Limits limits(SnapshotBuilder.Built built) {
        return new Limits(Duration.ofMillis(built.manifest().timeoutMs()), built.manifest().maxOutputBytes());
    }
}
