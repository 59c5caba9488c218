package dev.thaw.invoker;

import dev.thaw.invoker.abi.Abi;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The hand-written seeds of {@link HypercallFuzzTest}: one or two well-formed hypercalls of
 * each kind, and a few that break the ABI in a known way, so that fuzzing starts deep inside
 * the decoder. They are committed as files under {@code HypercallFuzzTestInputs/} (where
 * Jazzer replays them in every test run and starts fuzzing from them); after changing one,
 * rewrite them with
 * {@code java -cp invoker/target/test-classes:invoker/target/classes dev.thaw.invoker.FuzzSeeds}.
 *
 * <p>The guest memory of every seed is laid out like a real guest's, in 16 pages: page 0
 * unmapped, pages 1-9 read-only (boot information, GDT, TSS, page tables at 0x6000), pages
 * 10-15 writable (the I/O arena).
 */
final class FuzzSeeds {
    private FuzzSeeds() {}

    static final Path DIRECTORY = Path.of("src/test/resources/dev/thaw/invoker/HypercallFuzzTestInputs/guestFacingDecodePath");

    static final long GDT = 0x2000;
    static final long TSS = 0x3000;
    static final long PAGE_TABLES = 0x6000;
    static final long ARENA = 0xa000;
    static final long FS_BASE = 0x7f00_0000_1000L;

    static Map<String, byte[]> all() {
        Map<String, byte[]> seeds = new LinkedHashMap<>();
        seeds.put("recv-in-the-arena", guest()
                .hypercall(Abi.HC_RECV, ARENA)
                .writeLongs(ARENA, ARENA + 0x1000, 0x1000)
                .build());
        seeds.put("recv-on-the-page-tables", guest()
                .hypercall(Abi.HC_RECV, ARENA)
                .writeLongs(ARENA, PAGE_TABLES + 0x3000, 0x100)
                .build());
        FuzzedGuest.Record hello = text(Abi.STREAM_STDOUT, "hello\n");
        FuzzedGuest.Record oops = text(Abi.STREAM_STDERR, "oops");
        FuzzedGuest.Record logLine = text(Abi.STREAM_LOG, "a log line");
        seeds.put("flush-then-exit", guest()
                .outputLimit(4096)
                .hypercall(Abi.HC_FLUSH, ARENA)
                .secondHypercall(Abi.HC_EXIT, ARENA + 0x20)
                .records(false, ARENA + 0x100, hello, oops, logLine)
                .records(true, ARENA + 0x200, text(Abi.STREAM_STDOUT, "bye\n"))
                .writeLongs(ARENA + 0x30, exitCode(3, 0))
                .build());
        seeds.put("flush-of-the-largest-length", guest()
                .hypercall(Abi.HC_FLUSH, ARENA)
                .writeLongs(ARENA, ARENA + 0x100, -1)
                .build());
        seeds.put("exit-over-the-output-limit", guest()
                .outputLimit(16)
                .hypercall(Abi.HC_EXIT, ARENA)
                .records(false, ARENA + 0x100, hello, oops)
                .build());
        seeds.put("exit-with-a-bad-status", guest()
                .hypercall(Abi.HC_EXIT, ARENA)
                .writeLongs(ARENA, 0, 0, exitCode(256, 0))
                .build());
        seeds.put("exit-with-a-bad-record", guest()
                .outputLimit(4096)
                .hypercall(Abi.HC_EXIT, ARENA)
                .records(false, ARENA + 0x100, hello, new FuzzedGuest.Record(9, 0, 1, new byte[0]))
                .build());
        seeds.put("set-fs-then-exit", guest()
                .hypercall(Abi.HC_SET_FS, ARENA)
                .secondHypercall(Abi.HC_EXIT, ARENA + 0x20)
                .writeLongs(ARENA, FS_BASE)
                .writeLongs(ARENA + 0x20, 0, 0, exitCode(0, 0))
                .build());
        seeds.put("set-fs-non-canonical", guest()
                .hypercall(Abi.HC_SET_FS, ARENA)
                .writeLongs(ARENA, 1L << 47)
                .build());
        // 1,100 empty log records: past the cap of 1,000 log lines
        seeds.put("exit-with-a-log-flood", guest()
                .outputLimit(65535)
                .hypercall(Abi.HC_EXIT, ARENA)
                .records(false, ARENA + 0x100, new FuzzedGuest.Record(Abi.STREAM_LOG, 0, 1100, new byte[0]))
                .build());
        // 2,000 three-byte characters: longer than a log line may be, cut between characters
        seeds.put("exit-with-a-long-log-line", guest()
                .outputLimit(65535)
                .hypercall(Abi.HC_EXIT, ARENA)
                .records(false, ARENA + 0x100, new FuzzedGuest.Record(Abi.STREAM_LOG, 6000, 1, utf8("€")))
                .build());
        // the same, of bytes that are not UTF-8: the cut used to keep none of it (fixed in Output)
        seeds.put("exit-with-a-long-binary-log-line", guest()
                .outputLimit(65535)
                .hypercall(Abi.HC_EXIT, ARENA)
                .records(false, ARENA + 0x100, new FuzzedGuest.Record(Abi.STREAM_LOG, 5000, 1, new byte[] {(byte) 0x85}))
                .build());
        // the library OS's notes of unsupported system calls are passed on once per function...
        FuzzedGuest.Record pipe2 = text(Abi.STREAM_LOG, Output.ONCE_PREFIX + "pipe2 (293): ENOSYS");
        seeds.put("exit-with-once-only-log-lines", guest()
                .outputLimit(4096)
                .reportedOnce(3)
                .hypercall(Abi.HC_EXIT, ARENA)
                .records(false, ARENA + 0x100, text(Abi.STREAM_LOG, Output.ONCE_PREFIX + "reported-1"), pipe2, pipe2,
                        logLine)
                .build());
        // ...while the host's set of them has room
        seeds.put("exit-with-the-once-only-set-full", guest()
                .outputLimit(4096)
                .reportedOnce(Output.ONCE_MAX_LINES)
                .hypercall(Abi.HC_EXIT, ARENA)
                .records(false, ARENA + 0x100, pipe2, pipe2)
                .build());
        return seeds;
    }

