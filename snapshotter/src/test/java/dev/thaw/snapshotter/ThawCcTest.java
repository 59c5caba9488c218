package dev.thaw.snapshotter;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** thaw-cc as the CC of a third-party build: it must not call itself, and the unwinder must link. */
class ThawCcTest {
    @TempDir
    Path dir;

    private String thawCc() {
        return TestSnapshots.root().resolve("unikernel-base/target/sysroot/bin/thaw-cc").toString();
    }

    private int compile(String source, String... extraEnv) throws Exception {
        Files.writeString(dir.resolve("main.c"), source);
        ProcessBuilder pb = new ProcessBuilder(thawCc(), "-O2", "-o", "main", "main.c").directory(dir.toFile())
                .redirectErrorStream(true);
        for (int i = 0; i < extraEnv.length; i += 2) {
            pb.environment().put(extraEnv[i], extraEnv[i + 1]);
        }
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "thaw-cc did not finish: it calls itself when CC is thaw-cc");
        assertEquals(0, p.exitValue(), out);
        return p.exitValue();
    }

    @Test
    void worksWithCcSetToItselfAsConfigureDoes() throws Exception {
        compile("int main(void) { return 0; }\n", "CC", thawCc());
        assertTrue(Files.isRegularFile(dir.resolve("main")));
        ElfImage.parse(Files.readAllBytes(dir.resolve("main"))); // a Thaw executable
    }

    @Test
    void aProgramThatUnwindsTheStackLinks() throws Exception {
        compile("""
                #include <unwind.h>
                static _Unwind_Reason_Code count(struct _Unwind_Context *c, void *n) { (void)c; ++*(int *)n; return _URC_NO_REASON; }
                int main(void) { int n = 0; _Unwind_Backtrace(count, &n); return n > 0 ? 0 : 1; }
                """);
    }
}
