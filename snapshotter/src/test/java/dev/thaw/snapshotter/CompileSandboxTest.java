package dev.thaw.snapshotter;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The compile sandbox against what a hostile deployer writes: sources that read host files,
 * run forever or print without end. Real bubblewrap, real gcc.
 */
class CompileSandboxTest {
    /** One sandboxed toolchain for the class: its first compile checks the sandbox works here. */
    private static final Toolchain SANDBOXED = Toolchain.locate().withLimits(CompileLimits.DEFAULT.withTimeout(
            Duration.ofSeconds(5)));

    @TempDir
    Path tmp;

    private Path function(String mainC) throws IOException {
        Path dir = Files.createDirectories(tmp.resolve("fn-" + UUID.randomUUID()));
        Files.writeString(dir.resolve("main.c"), mainC);
        return dir;
    }

    private static Toolchain.CompileException refused(Toolchain toolchain, Path dir, List<String> flags) {
        return assertThrows(Toolchain.CompileException.class,
                () -> toolchain.compile(dir, List.of("main.c"), flags, dir.resolveSibling(dir.getFileName() + ".elf")));
    }

    @Test
    void aHostFileCannotBeAssembledIntoTheFunction() throws Exception {
        String secret = "thaw-secret-" + UUID.randomUUID();
        Path token = Files.writeString(tmp.resolve("admin-token"), secret);
        Path dir = function("__asm__(\".section .rodata\\n.globl stolen\\nstolen: .incbin \\\"" + token
                + "\\\"\\n.byte 0\\n\");\nextern const char stolen[];\n"
                + "int main(void) { return stolen[0]; }\n");

        Toolchain.CompileException e = refused(SANDBOXED, dir, List.of("-O2"));
        assertTrue(e.getMessage().contains("Error: file not found: " + token), e.getMessage());
        assertFalse(e.getMessage().contains(secret));

        // The same source without the sandbox carries the secret: the attack is real.
        Path elf = tmp.resolve("unsandboxed.elf");
        SANDBOXED.unsandboxed().compile(dir, List.of("main.c"), List.of("-O2"), elf);
        assertTrue(new String(Files.readAllBytes(elf), StandardCharsets.ISO_8859_1).contains(secret));
    }

    @Test
    void hostHeadersCannotBeIncludedByAbsoluteOrRelativePath() throws Exception {
        Toolchain.CompileException e = refused(SANDBOXED, function("#include </etc/passwd>\nint main(void){return 0;}\n"),
                List.of());
        assertTrue(e.getMessage().contains("/etc/passwd: No such file or directory"), e.getMessage());
        assertFalse(e.getMessage().contains("root:x:0:0"));

        e = refused(SANDBOXED, function("#include \"../../../../../../../etc/passwd\"\nint main(void){return 0;}\n"),
                List.of());
        assertTrue(e.getMessage().contains("etc/passwd: No such file or directory"), e.getMessage());
    }

    @Test
    void theBundlesOwnFilesAreThere() throws Exception {
        Path dir = function("#include \"inc/greeting.h\"\n"
                + "__asm__(\".section .rodata\\n.globl data\\ndata: .incbin \\\"data.bin\\\"\\n\");\n"
                + "extern const char data[];\nint main(void){return GREETING + data[0];}\n");
        Files.createDirectories(dir.resolve("inc"));
        Files.writeString(dir.resolve("inc/greeting.h"), "#define GREETING 1\n");
        Files.write(dir.resolve("data.bin"), new byte[] {42});
        Path elf = tmp.resolve("ok.elf");
        SANDBOXED.compile(dir, List.of("main.c"), List.of("-O2", "-Iinc"), elf);
        assertTrue(Files.size(elf) > 1000);
    }

