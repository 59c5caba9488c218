package dev.thaw.invoker.kvm;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import org.junit.jupiter.api.Test;

class GuestMemoryTest {
    private final GuestMemory memory = new GuestMemory(Arena.ofAuto().allocate(8192));

    @Test
    void acceptsRangesInsideMemoryUpToTheLastByte() throws Exception {
        memory.slice(8190, 2).copyFrom(java.lang.foreign.MemorySegment.ofArray(new byte[] {1, 2}));
        assertArrayEquals(new byte[] {1, 2}, memory.slice(8190, 2).toArray(java.lang.foreign.ValueLayout.JAVA_BYTE));
        assertEquals(2, memory.readByte(8191));
        assertEquals(0, memory.slice(8192, 0).byteSize());
        assertEquals(8192, memory.slice(0, 8192).byteSize());
    }

    @Test
    void refusesRangesThatLeaveMemoryOrOverflow() {
        long[][] bad = {
            {8191, 2}, {8192, 1}, {-1, 1}, {0, -1}, {0, 8193}, {Long.MAX_VALUE, 1}, {1, Long.MAX_VALUE},
            {0xffff_ffffL, 0x1_0000_0001L}, {-4096, 8192},
        };
        for (long[] r : bad) {
            GuestMemory.OutOfRangeException e = assertThrows(GuestMemory.OutOfRangeException.class,
                    () -> memory.slice(r[0], r[1]), () -> "range " + r[0] + "+" + r[1]);
            assertTrue(e.getMessage().contains("outside guest memory"), e.getMessage());
        }
    }

    @Test
    void namesALengthAsTheGuestPassedIt() {
        // guest lengths are u64: printed signed, 2^64 - 1 read "-1"
        GuestMemory.OutOfRangeException e = assertThrows(GuestMemory.OutOfRangeException.class, () -> memory.slice(16, -1));
        assertEquals("guest range 0x10+18446744073709551615 is outside guest memory (0x0-0x2000)", e.getMessage());
    }
}
