package dev.thaw.invoker.kvm;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_LONG_UNALIGNED;

import java.lang.foreign.MemorySegment;

/**
 * Guest RAM as the host sees it. A guest address is a number, never a pointer: every access
 * goes through {@link #slice}, which checks that the whole range lies inside RAM (no
 * overflow, end within size) before a byte is touched.
 */
public final class GuestMemory {
    private final MemorySegment ram;

    public GuestMemory(MemorySegment ram) {
        this.ram = ram;
    }

    public long size() {
        return ram.byteSize();
    }

    /** Thrown for a guest address range that is not inside guest RAM. */
    public static final class OutOfRangeException extends Exception {
        private static final long serialVersionUID = 1L;

        OutOfRangeException(long address, long length, long size) {
            // unsigned, as the guest passed them: a length of 2^64-1 is not "-1"
            super("guest range 0x" + Long.toHexString(address) + "+" + Long.toUnsignedString(length)
                    + " is outside guest memory (0x0-0x" + Long.toHexString(size) + ")");
        }
    }

    /** The one checked accessor: [address, address + length) must lie inside guest RAM. */
    public MemorySegment slice(long address, long length) throws OutOfRangeException {
        long size = ram.byteSize();
        if (address < 0 || length < 0 || address > size || length > size - address) {
            throw new OutOfRangeException(address, length, size);
        }
        return ram.asSlice(address, length);
    }

    public long readLong(long address) throws OutOfRangeException {
        return slice(address, 8).get(JAVA_LONG_UNALIGNED, 0);
    }

    public byte readByte(long address) throws OutOfRangeException {
        return slice(address, 1).get(JAVA_BYTE, 0);
    }

    /** For host-built structures (page tables, boot data) whose addresses the host chose. */
    public MemorySegment hostSlice(long address, long length) {
        return ram.asSlice(address, length);
    }
}
