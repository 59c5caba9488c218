package dev.thaw.functions;

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

/** A Lua function (handler.lua), run by Lua 5.4 built from Debian's sources in a Thaw guest. */
@KvmTest
class LuaRuntimeTest {
    private static RuntimeProbe probe;

    @BeforeAll
    static void build() throws Exception {
        probe = new RuntimeProbe("lua-probe");
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
    void printsWhatLua54PrintsOnTheHost() throws Exception {
        String request = "stats The quick brown fox jumps over the lazy dog; the fox naps. Caf\u00e9 42";
        String host = probe.host(List.of("lua5.4", "-e",
                "package.path = './?.lua;./?/init.lua;' .. package.path; io.write(dofile('handler.lua')(io.read('a')))"),
                request);
        assertEquals(host, ok(request));
        assertTrue(host.startsWith("words=14 the=3 fox=2 "), host);
    }

    @Test
    void mathRandomIsReseededForEveryInvocation() {
        Set<String> seen = new HashSet<>();
        String init = null;
        for (int i = 0; i < 20; i++) {
            String[] out = ok("random").strip().split(" ");
            assertTrue(seen.add(out[0]), "math.random() repeated " + out[0]);
            if (init == null) {
                init = out[1];
            }
            assertEquals(init, out[1], "module-level code ran once, at deploy");
            assertNotEquals(out[0], out[1]);
        }
    }

    @Test
    void theClockIsCurrentAndInitsIsFromTheDeploy() throws Exception {
        Thread.sleep(1100);
        long before = System.currentTimeMillis() / 1000;
        String[] out = ok("clock").strip().split(" ");
        long now = Long.parseLong(out[0]);
        assertTrue(now >= before && now <= System.currentTimeMillis() / 1000 + 1, out[0] + " vs " + before);
        assertTrue(Long.parseLong(out[1]) < now, "os.time() at load " + out[1] + " is not older than now " + now);
    }

    @Test
    void aFileWrittenToTmpIsGoneInTheNextInvocation() {
        assertEquals("before=false now=first\n", ok("tmp first"));
        assertEquals("before=false now=second\n", ok("tmp second"));
    }

    @Test
    void anErrorExitsWithItsTracebackOnStderr() {
        Result r = probe.invoke("raise boom");
        assertEquals(Result.Status.EXITED, r.status());
        assertEquals(1, r.exitCode());
        assertTrue(r.stderrText().startsWith("error in the handler: /function/handler.lua:"), r.stderrText());
        assertTrue(r.stderrText().contains("asked to fail: boom") && r.stderrText().contains("stack traceback:"), r.stderrText());
        assertEquals("", r.stdoutText());
    }

    @Test
    void printAndStderrWorkBesideTheReturnValue() {
        Result r = probe.invoke("print x");
        assertTrue(r.ok(), r::toString);
        assertEquals("printed x\n", r.stdoutText());
        assertEquals("to stderr\n", r.stderrText());
    }

    @Test
    void aHandlerWithoutParametersReadsStdinItselfAndSeesTheManifestsArgs() throws Exception {
        try (RuntimeProbe stdin = new RuntimeProbe("lua-stdin")) {
            Result r = stdin.invoke("quiet words");
            assertTrue(r.ok(), () -> r + "\n" + r.stderrText());
            assertEquals("QUIET WORDS", r.stdoutText());
        }
    }
}
