package dev.thaw.invoker;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.HashSet;
import java.util.Set;

/**
 * What one fuzz input of {@link HypercallFuzzTest} stands for: the registers of up to two
 * hypercalls, the system registers the recv placement check reads, and the contents of a small
 * guest memory. The layout is plain little-endian fields, so that seeds can be written by
 * hand ({@link Builder}) and libFuzzer's comparison tracing finds the values that matter:
 *
 * <pre>
 *   0  u16 first port             (dx)
 *   2  u16 second port            0: no second hypercall
 *   4  u16 output limit           bytes, headers included, over both hypercalls
 *   6  u16 GDT limit
 *   8  u64 first argument address (eax; a snapshot's recv address is 64-bit, so all 64 bits)
 *  16  u64 second argument address
 *  24  u64 CR3
 *  32  u64 GDT base
 *  40  u64 TR base
 *  48  u16 once-only log lines the function already reported (modulo 513: up to Output's
 *      bound), made up as "thaw: unsupported system call reported-N"
 *  50  items until the input ends, each a u8 kind (its low bit) and then:
 *      0, a memory write: u32 address (modulo RAM), u16 length, u16 copies (0 counts as 1),
 *         the bytes; written copies times back to back, wrapping at the end of RAM
 *      1, output records: u8 which hypercall (low bit), u32 address (modulo RAM), i8 length
 *         adjustment, u8 count, then count records of u8 stream, u16 size, u16 copies, u8 k
 *         and k bytes of a pattern that fills the record; they are laid back to back from the
 *         address (cut at the end of RAM), and their address and length (plus the adjustment)
 *         are written as {@code buf, len} at that hypercall's argument address, if it is in RAM
 * </pre>
 *
 * The records item lets the fuzzer reach what takes long, consistent output (a log line past
 * 4 KiB, a thousand log lines) in a few bytes; the raw writes reach everything else. Memory
 * starts zeroed; an input that ends early reads as if padded with zeros. At most RAM bytes
 * per item and 4 x RAM per input are written, so that no input is slow.
 */
final class FuzzedGuest {
    /** Small, so that the fuzzer's addresses land inside often; 16 pages for the page walk. */
    static final int RAM = 64 * 1024;
    private static final int RECORD_HEADER = 8;

    final int firstPort;
    final int secondPort;
    final int outputLimit;
    final int gdtLimit;
    final long firstArgument;
    final long secondArgument;
    final long cr3;
    final long gdtBase;
    final long trBase;
    final int reportedOnce;

    private FuzzedGuest(Reader in) {
        firstPort = in.u16();
        secondPort = in.u16();
        outputLimit = in.u16();
        gdtLimit = in.u16();
        firstArgument = in.u64();
        secondArgument = in.u64();
        cr3 = in.u64();
        gdtBase = in.u64();
        trBase = in.u64();
        reportedOnce = in.u16() % (Output.ONCE_MAX_LINES + 1);
    }

    /** The once-only log lines reported before this invocation. */
    Set<String> reportedOnceLines() {
        Set<String> lines = new HashSet<>();
        for (int i = 0; i < reportedOnce; i++) {
            lines.add(Output.ONCE_PREFIX + "reported-" + i);
        }
        return lines;
    }

    /** Decodes {@code input}, writing its memory image into {@code ram} (RAM bytes, zeroed first). */
    static FuzzedGuest parse(byte[] input, byte[] ram) {
        Reader in = new Reader(input);
        FuzzedGuest guest = new FuzzedGuest(in);
        Arrays.fill(ram, (byte) 0);
        long budget = 4L * RAM;
        while (in.remaining() > 0 && budget > 0) {
            if ((in.u8() & 1) == 0) {
                int address = (int) (in.u32() % RAM);
                int length = in.u16();
                int copies = Math.max(1, in.u16());
                byte[] bytes = repeat(in.bytes(length), copies, RAM);
                writeWrapping(ram, address, bytes);
                budget -= bytes.length + 1;
            } else {
                boolean second = (in.u8() & 1) != 0;
                int address = (int) (in.u32() % RAM);
                int adjustment = (byte) in.u8();
                byte[] records = records(in, RAM - address);
                System.arraycopy(records, 0, ram, address, records.length);
                long argument = second ? guest.secondArgument : guest.firstArgument;
                if (argument >= 0 && argument <= RAM - 16) {
                    ByteBuffer.wrap(ram).order(ByteOrder.LITTLE_ENDIAN)
                            .putLong((int) argument, address).putLong((int) argument + 8, records.length + adjustment);
                }
                budget -= records.length + 1;
            }
        }
        return guest;
    }

