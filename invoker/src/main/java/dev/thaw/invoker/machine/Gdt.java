package dev.thaw.invoker.machine;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * The guest's global descriptor table: flat 64-bit code and data segments at privilege
 * level 3, the only one a Thaw guest runs at. The selectors are Linux's user selectors
 * (0x2b data, 0x33 code), the ones PVM is built around, and the TSS.
 */
public final class Gdt {
    private Gdt() {}

    public static final int USER_DATA_SELECTOR = 0x2b; // index 5, RPL 3
    public static final int USER_CODE_SELECTOR = 0x33; // index 6, RPL 3
    public static final int ENTRIES = 9;
    public static final int LIMIT = ENTRIES * 8 - 1;

    /** Flat data, DPL 3, writable, accessed, 4 GiB limit, 32-bit default (ignored in 64-bit). */
    static final long USER_DATA = 0x00cff3000000ffffL;
    /** Flat code, DPL 3, readable, accessed, 64-bit (L=1). */
    static final long USER_CODE = 0x00affb000000ffffL;

    /** The table's bytes, to be placed in guest memory; {@code tssBase} is where {@link Tss} lives. */
    public static byte[] table(long tssBase) {
        ByteBuffer b = ByteBuffer.allocate(ENTRIES * 8).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(5 * 8, USER_DATA);
        b.putLong(6 * 8, USER_CODE);
        long[] tss = Tss.descriptor(tssBase);
        b.putLong(7 * 8, tss[0]);
        b.putLong(8 * 8, tss[1]);
        return b.array();
    }
}
