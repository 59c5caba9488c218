package dev.thaw.invoker;

import dev.thaw.invoker.abi.Abi;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
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
        byte[] flushed = records(record(Abi.STREAM_STDOUT, "hello\n"), record(Abi.STREAM_STDERR, "oops"),
                record(Abi.STREAM_LOG, "a log line"));
        byte[] last = record(Abi.STREAM_STDOUT, "bye\n");
        seeds.put("flush-then-exit", guest()
                .outputLimit(4096)
                .hypercall(Abi.HC_FLUSH, ARENA)
                .secondHypercall(Abi.HC_EXIT, ARENA + 0x20)
                .writeLongs(ARENA, ARENA + 0x100, flushed.length)
                .writeLongs(ARENA + 0x20, ARENA + 0x200, last.length, exitCode(3, 0))
                .write(ARENA + 0x100, flushed)
                .write(ARENA + 0x200, last)
                .build());
        seeds.put("flush-of-the-largest-length", guest()
                .hypercall(Abi.HC_FLUSH, ARENA)
                .writeLongs(ARENA, ARENA + 0x100, -1)
                .build());
        seeds.put("exit-over-the-output-limit", guest()
                .outputLimit(16)
                .hypercall(Abi.HC_EXIT, ARENA)
                .writeLongs(ARENA, ARENA + 0x100, flushed.length, exitCode(0, 0))
                .write(ARENA + 0x100, flushed)
                .build());
        seeds.put("exit-with-a-bad-status", guest()
                .hypercall(Abi.HC_EXIT, ARENA)
                .writeLongs(ARENA, 0, 0, exitCode(256, 0))
                .build());
        seeds.put("exit-with-a-bad-record", guest()
                .outputLimit(4096)
                .hypercall(Abi.HC_EXIT, ARENA)
                .writeLongs(ARENA, ARENA + 0x100, flushed.length + 8, exitCode(0, 0))
                .write(ARENA + 0x100, flushed)
                .write(ARENA + 0x100 + flushed.length, new byte[] {9, 0, 0, 0, 0, 0, 0, 0})
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
                .writeLongs(ARENA, ARENA + 0x100, 1100 * 8, exitCode(0, 0))
                .write(ARENA + 0x100, record(Abi.STREAM_LOG, ""), 1100)
                .build());
        // 2,500 two-byte characters: longer than a log line may be, cut between characters
        seeds.put("exit-with-a-long-log-line", guest()
                .outputLimit(65535)
                .hypercall(Abi.HC_EXIT, ARENA)
                .writeLongs(ARENA, ARENA + 0x100, 8 + 5001, exitCode(0, 0))
                .write(ARENA + 0x100, ByteBuffer.allocate(9).order(ByteOrder.LITTLE_ENDIAN)
                        .putInt(Abi.STREAM_LOG).putInt(5001).put((byte) 'x').array())
                .write(ARENA + 0x109, "é".getBytes(StandardCharsets.UTF_8), 2500)
                .build());
        // the same, of bytes that are not UTF-8: the cut used to keep none of it (fixed in Output)
        seeds.put("exit-with-a-long-binary-log-line", guest()
                .outputLimit(65535)
                .hypercall(Abi.HC_EXIT, ARENA)
                .writeLongs(ARENA, ARENA + 0x100, 8 + 5001, exitCode(0, 0))
                .write(ARENA + 0x100, ByteBuffer.allocate(9).order(ByteOrder.LITTLE_ENDIAN)
                        .putInt(Abi.STREAM_LOG).putInt(5001).put((byte) 'x').array())
                .write(ARENA + 0x109, new byte[] {(byte) 0x85}, 5000)
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

    private static byte[] record(int stream, String text) {
        byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        return ByteBuffer.allocate(8 + bytes.length).order(ByteOrder.LITTLE_ENDIAN)
                .putInt(stream).putInt(bytes.length).put(bytes).array();
    }

    private static byte[] records(byte[]... records) {
        ByteBuffer all = ByteBuffer.allocate(java.util.Arrays.stream(records).mapToInt(r -> r.length).sum());
        for (byte[] r : records) {
            all.put(r);
        }
        return all.array();
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
