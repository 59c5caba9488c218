package dev.thaw.snapshotter;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.thaw.invoker.Limits;
import dev.thaw.invoker.ShellPool;
import dev.thaw.invoker.snapshot.SnapshotException;
import dev.thaw.invoker.testing.KvmTest;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.zip.CRC32C;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Building snapshots: caching, refusals, and functions that never reach their snapshot point. */
@KvmTest
class SnapshotBuildTest {
    @TempDir
    Path tmp;

    private static BuildException failure(String dir) {
        return assertThrows(BuildException.class, () -> TestSnapshots.build(dir));
    }

    @Test
    void aGuestThatEndsItselfBeforeItsSnapshotPointIsReported() {
        BuildException e = failure("unikernel-base/tests/init-exits");
        assertEquals(BuildException.Stage.BOOT, e.stage());
        assertEquals("the function exited with status 3 before it read its input", e.getMessage());
    }

    @Test
    void aFunctionThatCrashesWhileInitialisingIsReported() {
        BuildException e = failure("unikernel-base/tests/init-crashes");
        assertEquals(BuildException.Stage.BOOT, e.stage());
        assertTrue(e.getMessage().startsWith("the function crashed while initialising: guest crashed at rip=0x"), e.getMessage());
        assertTrue(e.getMessage().endsWith("(null pointer dereference)"), e.getMessage());
    }

    @Test
    void aFunctionThatNeverReadsStdinTimesOut() {
        BuildException e = failure("unikernel-base/tests/init-loops");
        assertEquals("the function did not reach its first read of stdin within 2000 ms", e.getMessage());
    }

    @Test
    void anUnchangedFunctionIsNotBuiltTwiceAndItsMemoryFileIsSparse() throws Exception {
        SnapshotBuilder.Built a = TestSnapshots.build("functions/hello");
        SnapshotBuilder.Built b = TestSnapshots.build("functions/hello");
        assertTrue(b.cached());
        assertEquals(a.key(), b.key());
        assertEquals(a.directory(), b.directory());
        Path memory = b.directory().resolve("memory");
        // memory_mb, then the file image (the bundle under /function) above it
        assertTrue(Files.size(memory) > 16L << 20 && Files.size(memory) <= (16L << 20) + (64 << 10), "" + Files.size(memory));
        Process du = new ProcessBuilder("du", "--block-size=1", memory.toString()).start();
        long allocated = Long.parseLong(new String(du.getInputStream().readAllBytes()).split("\\s+")[0]);
        assertTrue(allocated < 2L << 20, "memory file uses " + allocated + " bytes of disk");
    }

    @Test
    void changingTheCodeOrTheMemoryChangesTheAddress() throws Exception {
        Path fn = tmp.resolve("fn");
        Files.createDirectories(fn);
        Files.writeString(fn.resolve("main.c"), "#include <stdio.h>\nint main(void){getchar();puts(\"a\");return 0;}\n");
        Files.writeString(fn.resolve("function.json"), "{\"name\": \"fn\", \"memory_mb\": 16}");
        String first = TestSnapshots.builder().build(fn).key();
        Files.writeString(fn.resolve("function.json"), "{\"name\": \"fn\", \"memory_mb\": 16, \"timeout_ms\": 99}");
        assertEquals(first, TestSnapshots.builder().build(fn).key(), "limits do not shape the snapshot");
        Files.writeString(fn.resolve("function.json"), "{\"name\": \"fn\", \"memory_mb\": 32}");
        String bigger = TestSnapshots.builder().build(fn).key();
        assertNotEquals(first, bigger);
        Files.writeString(fn.resolve("main.c"), "#include <stdio.h>\nint main(void){getchar();puts(\"b\");return 0;}\n");
        assertNotEquals(bigger, TestSnapshots.builder().build(fn).key());
    }

    private Path copyOfHello() throws Exception {
        Path src = TestSnapshots.build("functions/hello").directory();
        Path copy = tmp.resolve("copy");
        Files.createDirectories(copy);
        Files.copy(src.resolve("memory"), copy.resolve("memory"));
        Files.copy(src.resolve("state"), copy.resolve("state"));
        return copy;
    }

    /** Rewrites bytes of a state file and fixes its checksum, as another Thaw would have written it. */
    private static void patchState(Path dir, int offset, byte[] bytes) throws IOException {
        byte[] state = Files.readAllBytes(dir.resolve("state"));
        System.arraycopy(bytes, 0, state, offset, bytes.length);
        CRC32C crc = new CRC32C();
        crc.update(state, 0, state.length - 4);
        ByteBuffer.wrap(state).order(ByteOrder.LITTLE_ENDIAN).putInt(state.length - 4, (int) crc.getValue());
        Files.write(dir.resolve("state"), state);
    }

