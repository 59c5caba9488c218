package dev.thaw.invoker.snapshot;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SnapshotFormatTest {
    @TempDir
    Path dir;

    private static SnapshotState state() {
        byte[] regs = new byte[144];
        byte[] sregs = new byte[312];
        byte[] fpu = new byte[416];
        Arrays.fill(regs, (byte) 1);
        Arrays.fill(sregs, (byte) 2);
        Arrays.fill(fpu, (byte) 3);
        return new SnapshotState(64L << 20, 0x3000, "0123456789abcdef0123456789abcdef", regs, sregs, fpu);
    }

    private String refusal(byte[] bytes) throws Exception {
        Files.write(dir.resolve("state"), bytes);
        return assertThrows(SnapshotException.class, () -> SnapshotFormat.readState(dir)).getMessage();
    }

    @Test
    void roundTrips() throws Exception {
        Files.write(dir.resolve("state"), SnapshotFormat.encode(state()));
        SnapshotState s = SnapshotFormat.readState(dir);
        assertEquals(64L << 20, s.memorySize());
        assertEquals(0x3000, s.recvArgs());
        assertEquals("0123456789abcdef0123456789abcdef", s.cpuFingerprint());
        assertArrayEquals(state().regs(), s.regs());
        assertArrayEquals(state().sregs(), s.sregs());
        assertArrayEquals(state().fpu(), s.fpu());
    }

    @Test
    void refusesAnotherFormatVersionWithAClearMessage() throws Exception {
        byte[] b = SnapshotFormat.encode(state());
        ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).putInt(8, 2);
        String m = refusal(b);
        assertTrue(m.contains("format version 2; this Thaw reads version 1. Rebuild"), m);
    }

    @Test
    void refusesCorruptTruncatedAndForeignFiles() throws Exception {
        byte[] good = SnapshotFormat.encode(state());
        byte[] flipped = good.clone();
        flipped[100] ^= 1;
        assertTrue(refusal(flipped).contains("checksum"));
        assertTrue(refusal(Arrays.copyOf(good, good.length - 10)).contains("truncated"));
        assertTrue(refusal("#!/bin/sh\necho not a snapshot\n".getBytes()).contains("bad magic"));
        assertTrue(refusal(new byte[SnapshotFormat.MAX_STATE_BYTES + 1]).contains("more than a snapshot state can be"));
        Files.delete(dir.resolve("state"));
        assertTrue(assertThrows(SnapshotException.class, () -> SnapshotFormat.readState(dir)).getMessage()
                .contains("no state file"));
    }

    @Test
    void refusesRegisterBlobsOfTheWrongSize() throws Exception {
        SnapshotState s = state();
        byte[] b = SnapshotFormat.encode(new SnapshotState(s.memorySize(), s.recvArgs(), s.cpuFingerprint(),
                new byte[100], s.sregs(), s.fpu()));
        assertTrue(refusal(b).contains("kvm_regs is 100 bytes, expected 144"));
    }
}
