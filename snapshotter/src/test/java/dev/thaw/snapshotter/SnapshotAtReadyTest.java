package dev.thaw.snapshotter;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.thaw.invoker.Limits;
import dev.thaw.invoker.Result;
import dev.thaw.invoker.ShellPool;
import dev.thaw.invoker.testing.KvmTest;
import java.time.Duration;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * "snapshot": "ready": the snapshot is taken at thaw_ready(); clock and random reads before
 * it are deploy-time values shared by every invocation, those after it are the invocation's.
 */
@KvmTest
class SnapshotAtReadyTest {
    private static final Limits LIMITS = new Limits(Duration.ofSeconds(5), 1 << 20);
    private static final Pattern LINE = Pattern.compile(
            "init_clock=(\\d+) init_random=(\\w+) clock=(\\d+) random=(\\w+) argc=3 \\[ready] \\[--mode] \\[two words]\n");

    @Test
    void initSeesDeployTimeValuesAndEveryInvocationItsOwn() throws Exception {
        long buildStarted = System.currentTimeMillis() * 1_000_000;
        SnapshotBuilder.Built built = TestSnapshots.build("unikernel-base/tests/ready");
        try (ShellPool pool = TestSnapshots.engine().open(built.directory())) {
            Set<String> randoms = new HashSet<>();
            Map<String, String> init = null;
            for (int i = 0; i < 5; i++) {
                Thread.sleep(50);
                long before = System.currentTimeMillis() * 1_000_000;
                Result r = pool.invoke("x".getBytes(UTF_8), LIMITS);
                long after = System.currentTimeMillis() * 1_000_000 + 1_000_000;
                assertTrue(r.ok(), r::toString);
                assertEquals("", r.stderrText(), "output written before thaw_ready() belongs to the deploy");
                Matcher m = LINE.matcher(r.stdoutText());
                assertTrue(m.matches(), r.stdoutText());
                Map<String, String> seen = Map.of("clock", m.group(1), "random", m.group(2));
                if (init == null) {
                    init = seen;
                    if (!built.cached()) {
                        long initClock = Long.parseLong(m.group(1));
                        assertTrue(initClock >= buildStarted - 50_000_000 && initClock < before,
                                "init's clock " + initClock + " is not from the deploy (" + buildStarted + ")");
                    }
                }
                assertEquals(init, seen, "init ran once, at deploy");
                long clock = Long.parseLong(m.group(3));
                long slack = 50_000_000;
                assertTrue(clock >= before - slack && clock <= after + slack,
                        "clock " + clock + " not within 50 ms of the host's [" + before + ", " + after + "]");
                assertTrue(randoms.add(m.group(4)), "random repeated: " + m.group(4));
                assertNotEquals(m.group(2), m.group(4));
            }
        }
    }

    @Test
    void aFunctionThatFailsBeforeThawReadyFailsTheDeployWithItsStderr() {
        BuildException e = assertThrows(BuildException.class, () -> TestSnapshots.build("unikernel-base/tests/ready-fails"));
        assertEquals(BuildException.Stage.BOOT, e.stage());
        assertTrue(e.getMessage().contains("exited with status 1") && e.getMessage().contains("Traceback: cannot load the handler"),
                e.getMessage());
    }
}