    @Test
    void aSnapshotFromAHostWithOtherCpuFeaturesIsRefused() throws Exception {
        Path copy = copyOfHello();
        patchState(copy, 32, "ffffffffffffffffffffffffffffffff".getBytes());
        SnapshotException e = assertThrows(SnapshotException.class, () -> TestSnapshots.engine().open(copy));
        assertTrue(e.getMessage().contains("was built on a host whose CPU offers other features"), e.getMessage());
        assertTrue(e.getMessage().endsWith("snapshots are per host: rebuild it here"), e.getMessage());
    }

    @Test
    void aSnapshotOfAnotherFormatVersionIsRefused() throws Exception {
        Path copy = copyOfHello();
        patchState(copy, 8, new byte[] {9, 0, 0, 0});
        SnapshotException e = assertThrows(SnapshotException.class, () -> TestSnapshots.engine().open(copy));
        assertTrue(e.getMessage().contains("snapshot format version 9; this Thaw reads version 1"), e.getMessage());
        try (ShellPool ok = TestSnapshots.engine().open(copyOfHelloAgain())) {
            assertTrue(ok.invoke("x".getBytes(), Limits.DEFAULT).ok());
        }
    }

    private Path copyOfHelloAgain() throws Exception {
        Path dir = tmp.resolve("again");
        Files.createDirectories(dir);
        Path src = TestSnapshots.build("functions/hello").directory();
        Files.copy(src.resolve("memory"), dir.resolve("memory"));
        Files.copy(src.resolve("state"), dir.resolve("state"));
        return dir;
    }

    @Test
    void compileErrorsCarryTheCompilersMessage() throws Exception {
        Path fn = tmp.resolve("broken");
        Files.createDirectories(fn);
        Files.writeString(fn.resolve("main.c"), "int main(void) { return undeclared; }\n");
        Files.writeString(fn.resolve("function.json"), "{\"name\": \"broken\"}");
        BuildException e = assertThrows(BuildException.class, () -> TestSnapshots.builder().build(fn));
        assertEquals(BuildException.Stage.COMPILE, e.stage());
        assertTrue(e.getMessage().contains("main.c:1:") && e.getMessage().contains("'undeclared' undeclared"), e.getMessage());
    }

    @Test
    void ordinaryLinuxBinariesAreRefusedBeforeTheyRun() throws Exception {
        Path fn = tmp.resolve("linux");
        Files.createDirectories(fn);
        Files.writeString(fn.resolve("main.c"), "#include <stdio.h>\nint main(void){puts(\"hi\");return 0;}\n");
        gcc(fn, "-static", "-o", "static.elf", "main.c");
        gcc(fn, "-o", "dynamic.elf", "main.c");
        Files.writeString(fn.resolve("function.json"), "{\"name\": \"linux\", \"runtime\": \"elf\", \"binary\": \"static.elf\"}");
        BuildException e = assertThrows(BuildException.class, () -> TestSnapshots.builder().build(fn));
        assertEquals(BuildException.Stage.BINARY, e.stage());
        assertEquals("not linked against Thaw's libc and library OS (no Thaw note); build it with thaw-cc", e.getMessage());
        Files.writeString(fn.resolve("function.json"), "{\"name\": \"linux\", \"runtime\": \"elf\", \"binary\": \"dynamic.elf\"}");
        e = assertThrows(BuildException.class, () -> TestSnapshots.builder().build(fn));
        assertTrue(e.getMessage().startsWith("a position-independent or dynamically linked binary"), e.getMessage());
    }

    @Test
    void aPrebuiltThawBinaryRunsAsIs() throws Exception {
        Path fn = tmp.resolve("prebuilt");
        Files.createDirectories(fn);
        Files.writeString(fn.resolve("main.c"), "#include <stdio.h>\nint main(void){getchar();puts(\"prebuilt\");return 0;}\n");
        Process p = new ProcessBuilder(Toolchain.locate().compiler().toString(), "-O2", "-o", "fn.elf", "main.c")
                .directory(fn.toFile()).inheritIO().start();
        assertEquals(0, p.waitFor());
        Files.delete(fn.resolve("main.c"));
        Files.writeString(fn.resolve("function.json"), "{\"name\": \"prebuilt\", \"runtime\": \"elf\", \"binary\": \"fn.elf\"}");
        SnapshotBuilder.Built built = TestSnapshots.builder().build(fn);
        try (ShellPool s = TestSnapshots.engine().open(built.directory())) {
            assertEquals("prebuilt\n", s.invoke(new byte[0], Limits.DEFAULT).stdoutText());
        }
    }

    private static void gcc(Path dir, String... args) throws Exception {
        String[] cmd = new String[args.length + 1];
        cmd[0] = "gcc";
        System.arraycopy(args, 0, cmd, 1, args.length);
        Process p = new ProcessBuilder(cmd).directory(dir.toFile()).inheritIO().start();
        assertTrue(p.waitFor(60, TimeUnit.SECONDS) && p.exitValue() == 0, "gcc failed");
    }
}
