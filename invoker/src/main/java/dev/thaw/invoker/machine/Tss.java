package dev.thaw.invoker.machine;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * The guest's 64-bit task-state segment, present only for its I/O permission bitmap.
 *
 * <p>On VMX/SVM hosts RFLAGS.IOPL=3 already lets CPL3 code execute {@code out}. PVM keeps the
 * hardware IOPL at 0 and emulates port I/O, consulting the TSS bitmap. The default TR of a
 * new vCPU has base 0, and page 0 is unmapped in a Thaw guest, so without this TSS every
 * hypercall would raise #GP. The bitmap allows every port; the host answers ports that are
 * not hypercalls with a clear error.
 */
public final class Tss {
    private Tss() {}

    /** The 104-byte TSS, the 8 KiB bitmap (one bit per port) and the terminating 0xff byte. */
    public static final int SIZE = 104 + 65536 / 8 + 1;
    public static final int SELECTOR = 0x38; // GDT index 7 (a TSS descriptor takes two slots)
    /** Available 64-bit TSS, as TR holds it after LTR: busy. */
    static final int TYPE_BUSY = 11;
    private static final int IOMAP_BASE_OFFSET = 102;

    public static byte[] table() {
        ByteBuffer b = ByteBuffer.allocate(SIZE).order(ByteOrder.LITTLE_ENDIAN);
        b.putShort(IOMAP_BASE_OFFSET, (short) 104);
        b.put(SIZE - 1, (byte) 0xff);
        return b.array();
    }

    /** The two GDT slots describing the TSS at {@code base}. */
    static long[] descriptor(long base) {
        long limit = SIZE - 1;
        long low = (limit & 0xffff) | (base & 0xffffff) << 16 | (long) TYPE_BUSY << 40 | 1L << 47
                | ((limit >> 16) & 0xf) << 48 | ((base >> 24) & 0xff) << 56;
        return new long[] {low, base >>> 32};
    }
}
