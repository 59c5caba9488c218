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

/** What one guest run wrote to stdout, stderr and its log, up to a byte limit over all three. */
final class Output implements OutputRecords.Sink {
    private final long limit;
    private long total;
    private boolean exceeded;
    private byte[] stdout = new byte[256];
    private int stdoutLength;
    private byte[] stderr = new byte[0];
    private int stderrLength;
    private final List<String> logs = new ArrayList<>();
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

    @Override
    public void accept(int stream, MemorySegment bytes) {
        long n = bytes.byteSize();
        if (exceeded || n > limit - total) {
            exceeded = true;
            return;
        }
        total += n;
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
            default -> {
                String line = new String(bytes.toArray(JAVA_BYTE), StandardCharsets.UTF_8);
                if (!reportedOnlyOnce(line) || reportedOnce.add(line)) {
                    logs.add(line);
                }
            }
        }
    }

    private boolean reportedOnlyOnce(String line) {
        return line.startsWith(ONCE_PREFIX) && line.length() <= ONCE_MAX_LENGTH
                && (reportedOnce.contains(line) || reportedOnce.size() < ONCE_MAX_LINES);
    }

    private static byte[] ensure(byte[] buffer, int length, long more) {
        if (length + more <= buffer.length) {
            return buffer;
        }
        return Arrays.copyOf(buffer, (int) Math.max(length + more, Math.min((long) buffer.length * 2, Integer.MAX_VALUE - 8)));
    }

    boolean exceeded() {
        return exceeded;
    }

    byte[] stdout() {
        return Arrays.copyOf(stdout, stdoutLength);
    }

    byte[] stderr() {
        return Arrays.copyOf(stderr, stderrLength);
    }

    List<String> logs() {
        return List.copyOf(logs);
    }
}
