package dev.thaw.functions;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.thaw.invoker.Result;
import dev.thaw.invoker.testing.KvmTest;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A Python function (handler.py with handle(request)), run by CPython 3.11 built from
 * Debian's sources in a Thaw guest. The host comparison uses Debian's python3.11 (3.11.2,
 * the same version as the guest's), not whatever python3 is first on the PATH.
 */
@KvmTest
class PythonRuntimeTest {
    private static RuntimeProbe probe;

    @BeforeAll
    static void build() throws Exception {
        probe = new RuntimeProbe("python-probe");
    }

    @AfterAll
    static void close() {
        if (probe != null) {
            probe.close();
        }
    }

    private static String ok(String request) {
        Result r = probe.invoke(request);
        assertTrue(r.ok(), () -> r + "\n" + r.stderrText());
        return r.stdoutText();
    }

    @Test
    void printsWhatPython311PrintsOnTheHost() throws Exception {
        String request = "stats The quick brown fox jumps over the lazy dog; the fox naps. Caf\u00e9 42";
        String host = probe.host(List.of("/usr/bin/python3.11", "-B", "-c",
                "import sys; sys.path.insert(0, '.'); import handler; sys.stdout.write(handler.handle(sys.stdin.buffer.read()))"),
                request);
        assertEquals(host, ok(request));
        assertTrue(host.contains("\"words\": 14"), host);
    }

    @Test
    void theCModulesThatMatterAreBuiltIn() {
        String[] out = ok("builtins").split("\n");
        Set<String> builtins = Set.of(out[0].split(" "));
        for (String m : List.of("math", "_random", "_json", "_sha256", "_sha512", "_md5", "binascii", "zlib", "_struct",
                "_datetime", "_bisect", "_heapq", "select", "unicodedata", "_decimal", "pyexpat", "_pickle")) {
            assertTrue(builtins.contains(m), m + " is not built in: " + out[0]);
        }
        assertTrue(out[1].startsWith("TZPATH=/usr/share/zoneinfo"), "sysconfig's data is missing: " + out[1]);
    }

    @Test
    void randomIsReseededForEveryInvocationAndUrandomIsFresh() {
        Set<String> seen = new HashSet<>();
        String init = null;
        for (int i = 0; i < 20; i++) {
            String[] out = ok("random").strip().split(" ");
            assertTrue(seen.add(out[0]), "random.random() repeated " + out[0]);
            assertTrue(seen.add(out[1]), "os.urandom repeated " + out[1]);
            if (init == null) {
                init = out[2];
            }
            assertEquals(init, out[2], "module-level code ran once, at deploy");
            assertNotEquals(out[0], out[2]);
        }
    }

    @Test
    void timeTimeIsCurrentAndTheModulesIsFromTheDeploy() throws Exception {
        Thread.sleep(300);
        double before = System.currentTimeMillis() / 1000.0;
        String[] out = ok("clock").strip().split(" ");
        double now = Double.parseDouble(out[0]);
        assertTrue(now >= before - 0.05 && now <= System.currentTimeMillis() / 1000.0 + 0.05, out[0] + " vs " + before);
        assertTrue(Double.parseDouble(out[1]) < before - 0.25, "time.time() at import " + out[1] + " is not from the deploy");
    }

    @Test
    void aFileWrittenToTmpIsGoneInTheNextInvocation() {
        assertEquals("before=False now=first\n", ok("tmp first"));
        assertEquals("before=False now=second\n", ok("tmp second"));
    }

    @Test
    void anExceptionExitsWithItsTracebackOnStderr() {
        Result r = probe.invoke("raise boom");
        assertEquals(Result.Status.EXITED, r.status());
        assertEquals(1, r.exitCode());
        String err = r.stderrText();
        assertTrue(err.startsWith("Traceback (most recent call last):\n"), err);
        assertTrue(err.contains("File \"/function/handler.py\", line") && err.endsWith("ValueError: asked to fail: boom\n"), err);
        assertEquals("", r.stdoutText());
    }

    @Test
    void printStderrAndBytesWork() {
        Result r = probe.invoke("print x");
        assertTrue(r.ok(), r::toString);
        assertEquals("printed x\n", r.stdoutText());
        assertEquals("to stderr\n", r.stderrText());
        byte[] all = new byte[256];
        for (int i = 0; i < 256; i++) {
            all[i] = (byte) i;
        }
        assertArrayEquals(all, probe.invoke("bytes").stdout());
    }

    @Test
    void aHandlerWithoutParametersReadsStdinItselfAndSeesTheManifestsArgs() throws Exception {
        try (RuntimeProbe stdin = new RuntimeProbe("python-stdin")) {
            Result r = stdin.invoke("quiet words");
            assertTrue(r.ok(), () -> r + "\n" + r.stderrText());
            assertEquals("QUIET WORDS", r.stdoutText());
        }
    }
}