    /** The records of one records item, back to back, at most {@code room} bytes of them. */
    private static byte[] records(Reader in, int room) {
        ByteArrayOutputStream all = new ByteArrayOutputStream();
        int count = in.u8();
        for (int i = 0; i < count; i++) {
            int stream = in.u8();
            int size = in.u16();
            int copies = Math.max(1, in.u16());
            byte[] pattern = in.bytes(in.u8());
            if (all.size() >= room) {
                continue; // full: the rest is read, not laid out
            }
            byte[] content = pattern.length == 0 ? new byte[size] : repeat(pattern, size / pattern.length + 1, size);
            ByteBuffer record = ByteBuffer.allocate(RECORD_HEADER + size).order(ByteOrder.LITTLE_ENDIAN)
                    .putInt(stream).putInt(size).put(content);
            all.writeBytes(repeat(record.array(), copies, room - all.size()));
        }
        return all.toByteArray();
    }

    /** {@code bytes} {@code copies} times, cut at {@code max} bytes. */
    private static byte[] repeat(byte[] bytes, int copies, int max) {
        int total = (int) Math.min((long) bytes.length * copies, Math.max(0, max));
        byte[] out = new byte[total];
        System.arraycopy(bytes, 0, out, 0, Math.min(bytes.length, total));
        for (int filled = Math.min(bytes.length, total); filled < total; filled *= 2) {
            System.arraycopy(out, 0, out, filled, Math.min(filled, total - filled));
        }
        return out;
    }

    private static void writeWrapping(byte[] ram, int address, byte[] bytes) {
        int first = Math.min(bytes.length, RAM - address);
        System.arraycopy(bytes, 0, ram, address, first);
        System.arraycopy(bytes, first, ram, 0, bytes.length - first);
    }

    /** Little-endian fields from the input; zeros once it ends. */
    private static final class Reader {
        private final byte[] input;
        private int at;

        Reader(byte[] input) {
            this.input = input;
        }

        int remaining() {
            return Math.max(0, input.length - at);
        }

        int u8() {
            return at < input.length ? input[at++] & 0xff : 0;
        }

        int u16() {
            return u8() | u8() << 8;
        }

        long u32() {
            return u16() | (long) u16() << 16;
        }

        long u64() {
            return u32() | u32() << 32;
        }

        byte[] bytes(int n) {
            byte[] b = Arrays.copyOfRange(input, Math.min(at, input.length), Math.min(at + n, input.length));
            at += n;
            return b;
        }
    }

    /** One record of a records item: {@code copies} records of {@code size} bytes filled with {@code pattern}. */
    record Record(int stream, int size, int copies, byte[] pattern) {}

    /** Writes a fuzz input field by field; for seeds and tests. */
    static final class Builder {
        private final ByteBuffer header = ByteBuffer.allocate(50).order(ByteOrder.LITTLE_ENDIAN);
        private final ByteArrayOutputStream items = new ByteArrayOutputStream();

        Builder hypercall(int port, long argument) {
            header.putShort(0, (short) port).putLong(8, argument);
            return this;
        }

        Builder secondHypercall(int port, long argument) {
            header.putShort(2, (short) port).putLong(16, argument);
            return this;
        }

        Builder outputLimit(int bytes) {
            header.putShort(4, (short) bytes);
            return this;
        }

        Builder systemRegisters(long cr3, long gdtBase, int gdtLimit, long trBase) {
            header.putLong(24, cr3).putLong(32, gdtBase).putShort(6, (short) gdtLimit).putLong(40, trBase);
            return this;
        }

        Builder reportedOnce(int lines) {
            header.putShort(48, (short) lines);
            return this;
        }

        Builder write(long address, byte[] bytes) {
            items.writeBytes(ByteBuffer.allocate(9).order(ByteOrder.LITTLE_ENDIAN)
                    .put((byte) 0).putInt((int) address).putShort((short) bytes.length).putShort((short) 1).array());
            items.writeBytes(bytes);
            return this;
        }

        /** Little-endian 64-bit values, for argument structs and page-table entries. */
        Builder writeLongs(long address, long... values) {
            ByteBuffer b = ByteBuffer.allocate(values.length * 8).order(ByteOrder.LITTLE_ENDIAN);
            for (long v : values) {
                b.putLong(v);
            }
            return write(address, b.array());
        }

        /** Output records at {@code address}, pointed at by the first or second hypercall's arguments. */
        Builder records(boolean second, long address, Record... records) {
            items.writeBytes(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN)
                    .put((byte) 1).put((byte) (second ? 1 : 0)).putInt((int) address).put((byte) 0)
                    .put((byte) records.length).array());
            for (Record r : records) {
                items.writeBytes(ByteBuffer.allocate(6).order(ByteOrder.LITTLE_ENDIAN)
                        .put((byte) r.stream).putShort((short) r.size).putShort((short) r.copies)
                        .put((byte) r.pattern.length).array());
                items.writeBytes(r.pattern);
            }
            return this;
        }

        byte[] build() {
            ByteArrayOutputStream all = new ByteArrayOutputStream();
            all.writeBytes(header.array());
            all.writeBytes(items.toByteArray());
            return all.toByteArray();
        }
    }
}