    /** As a fresh clone in `mktemp -d`: a sysroot the sandbox's user cannot reach, under /tmp. */
    @Test
    void aSysrootInAPrivateDirectoryUnderTmpWorks() throws Exception {
        Path home = Files.createTempDirectory("thaw-private-"); // 0700
        try {
            Path sysroot = home.resolve("sysroot");
            Files.walkFileTree(SANDBOXED.sysroot(), new java.nio.file.SimpleFileVisitor<>() {
                @Override
                public java.nio.file.FileVisitResult preVisitDirectory(Path d, java.nio.file.attribute.BasicFileAttributes a)
                        throws IOException {
                    Files.createDirectories(sysroot.resolve(SANDBOXED.sysroot().relativize(d).toString()));
                    return java.nio.file.FileVisitResult.CONTINUE;
                }

                @Override
                public java.nio.file.FileVisitResult visitFile(Path f, java.nio.file.attribute.BasicFileAttributes a)
                        throws IOException {
                    Files.copy(f, sysroot.resolve(SANDBOXED.sysroot().relativize(f).toString()),
                            java.nio.file.StandardCopyOption.COPY_ATTRIBUTES);
                    return java.nio.file.FileVisitResult.CONTINUE;
                }
            });
            Path specs = sysroot.resolve("lib/thaw.specs"); // as make writes it for this location
            Files.writeString(specs, Files.readString(specs).replace(SANDBOXED.sysroot().toString(), sysroot.toString()));

            Path dir = function("#include <stdio.h>\nint main(void){puts(\"hi\");return 0;}\n");
            Path elf = tmp.resolve("private.elf");
            Toolchain.of(sysroot, true, CompileLimits.DEFAULT).compile(dir, List.of("main.c"), List.of("-O2"), elf);
            assertTrue(Files.size(elf) > 1000);
        } finally {
            SnapshotStore.delete(home);
        }
    }

    @Test
    void aLinkInTheFunctionDoesNotBringAHostFileIn() throws Exception {
        Path dir = function("#include \"linked.h\"\nint main(void){return 0;}\n");
        Files.createSymbolicLink(dir.resolve("linked.h"), Path.of("/etc/passwd"));
        Toolchain.CompileException e = refused(SANDBOXED, dir, List.of());
        assertTrue(e.getMessage().contains("linked.h: No such file or directory"), e.getMessage());
        Files.delete(dir.resolve("linked.h"));
    }

