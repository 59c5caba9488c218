package dev.thaw.snapshotter;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.thaw.invoker.testing.KvmTest;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Builds run side by side: a stuck compile holds up nobody, and two builds of one snapshot agree. */
@KvmTest
class ConcurrentBuildTest {
    @TempDir
    Path tmp;

    private Path function(String name, String manifestExtra, String mainC) throws Exception {
        Path dir = Files.createDirectories(tmp.resolve(name));
        Files.writeString(dir.resolve("function.json"), "{\"name\": \"" + name + "\", \"memory_mb\": 16" + manifestExtra + "}");
        Files.writeString(dir.resolve("main.c"), mainC);
        return dir;
    }

    private static final String HELLO = "#include <stdio.h>\nint main(void){getchar();puts(\"hi\");return 0;}\n";

    @Test
    void aStuckCompileDoesNotHoldUpAnotherBuild() throws Exception {
        Toolchain toolchain = Toolchain.locate().withLimits(CompileLimits.DEFAULT.withTimeout(Duration.ofSeconds(8)));
        SnapshotBuilder builder = new SnapshotBuilder(TestSnapshots.engine(), TestSnapshots.store(), Duration.ofSeconds(5),
                toolchain);
        Path bomb = function("bomb", "", "#include \"bomb.h\"\nint main(void){return 0;}\n");
        Files.writeString(bomb.resolve("bomb.h"),
                "#if __INCLUDE_LEVEL__ < 40\n#include \"bomb.h\"\n#include \"bomb.h\"\n#endif\n");
        Path ok = function("meanwhile", ", \"env\": {\"RUN\": \"" + UUID.randomUUID() + "\"}", HELLO);

        CompletableFuture<SnapshotBuilder.Built> stuck = CompletableFuture.supplyAsync(() -> {
            try {
                return builder.build(bomb);
            } catch (BuildException e) {
                throw new java.util.concurrent.CompletionException(e);
            }
        });
        Thread.sleep(300); // the bomb is compiling
        SnapshotBuilder.Built built = builder.build(ok);
        assertFalse(built.cached());
        assertFalse(stuck.isDone(), "the other build finished only after the stuck compile ended");

        ExecutionException e = org.junit.jupiter.api.Assertions.assertThrows(ExecutionException.class,
                () -> stuck.get(60, TimeUnit.SECONDS));
        BuildException failure = (BuildException) e.getCause();
        assertEquals(BuildException.Stage.COMPILE, failure.stage());
        assertEquals("the compiler ran longer than 8 s and was stopped", failure.getMessage());
    }

    @Test
    void twoBuildsOfTheSameNewSnapshotBothSucceedWithOneDirectory() throws Exception {
        Path fn = function("twice", ", \"env\": {\"RUN\": \"" + UUID.randomUUID() + "\"}", HELLO);
        SnapshotBuilder builder = TestSnapshots.builder();
        CountDownLatch start = new CountDownLatch(1);
        CompletableFuture<SnapshotBuilder.Built> a = CompletableFuture.supplyAsync(() -> buildAfter(start, builder, fn));
        CompletableFuture<SnapshotBuilder.Built> b = CompletableFuture.supplyAsync(() -> buildAfter(start, builder, fn));
        start.countDown();
        SnapshotBuilder.Built first = a.get(120, TimeUnit.SECONDS);
        SnapshotBuilder.Built second = b.get(120, TimeUnit.SECONDS);
        assertEquals(first.key(), second.key());
        assertEquals(first.directory(), second.directory());
        assertTrue(TestSnapshots.store().contains(first.key()));
        try (Stream<Path> leftovers = Files.list(TestSnapshots.store().root())) {
            assertEquals(0, leftovers.filter(p -> p.getFileName().toString().startsWith("." + first.key())).count(),
                    "a staging directory was left behind");
        }
        try (var sandbox = TestSnapshots.engine().open(first.directory())) {
            assertEquals("hi\n", sandbox.invoke(new byte[0], TestSnapshots.limits(first)).stdoutText());
        }
    }

    private static SnapshotBuilder.Built buildAfter(CountDownLatch start, SnapshotBuilder builder, Path fn) {
        try {
            start.await();
            return builder.build(fn);
        } catch (Exception e) {
            throw new java.util.concurrent.CompletionException(e);
        }
    }
}
