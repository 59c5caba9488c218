package dev.thaw.snapshotter;

import dev.thaw.invoker.Limits;
import dev.thaw.invoker.Result;
import dev.thaw.invoker.Sandbox;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class DevRunTest {
    @Test
    void run() throws Exception {
        String dir = System.getProperty("dev.fn");
        if (dir == null) return;
        SnapshotBuilder.Built b;
        try {
            b = TestSnapshots.build(dir);
        } catch (BuildException e) {
            System.out.println("BUILD FAILED " + e.stage() + ": " + e.getMessage());
            return;
        }
        System.out.println("built " + b.directory() + " boot=" + b.boot());
        try (Sandbox s = TestSnapshots.engine().open(b.directory())) {
            for (String in : System.getProperty("dev.input", "").split(";;", -1)) {
                Result r = s.invoke(in.getBytes(StandardCharsets.UTF_8), new Limits(Duration.ofSeconds(10), 1 << 24));
                System.out.println("=== " + r);
                System.out.println("--- stdout\n" + r.stdoutText() + "--- stderr\n" + r.stderrText() + "--- logs " + r.logs());
            }
        }
    }
}