    /**
     * Page tables like the host builds (PageTables), in pages 6-9, and the system registers
     * pointing at them, the GDT and the TSS.
     */
    private static FuzzedGuest.Builder guest() {
        long table = 0x27; // present, writable, user, accessed
        long readOnly = 0x8000_0000_0000_0065L; // present, user, accessed, dirty, no-execute
        long writable = readOnly | 2;
        long[] pte = new long[16];
        for (int page = 1; page < pte.length; page++) {
            pte[page] = page * 4096L | (page * 4096L < ARENA ? readOnly : writable);
        }
        return new FuzzedGuest.Builder()
                .systemRegisters(PAGE_TABLES, GDT, 3 * 8 - 1, TSS)
                .writeLongs(PAGE_TABLES, PAGE_TABLES + 0x1000 | table)
                .writeLongs(PAGE_TABLES + 0x1000, PAGE_TABLES + 0x2000 | table)
                .writeLongs(PAGE_TABLES + 0x2000, PAGE_TABLES + 0x3000 | table)
                .writeLongs(PAGE_TABLES + 0x3000, pte);
    }

    /** The {@code status, signal} pair of a thaw_exit as one little-endian 64-bit value. */
    private static long exitCode(int status, int signal) {
        return Integer.toUnsignedLong(status) | (long) signal << 32;
    }

    private static FuzzedGuest.Record text(int stream, String text) {
        byte[] bytes = utf8(text);
        return new FuzzedGuest.Record(stream, bytes.length, 1, bytes);
    }

    private static byte[] utf8(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }

    /** Writes the seeds into {@code invoker/}{@link #DIRECTORY}; run from the repository root. */
    public static void main(String[] args) throws IOException {
        Path dir = Path.of("invoker").resolve(DIRECTORY);
        Files.createDirectories(dir);
        for (Map.Entry<String, byte[]> seed : all().entrySet()) {
            Files.write(dir.resolve(seed.getKey()), seed.getValue());
        }
    }
}
