package dev.thaw.invoker;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;

import dev.thaw.invoker.abi.Abi;
import dev.thaw.invoker.abi.OutputRecords;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;

/**
 * What one guest run wrote to stdout, stderr and its log, up to a byte limit over all three.
 *
 * <p>Every record counts with its header, so a flood of empty records (an empty
 * {@code thaw_log("")} in a loop) reaches the limit like any other output. Log lines are
 * also capped in number and length ({@link #MAX_LOG_LINES}, {@link #MAX_LOG_LINE_BYTES}):
 * the rest are dropped and a last line says how many. Buffers grow with what was written,
 * never past the limit.
 */
final class Output implements OutputRecords.Sink {
    /** Log lines kept per invocation: enough to debug, few enough to store and show. */
    static final int MAX_LOG_LINES = 1000;
    /** Bytes kept of one log line. */
    static final int MAX_LOG_LINE_BYTES = 4096;
    private static final long HEADER = Abi.RECORD.byteSize();

    private final long limit;
    private long total;
    private boolean exceeded;
    private byte[] stdout = new byte[256];
    private int stdoutLength;
    private byte[] stderr = new byte[0];
    private int stderrLength;
    private final List<String> logs = new ArrayList<>();
    private long droppedLogLines;
    private final Set<String> reportedOnce;

    /** Log lines with this prefix (the library OS's "unsupported system call" notes) are kept once per set. */
    static final String ONCE_PREFIX = "thaw: unsupported system call ";
    /**
     * The set is the host's memory and the lines are the guest's: only short lines count, and
     * only so many (there are fewer system calls), so a guest that logs made-up ones cannot
     * grow it. Past the bound, lines are simply passed on every time.
     */
    static final int ONCE_MAX_LENGTH = 128;
    static final int ONCE_MAX_LINES = 512;

    /**
     * @param reportedOnce the once-only log lines already passed on for this function; this
     *                     output adds the new ones
     */
    Output(long limit, Set<String> reportedOnce) {
        this.limit = limit;
        this.reportedOnce = reportedOnce;
    }

    private boolean reportedOnlyOnce(String line) {
        return line.startsWith(ONCE_PREFIX) && line.length() <= ONCE_MAX_LENGTH
                && (reportedOnce.contains(line) || reportedOnce.size() < ONCE_MAX_LINES);
    }

    @Override
    public void accept(int stream, MemorySegment bytes) {
        long n = bytes.byteSize();
        if (exceeded || n + HEADER > limit - total) {
            exceeded = true;
            return;
        }
        total += n + HEADER;
        switch (stream) {
            case Abi.STREAM_STDOUT -> {
                stdout = ensure(stdout, stdoutLength, n);
                MemorySegment.copy(bytes, JAVA_BYTE, 0, stdout, stdoutLength, (int) n);
                stdoutLength += (int) n;
            }
            case Abi.STREAM_STDERR -> {
                stderr = ensure(stderr, stderrLength, n);
                MemorySegment.copy(bytes, JAVA_BYTE, 0, stderr, stderrLength, (int) n);
                stderrLength += (int) n;
            }
            default -> log(bytes);
        }
    }

    private void log(MemorySegment bytes) {
        if (logs.size() == MAX_LOG_LINES) {
            droppedLogLines++;
            return;
        }
        if (bytes.byteSize() <= MAX_LOG_LINE_BYTES) {
            String line = new String(bytes.toArray(JAVA_BYTE), StandardCharsets.UTF_8);
            if (!reportedOnlyOnce(line) || reportedOnce.add(line)) {
                logs.add(line);
            }
            return;
        }
        // not inside a UTF-8 character: back over at most 3 continuation bytes (a character is
        // at most 4 bytes; more of them are not UTF-8, and a binary line keeps its 4 KiB too)
        int cut = MAX_LOG_LINE_BYTES;
        while (cut > MAX_LOG_LINE_BYTES - 3 && (bytes.get(JAVA_BYTE, cut) & 0xc0) == 0x80) {
            cut--;
        }
        logs.add(new String(bytes.asSlice(0, cut).toArray(JAVA_BYTE), StandardCharsets.UTF_8)
                + " [thaw: " + (bytes.byteSize() - cut) + " more bytes of this line dropped]");
    }

    /** Room for {@code more} bytes after {@code length}: doubling, but never beyond the limit. */
    private byte[] ensure(byte[] buffer, int length, long more) {
        long needed = length + more;
        if (needed <= buffer.length) {
            return buffer;
        }
        return Arrays.copyOf(buffer, (int) Math.min(Math.max(needed, 2L * buffer.length), limit));
    }

    boolean exceeded() {
        return exceeded;
    }

    byte[] stdout() {
        return stdoutLength == stdout.length ? stdout : Arrays.copyOf(stdout, stdoutLength);
    }

    byte[] stderr() {
        return stderrLength == stderr.length ? stderr : Arrays.copyOf(stderr, stderrLength);
    }

    List<String> logs() {
        if (droppedLogLines == 0) {
            return List.copyOf(logs);
        }
        List<String> all = new ArrayList<>(logs);
        all.add("[thaw: " + droppedLogLines + " more log lines dropped; at most " + MAX_LOG_LINES
                + " are kept per invocation]");
        return List.copyOf(all);
    }
}
