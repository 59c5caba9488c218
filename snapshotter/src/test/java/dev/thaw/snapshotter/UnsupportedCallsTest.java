package dev.thaw.snapshotter;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.thaw.invoker.Limits;
import dev.thaw.invoker.Result;
import dev.thaw.invoker.ShellPool;
import dev.thaw.invoker.testing.KvmTest;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Calls the library OS lacks fail cleanly, and the log names each once per function. */
@KvmTest
class UnsupportedCallsTest {
    private static final Limits LIMITS = new Limits(Duration.ofSeconds(5), 1 << 20);

    @Test
    void cleanErrorsAndOneLogLinePerCallPerFunction() throws Exception {
        try (ShellPool pool = TestSnapshots.open("unikernel-base/tests/unsupported")) {
            String expected = """
                    pipe at init: Function not implemented
                    fork: Function not implemented
                    execve: Function not implemented
                    pipe: Function not implemented
                    pipe again: Function not implemented
                    waitpid: Function not implemented
                    setitimer: Function not implemented
                    getrusage: ok
                    mremap: ok kept=1
                    """;
            Result first = pool.invoke("x".getBytes(UTF_8), LIMITS);
            assertTrue(first.ok(), first::toString);
            assertEquals(expected, first.stdoutText());
            List<String> logs = first.logs();
            assertEquals(List.of(
                    "thaw: unsupported system call pipe (22): ENOSYS", // during init, reported after the resume
                    "thaw: unsupported system call fork (57): ENOSYS",
                    "thaw: unsupported system call execve (59): ENOSYS",
                    "thaw: unsupported system call wait4 (61): ENOSYS",
                    "thaw: unsupported system call setitimer (38): ENOSYS"), logs);
            for (int i = 0; i < 3; i++) {
                Result again = pool.invoke("x".getBytes(UTF_8), LIMITS);
                assertEquals(expected, again.stdoutText());
                assertEquals(List.of(), again.logs(), "reported once per function, not per invocation");
            }
        }
    }
}
