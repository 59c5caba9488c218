package dev.thaw.invoker.abi;

import static java.lang.foreign.ValueLayout.JAVA_INT_UNALIGNED;

import dev.thaw.invoker.kvm.GuestMemory;
import java.lang.foreign.MemorySegment;

/** Reads the output records of a flush or exit: headers and bytes packed back to back. */
public final class OutputRecords {
    private OutputRecords() {}

    /** Receives each record's bytes; the segment is valid only during the call. */
    @FunctionalInterface
    public interface Sink {
        void accept(int stream, MemorySegment bytes) throws AbiViolation;
    }

    public static void read(GuestMemory memory, long buf, long len, Sink sink) throws AbiViolation {
        MemorySegment region;
        try {
            region = memory.slice(buf, len);
        } catch (GuestMemory.OutOfRangeException e) {
            throw new AbiViolation("output records: " + e.getMessage());
        }
        long header = Abi.RECORD.byteSize();
        long at = 0;
        while (at < len) {
            if (len - at < header) {
                throw new AbiViolation("output record header at offset " + at + " is cut short");
            }
            int stream = region.get(JAVA_INT_UNALIGNED, at);
            long size = region.get(JAVA_INT_UNALIGNED, at + 4) & 0xffffffffL;
            if (stream < Abi.STREAM_STDOUT || stream > Abi.STREAM_LOG) {
                throw new AbiViolation("output record at offset " + at + " has unknown stream " + stream);
            }
            if (size > len - at - header) {
                throw new AbiViolation("output record at offset " + at + " claims " + size + " bytes, "
                        + (len - at - header) + " remain");
            }
            sink.accept(stream, region.asSlice(at + header, size));
            at += header + size;
        }
    }
}
