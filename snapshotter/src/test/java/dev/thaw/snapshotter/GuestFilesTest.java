package dev.thaw.snapshotter;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.thaw.invoker.Limits;
import dev.thaw.invoker.Result;
import dev.thaw.invoker.ShellPool;
import dev.thaw.invoker.testing.KvmTest;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** The file system a guest sees: its bundle read-only, a /tmp that every invocation gets empty. */
@KvmTest
class GuestFilesTest {
    private static final Limits LIMITS = new Limits(Duration.ofSeconds(5), 1 << 20);

    private static final String TRANSCRIPT = """
            tmp/state before: absent
            read at init: hello, file
            cwd: /function
            read: 12 hello, file
            pread@7: 5 file
            lseek end: 12
            fstat: size=12 regular=1 mode=444
            mmap: hello
            mmap shared writable: Permission denied
            stat dir: ok isdir=1
            stat ../function/./data/sub/two.txt: ok size=7
            stat missing: No such file or directory
            stat file as dir: Not a directory
            open dir for writing: Is a directory
            open O_DIRECTORY on a file: Not a directory
            readlink: Invalid argument
            access W_OK: Read-only file system
            ls /function/data: ./ ../ hello.txt sub/
            ls /: ./ ../ function/ tmp/
            write into the bundle: Read-only file system
            truncate a bundle file: Read-only file system
            unlink in the bundle: Read-only file system
            unlink missing: No such file or directory
            rename in the bundle: Read-only file system
            mkdir in the bundle: Read-only file system
            ftruncate+fsync: ok ok
            tmp size: 100
            unlink while open: ok
            after unlink: absent
            still readable: 30 written by %s
            more
            mkdir /tmp/d: ok
            rename into place: ok
            rmdir /tmp/d: ok
            rename into the bundle: Cross-device link
            ls /tmp: ./ ../ state b
            """;

    @Test
    void theBundleIsReadOnlyAndTmpStartsEmptyInEveryInvocation() throws Exception {
        try (ShellPool pool = TestSnapshots.open("unikernel-base/tests/files")) {
            for (String caller : new String[] {"one", "two", "three"}) {
                Result r = pool.invoke(caller.getBytes(UTF_8), LIMITS);
                assertTrue(r.ok(), r::toString);
                assertEquals(TRANSCRIPT.formatted(caller), r.stdoutText(), "invocation " + caller);
            }
        }
    }
}
