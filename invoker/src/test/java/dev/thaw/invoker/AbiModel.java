package dev.thaw.invoker;

import dev.thaw.invoker.abi.Abi;
import dev.thaw.invoker.abi.Hypercall;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * What the hypercall ABI says the host does (docs/ARCHITECTURE.md, "Hypercall ABI"; Output's
 * and RecvPlacement's Javadoc), written from those texts over a plain byte array, for
 * {@link HypercallFuzzTest} to compare the real decoding with. It shares no code with the
 * host beyond the ABI constants; where the documentation leaves a detail open (the order of
 * the log-line checks), it follows the host.
 */
final class AbiModel {
    private static final long PAGE = 4096;
    private static final int RECORD_HEADER = 8;
    private static final int MAX_LOG_LINES = 1000;
    private static final int MAX_LOG_LINE_BYTES = 4096;
    private static final String ONCE_PREFIX = "thaw: unsupported system call ";

    private final ByteBuffer ram;
    private final long limit;
    private long total;
    private boolean exceeded;
    private final ByteArrayOutputStream stdout = new ByteArrayOutputStream();
    private final ByteArrayOutputStream stderr = new ByteArrayOutputStream();
    private final List<String> logLines = new ArrayList<>();
    private long droppedLogLines;
    private final Set<String> reportedOnce;
    private final List<Long> fsBases = new ArrayList<>();

    /**
     * A model of one invocation over guest memory {@code ram}, with an output limit and the
     * once-only log lines the function reported before.
     */
    AbiModel(byte[] ram, long outputLimit, Set<String> reportedOnce) {
        this.ram = ByteBuffer.wrap(ram).order(ByteOrder.LITTLE_ENDIAN);
        this.limit = outputLimit;
        this.reportedOnce = new HashSet<>(reportedOnce);
    }

    /** A stand-in for {@link GuestRun.Stop.Violated}: the message is free, only the kind is compared. */
    static final GuestRun.Stop VIOLATED = new GuestRun.Stop.Violated("any message");

    /** The stop the guest comes to with this hypercall, or null when it runs on. */
    GuestRun.Stop hypercall(int port, long argument) {
        long size = switch (port) {
            case Abi.HC_RECV -> 80;
            case Abi.HC_FLUSH -> 16;
            case Abi.HC_EXIT -> 24;
            case Abi.HC_SET_FS -> 8;
            default -> -1;
        };
        if (size < 0 || !inside(argument, size)) {
            return VIOLATED;
        }
        int a = (int) argument;
        switch (port) {
            case Abi.HC_RECV -> {
                return new GuestRun.Stop.Waiting(new Hypercall.Recv(argument, ram.getLong(a), ram.getLong(a + 8)));
            }
            case Abi.HC_FLUSH -> {
                if (!records(ram.getLong(a), ram.getLong(a + 8))) {
                    return VIOLATED;
                }
                return exceeded ? new GuestRun.Stop.OutputLimit() : null;
            }
            case Abi.HC_EXIT -> {
                if (!records(ram.getLong(a), ram.getLong(a + 8))) {
                    return VIOLATED;
                }
                if (exceeded) {
                    return new GuestRun.Stop.OutputLimit();
                }
                int status = ram.getInt(a + 16);
                int signal = ram.getInt(a + 20);
                boolean valid = status >= 0 && status <= 255 && signal >= 0 && signal <= 64;
                return valid ? new GuestRun.Stop.Exited(status, signal) : VIOLATED;
            }
            default -> {
                long base = ram.getLong(a);
                if (base < 0 || base >= 1L << 47) { // user space's half of the canonical addresses
                    return VIOLATED;
                }
                fsBases.add(base);
                return null;
            }
        }
    }

    /** Output records back to back; each good record counts before a bad one is found. */
    private boolean records(long buf, long len) {
        if (!inside(buf, len)) {
            return false;
        }
        for (long at = 0; at < len; ) {
            if (len - at < RECORD_HEADER) {
                return false;
            }
            int stream = ram.getInt((int) (buf + at));
            long size = Integer.toUnsignedLong(ram.getInt((int) (buf + at + 4)));
            if (stream < Abi.STREAM_STDOUT || stream > Abi.STREAM_LOG || size > len - at - RECORD_HEADER) {
                return false;
            }
            byte[] bytes = Arrays.copyOfRange(ram.array(), (int) (buf + at + RECORD_HEADER),
                    (int) (buf + at + RECORD_HEADER + size));
            accept(stream, bytes);
            at += RECORD_HEADER + size;
        }
        return true;
    }

    /** Every record counts with its header; the first that does not fit ends all output. */
    private void accept(int stream, byte[] bytes) {
        if (exceeded || bytes.length + RECORD_HEADER > limit - total) {
            exceeded = true;
            return;
        }
        total += bytes.length + RECORD_HEADER;
        switch (stream) {
            case Abi.STREAM_STDOUT -> stdout.writeBytes(bytes);
            case Abi.STREAM_STDERR -> stderr.writeBytes(bytes);
            default -> log(bytes);
        }
    }

    /**
     * The first 1,000 log lines are kept, each cut to 4 KiB less the at most 3 bytes of a
     * UTF-8 character that the cut would split, with a note of what was dropped. A short
     * "unsupported system call" line is kept once per function, while the function has
     * reported fewer than 512 of them (past that, every time).
     */
    private void log(byte[] line) {
        if (logLines.size() == MAX_LOG_LINES) {
            droppedLogLines++;
            return;
        }
        if (line.length > MAX_LOG_LINE_BYTES) {
            int cut = MAX_LOG_LINE_BYTES;
            while (cut > MAX_LOG_LINE_BYTES - 3 && (line[cut] & 0xc0) == 0x80) {
                cut--;
            }
            logLines.add(new String(line, 0, cut, StandardCharsets.UTF_8)
                    + " [thaw: " + (line.length - cut) + " more bytes of this line dropped]");
            return;
        }
        String text = new String(line, StandardCharsets.UTF_8);
        boolean onceOnly = text.startsWith(ONCE_PREFIX) && text.length() <= 128
                && (reportedOnce.contains(text) || reportedOnce.size() < 512);
        if (!onceOnly || reportedOnce.add(text)) {
            logLines.add(text);
        }
    }

    boolean exceeded() {
        return exceeded;
    }

    byte[] stdout() {
        return stdout.toByteArray();
    }

    byte[] stderr() {
        return stderr.toByteArray();
    }

    List<Long> fsBases() {
        return fsBases;
    }

    List<String> logs() {
        List<String> lines = new ArrayList<>(logLines);
        if (droppedLogLines > 0) {
            lines.add("[thaw: " + droppedLogLines + " more log lines dropped; at most " + MAX_LOG_LINES
                    + " are kept per invocation]");
        }
        return lines;
    }

    /** The once-only lines reported, now including this invocation's. */
    Set<String> reportedOnce() {
        return reportedOnce;
    }

    /**
     * Whether the host may write [start, start + length) for a recv: inside RAM, and every page
     * it touches present, user and writable at each level of the tables at {@code cr3} (2 MiB and
     * 1 GiB pages end the walk early).
     */
    boolean guestWritable(long start, long length, long cr3) {
        if (!inside(start, length)) {
            return false;
        }
        for (long page = start & -PAGE; page < start + length; page += PAGE) {
            if (!guestWritable(page, cr3)) {
                return false;
            }
        }
        return true;
    }

    private boolean guestWritable(long address, long cr3) {
        long table = cr3 & 0x000f_ffff_ffff_f000L;
        for (int level = 3; ; level--) {
            long entry = table + ((address >>> (12 + 9 * level)) & 511) * 8;
            if (!inside(entry, 8)) {
                return false;
            }
            long e = ram.getLong((int) entry);
            boolean presentWritableUser = (e & 7) == 7;
            boolean largePage = (level == 1 || level == 2) && (e & 0x80) != 0;
            if (!presentWritableUser || level == 0 || largePage) {
                return presentWritableUser;
            }
            table = e & 0x000f_ffff_ffff_f000L;
        }
    }

    private boolean inside(long address, long length) {
        return address >= 0 && length >= 0 && address <= ram.capacity() && length <= ram.capacity() - address;
    }
}