    @Test
    void aCompileThatNeverEndsIsStoppedAtTheTimeoutWithEveryProcessItStarted() throws Exception {
        Toolchain quick = SANDBOXED.withLimits(CompileLimits.DEFAULT.withTimeout(Duration.ofSeconds(2)));
        Path dir = function("#include \"bomb.h\"\nint main(void){return 0;}\n");
        // 2^40 inclusions, no output and no memory growth: only the timeout ends it.
        Files.writeString(dir.resolve("bomb.h"),
                "#if __INCLUDE_LEVEL__ < 40\n#include \"bomb.h\"\n#include \"bomb.h\"\n#endif\n");
        String marker = "-DTHAW_TEST_" + UUID.randomUUID().toString().replace('-', '_');
        long start = System.nanoTime();
        Toolchain.CompileException e = refused(quick, dir, List.of(marker));
        long seconds = TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - start);
        assertEquals("the compiler ran longer than 2 s and was stopped", e.getMessage());
        assertTrue(seconds < 30, "took " + seconds + " s");
        // cc1 carries the marker on its command line; nothing of the compile may survive it
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (running(marker) && System.nanoTime() < deadline) {
            Thread.sleep(50);
        }
        assertFalse(running(marker), "a process of the stopped compile is still running");
    }

    private static boolean running(String marker) {
        return ProcessHandle.allProcesses().anyMatch(p -> p.info().arguments()
                .map(args -> List.of(args).contains(marker)).orElse(false));
    }

    @Test
    void endlessCompilerOutputIsCappedAndTheCompileStopped() throws Exception {
        // 20,000 undeclared names on one line: gcc prints about 100 MB of errors for it
        StringBuilder sum = new StringBuilder();
        for (int i = 0; i < 20_000; i++) {
            sum.append(i == 0 ? "" : "+").append("u").append(i);
        }
        Path dir = function("int main(void) { return " + sum + "; }\n");
        long start = System.nanoTime();
        Toolchain.CompileException e = refused(SANDBOXED, dir, List.of());
        long seconds = TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - start);
        assertTrue(e.getMessage().startsWith("main.c: In function 'main':"), e.getMessage().substring(0, 200));
        assertTrue(e.getMessage().endsWith("[compiler output exceeded 64 KiB (truncated): more than 16 MiB, "
                + "the compiler was stopped]"), e.getMessage().substring(e.getMessage().length() - 200));
        assertTrue(e.getMessage().length() < 64 * 1024 + 200, "message of " + e.getMessage().length() + " chars");
        assertTrue(seconds < 30, "took " + seconds + " s");
    }

    @Test
    void aCompileWithManyWarningsStillSucceeds() throws Exception {
        StringBuilder warnings = new StringBuilder();
        for (int i = 0; i < 3000; i++) {
            warnings.append("#warning this is warning number ").append(i).append('\n');
        }
        Path dir = function(warnings + "int main(void){return 0;}\n");
        Path elf = tmp.resolve("noisy.elf");
        SANDBOXED.compile(dir, List.of("main.c"), List.of(), elf);
        assertTrue(Files.size(elf) > 1000);
    }

    /** What a program that took over the compiler could do: a shell in the same sandbox. */
    @Test
    void insideTheSandboxTheHostIsNotVisibleAndProcessesAreLimited() throws Exception {
        CompileSandbox sandbox = CompileSandbox.create(SANDBOXED.sysroot());
        Path scratch = Files.createTempDirectory("thaw-test-shell-"); // as the toolchain's: reachable by the sandbox's user
        try {
            Path src = Files.createDirectories(scratch.resolve("src"));
            Path out = Files.createDirectories(scratch.resolve("out"));
            sandbox.handOver(scratch);
            runShellIn(sandbox, src, out);
        } finally {
            SnapshotStore.delete(scratch);
        }
    }

    private void runShellIn(CompileSandbox sandbox, Path src, Path out) throws Exception {
        Path repo = TestSnapshots.root();
        String script = String.join("\n",
                "for f in /etc/passwd /etc /root /home /proc/1 /sys /dev/sda /run " + repo + "/pom.xml "
                        + System.getProperty("user.home") + " " + tmp + "; do",
                "  [ -e \"$f\" ] && echo \"visible: $f\"",
                "done",
                "echo x > /src/x && echo 'writable: /src'",
                "echo x > /usr/x && echo 'writable: /usr'",
                "echo x > /x && echo 'writable: /'",
                "echo x > /out/x && echo 'out ok'",
                "export -p",
                // each child blocks reading the test's open pipe; the sandbox's end kills them all
                "exec 3<&0",
                "i=0; while [ $i -lt 100 ]; do (read x <&3) & i=$((i+1)); done");
        List<String> command = sandbox.command(src, out, List.of("/bin/sh", "-c", script),
                CompileLimits.DEFAULT.withTimeout(Duration.ofSeconds(20)));
        Process p = new ProcessBuilder(command).directory(src.toFile()).redirectErrorStream(true).start();
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(30, TimeUnit.SECONDS));
        assertFalse(output.contains("visible:"), output);
        assertFalse(output.contains("writable:"), output);
        for (String name : System.getenv().keySet()) {
            if (!List.of("PATH", "LD_LIBRARY_PATH", "LC_ALL", "TMPDIR", "PWD").contains(name)) {
                assertFalse(output.contains("export " + name + "="), name + " reached the sandbox: " + output);
            }
        }
        assertTrue(output.contains("export LC_ALL='C'"), output);
        assertTrue(output.contains("out ok"), output);
        assertTrue(output.contains("Cannot fork"), "100 processes were allowed: " + output);
    }

    @Test
    void withoutBubblewrapTheErrorSaysHowToInstallItOrTurnTheSandboxOff() {
        IOException e = assertThrows(IOException.class,
                () -> CompileSandbox.create(SANDBOXED.sysroot(), "bwrap-not-installed"));
        assertTrue(e.getMessage().startsWith("compiling needs bubblewrap (bwrap), which is not installed: install it "
                + "(apt-get install bubblewrap)"), e.getMessage());
        assertTrue(e.getMessage().contains("thaw.compile-sandbox=off"), e.getMessage());
    }

    @Test
    void settingsAreReadAndBadOnesNamed() {
        assertEquals(Duration.ofSeconds(7), Toolchain.duration("t", "7"));
        assertEquals(Duration.ofSeconds(7), Toolchain.duration("t", "7s"));
        assertEquals(Duration.ofMillis(1500), Toolchain.duration("t", "1500ms"));
        assertEquals(Duration.ofMinutes(2), Toolchain.duration("t", "PT2M"));
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> Toolchain.duration("thaw.compile-timeout", "soon"));
        assertEquals("thaw.compile-timeout: 'soon' is not a positive duration (120s, 500ms, PT2M)", e.getMessage());
        assertEquals("1.5 s", CompileLimits.DEFAULT.withTimeout(Duration.ofMillis(1500)).timeoutText());
    }
}
