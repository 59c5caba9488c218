package dev.thaw.invoker.service;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.thaw.invoker.Engine;
import dev.thaw.protocol.BuildOutcome;
import dev.thaw.protocol.InvocationResult;
import dev.thaw.invoker.testing.KvmTest;
import dev.thaw.invoker.testing.OpenVms;
import dev.thaw.registry.FunctionVersion;
import dev.thaw.registry.LocalFunctionRegistry;
import dev.thaw.snapshotter.SnapshotStore;
import java.io.ByteArrayOutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import java.util.zip.GZIPOutputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Redeploying keeps the host's VMs and snapshot directories bounded; old versions still run. */
@KvmTest
class FunctionHostTest {
    private static final int RUNNERS = 2;
    private static final String SOURCE = "#include <stdio.h>\nint main(void){char b[64]={0};fread(b,1,63,stdin);"
            + "printf(\"%s:%s\\n\", b, VERSION);return 0;}\n";

    @TempDir
    Path dir;

    private Engine engine;
    private LocalFunctionRegistry registry;
    private FunctionHost host;

    @BeforeEach
    void start() throws Exception {
        engine = Engine.start(RUNNERS);
        registry = new LocalFunctionRegistry(dir.resolve("registry"));
        host = new FunctionHost(engine, new SnapshotStore(dir.resolve("snapshots")), registry, dir.resolve("work"));
    }

    @AfterEach
    void stop() {
        host.close();
        engine.close();
    }

    private static byte[] bundle(int revision) throws Exception {
        Map<String, String> files = new TreeMap<>();
        files.put("function.json", "{\"name\": \"redeployed\", \"memory_mb\": 16, \"cflags\": [\"-O2\", \"-DVERSION=\\\"r"
                + revision + "\\\"\"]}");
        files.put("main.c", SOURCE);
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (TarArchiveOutputStream tar = new TarArchiveOutputStream(new GZIPOutputStream(bytes))) {
            for (Map.Entry<String, String> f : files.entrySet()) {
                byte[] content = f.getValue().getBytes(UTF_8);
                TarArchiveEntry e = new TarArchiveEntry(f.getKey());
                e.setSize(content.length);
                tar.putArchiveEntry(e);
                tar.write(content);
                tar.closeArchiveEntry();
            }
        }
        return bytes.toByteArray();
    }

    private FunctionVersion deploy(int revision) throws Exception {
        byte[] bundle = bundle(revision);
        BuildOutcome d = host.build("redeployed", bundle);
        return registry.deploy("redeployed", d.manifestJson(), bundle);
    }

    private long snapshotDirectories() throws Exception {
        try (Stream<Path> list = Files.list(dir.resolve("snapshots"))) {
            return list.filter(p -> !p.getFileName().toString().startsWith(".")).count();
        }
    }

    private static void awaitAtMost(String what, long bound, java.util.concurrent.Callable<Long> count) throws Exception {
        long until = System.nanoTime() + 20_000_000_000L;
        long n = count.call();
        while (n > bound && System.nanoTime() < until) {
            Thread.sleep(20);
            n = count.call();
        }
        assertTrue(n <= bound, what + ": " + n + ", expected at most " + bound);
    }

    private String call(FunctionVersion v, String input) {
        InvocationResult r = host.invoke(v, input.getBytes(UTF_8)).join();
        assertTrue(r.ok(), r.toString());
        return r.stdoutText();
    }

    @Test
    void fiftyRedeploysLeaveTheVmsAndSnapshotDirectoriesBounded() throws Exception {
        FunctionVersion first = deploy(0);
        assertEquals("a:r0\n", call(first, "a"));
        FunctionVersion last = first;
        for (int i = 1; i <= 50; i++) {
            last = deploy(i);
            assertEquals("b:r" + i + "\n", call(last, "b"));
        }
        // The newest version's warm shells (at most 2 per runner) and the retired ones closing.
        awaitAtMost("VMs open after 50 redeploys", 2L * RUNNERS, () -> OpenVms.shells(engine));
        awaitAtMost("sandboxes open", 1, () -> (long) host.openSandboxes());
        awaitAtMost("snapshot directories", 2, this::snapshotDirectories);

        // An old version stays addressable: it runs again (rebuilt from its bundle), then closes.
        assertEquals("c:r0\n", call(first, "c"));
        assertEquals("d:r50\n", call(last, "d"));
        awaitAtMost("sandboxes open after calling an old version", 1, () -> (long) host.openSandboxes());

        host.forget("redeployed");
        awaitAtMost("VMs after the delete", 0, () -> OpenVms.shells(engine));
        awaitAtMost("snapshot directories after the delete", 0, this::snapshotDirectories);
    }
}
