package dev.thaw.invoker;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;

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
 *  48  memory writes, until the input ends:
 *      u32 address (modulo RAM), u16 length, u16 copies (0 counts as 1), then the bytes,
 *      written copies times back to back, wrapping at the end of RAM (at most RAM bytes
 *      per write and 4 x RAM per input, so that no input is slow)
 * </pre>
 *
 * A shorter input reads as if padded with zeros. Memory starts zeroed for every input.
 */
final class FuzzedGuest {
    /** Small, so that the fuzzer's addresses land inside often; 16 pages for the page walk. */
    static final int RAM = 64 * 1024;
    static final int HEADER = 48;
    private static final int WRITE_HEADER = 8;

    final int firstPort;
    final int secondPort;
    final int outputLimit;
    final int gdtLimit;
    final long firstArgument;
    final long secondArgument;
    final long cr3;
    final long gdtBase;
    final long trBase;

    private FuzzedGuest(ByteBuffer header) {
        firstPort = header.getShort(0) & 0xffff;
        secondPort = header.getShort(2) & 0xffff;
        outputLimit = header.getShort(4) & 0xffff;
        gdtLimit = header.getShort(6) & 0xffff;
        firstArgument = header.getLong(8);
        secondArgument = header.getLong(16);
        cr3 = header.getLong(24);
        gdtBase = header.getLong(32);
        trBase = header.getLong(40);
    }

    /** Decodes {@code input}, writing its memory image into {@code ram} (RAM bytes, zeroed first). */
    static FuzzedGuest parse(byte[] input, byte[] ram) {
        ByteBuffer in = ByteBuffer.wrap(Arrays.copyOf(input, Math.max(input.length, HEADER)))
                .order(ByteOrder.LITTLE_ENDIAN);
        FuzzedGuest guest = new FuzzedGuest(in);
        Arrays.fill(ram, (byte) 0);
        int at = HEADER;
        long budget = 4L * RAM; // bounds the time one input takes
        while (input.length - at >= WRITE_HEADER && budget > 0) {
            int address = (int) (Integer.toUnsignedLong(in.getInt(at)) % RAM);
            int length = Math.min(in.getShort(at + 4) & 0xffff, input.length - at - WRITE_HEADER);
            int copies = Math.max(1, in.getShort(at + 6) & 0xffff);
            at += WRITE_HEADER;
            // more than RAM bytes would only overwrite what was just written
            int total = (int) Math.min((long) length * copies, RAM);
            budget -= total + 1;
            byte[] run = new byte[total];
            System.arraycopy(input, at, run, 0, Math.min(length, total));
            for (int filled = Math.min(length, total); filled < total; filled *= 2) {
                System.arraycopy(run, 0, run, filled, Math.min(filled, total - filled));
            }
            int first = Math.min(total, RAM - address);
            System.arraycopy(run, 0, ram, address, first);
            System.arraycopy(run, first, ram, 0, total - first);
            at += length;
        }
        return guest;
    }

    /** Writes a fuzz input field by field; for seeds and tests. */
    static final class Builder {
        private final ByteBuffer header = ByteBuffer.allocate(HEADER).order(ByteOrder.LITTLE_ENDIAN);
        private final ByteArrayOutputStream writes = new ByteArrayOutputStream();

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

        Builder write(long address, byte[] bytes) {
            return write(address, bytes, 1);
        }

        Builder write(long address, byte[] bytes, int copies) {
            ByteBuffer w = ByteBuffer.allocate(WRITE_HEADER).order(ByteOrder.LITTLE_ENDIAN);
            w.putInt((int) address).putShort((short) bytes.length).putShort((short) copies);
            writes.writeBytes(w.array());
            writes.writeBytes(bytes);
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

        byte[] build() {
            ByteArrayOutputStream all = new ByteArrayOutputStream();
            all.writeBytes(header.array());
            all.writeBytes(writes.toByteArray());
            return all.toByteArray();
        }
    }
}
