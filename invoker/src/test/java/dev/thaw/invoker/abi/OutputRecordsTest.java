package dev.thaw.invoker.abi;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.thaw.invoker.kvm.GuestMemory;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class OutputRecordsTest {
    private final GuestMemory memory = new GuestMemory(Arena.ofAuto().allocate(4096));

    private long put(long at, int stream, int claimedLength, String text) {
        byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        ByteBuffer b = ByteBuffer.allocate(8 + bytes.length).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(stream).putInt(claimedLength).put(bytes);
        MemorySegment.copy(MemorySegment.ofArray(b.array()), 0, memory.hostSlice(at, b.capacity()), 0, b.capacity());
        return at + b.capacity();
    }

    private List<String> read(long buf, long len) throws AbiViolation {
        List<String> got = new ArrayList<>();
        OutputRecords.read(memory, buf, len, (stream, bytes) -> got.add(stream + ":"
                + new String(bytes.toArray(java.lang.foreign.ValueLayout.JAVA_BYTE), StandardCharsets.UTF_8)));
        return got;
    }

    @Test
    void readsRecordsOfEveryStreamInOrder() throws Exception {
        long end = put(100, Abi.STREAM_STDOUT, 5, "hello");
        end = put(end, Abi.STREAM_STDERR, 4, "oops");
        end = put(end, Abi.STREAM_LOG, 0, "");
        end = put(end, Abi.STREAM_STDOUT, 1, "!");
        assertEquals(List.of("1:hello", "2:oops", "3:", "1:!"), read(100, end - 100));
    }

    @Test
    void refusesARecordClaimingMoreBytesThanTheBufferHolds() {
        long end = put(0, Abi.STREAM_STDOUT, 1000, "short");
        AbiViolation e = assertThrows(AbiViolation.class, () -> read(0, end));
        assertTrue(e.getMessage().contains("claims 1000 bytes"), e.getMessage());
    }

    @Test
    void refusesACutHeaderAnUnknownStreamAndABufferOutsideMemory() {
        put(0, Abi.STREAM_STDOUT, 2, "ok");
        assertTrue(assertThrows(AbiViolation.class, () -> read(0, 14)).getMessage().contains("cut short"));
        put(200, 9, 1, "x");
        assertTrue(assertThrows(AbiViolation.class, () -> read(200, 9)).getMessage().contains("unknown stream 9"));
        assertTrue(assertThrows(AbiViolation.class, () -> read(4000, 200)).getMessage().contains("outside guest memory"));
        assertTrue(assertThrows(AbiViolation.class, () -> read(0, -1)).getMessage().contains("outside guest memory"));
    }

    @Test
    void decodesHypercallsOnlyFromArgumentsInsideMemory() throws Exception {
        memory.slice(64, 8).set(java.lang.foreign.ValueLayout.JAVA_LONG_UNALIGNED, 0, 0x1234);
        assertEquals(new Hypercall.SetFs(0x1234), Hypercall.decode(Abi.HC_SET_FS, 64, memory));
        AbiViolation outside = assertThrows(AbiViolation.class, () -> Hypercall.decode(Abi.HC_EXIT, 4090, memory));
        assertTrue(outside.getMessage().startsWith("exit hypercall arguments"), outside.getMessage());
        AbiViolation port = assertThrows(AbiViolation.class, () -> Hypercall.decode(0x80, 0, memory));
        assertEquals("unknown hypercall port 0x80", port.getMessage());
    }
}
