package dev.thaw.invoker.snapshot;

import dev.thaw.invoker.kvm.GuestMemory;
import dev.thaw.invoker.kvm.Vcpu;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.lang.foreign.MemorySegment;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.BitSet;
import java.util.zip.CRC32C;

/**
 * A snapshot on disk is a directory with two files:
 * <ul>
 * <li>{@code memory}: guest RAM, byte for byte, as a sparse file. Pages that are all zero
 *     are holes, so untouched memory takes no disk and no page cache.</li>
 * <li>{@code state}: little-endian, at most {@value #MAX_STATE_BYTES} bytes:
 *     <pre>
 *     0   8  magic "THAWSNAP"
 *     8   4  format version ({@value #VERSION})
 *     12  4  payload length N
 *     16  N  payload: u64 memory size, u64 recv args address, 32 bytes CPU fingerprint
 *            (ASCII), then kvm_regs, kvm_sregs, kvm_fpu, each as u32 length + bytes
 *     16+N 4 CRC32C of everything before it
 *     </pre></li>
 * </ul>
 */
public final class SnapshotFormat {
    private SnapshotFormat() {}

    public static final int VERSION = 1;
    public static final String MEMORY_FILE = "memory";
    public static final String STATE_FILE = "state";
    static final int MAX_STATE_BYTES = 64 * 1024;
    private static final byte[] MAGIC = "THAWSNAP".getBytes(StandardCharsets.US_ASCII);
    private static final int FINGERPRINT_BYTES = 32;
    private static final long PAGE = 4096;

    /**
     * Writes both files into {@code dir} (which must exist); returns the bytes of memory
     * written. Only the pages in {@code candidates} can be non-zero; the others are holes.
     */
    public static long write(Path dir, SnapshotState state, GuestMemory memory, BitSet candidates) throws IOException {
        long written = writeMemory(dir.resolve(MEMORY_FILE), memory, candidates);
        Files.write(dir.resolve(STATE_FILE), encode(state), StandardOpenOption.CREATE_NEW);
        return written;
    }

    private static long writeMemory(Path file, GuestMemory memory, BitSet candidates) throws IOException {
        MemorySegment zero = MemorySegment.ofArray(new byte[(int) PAGE]);
        long written = 0;
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            for (int p = candidates.nextSetBit(0); p >= 0 && p * PAGE < memory.size(); p = candidates.nextSetBit(p + 1)) {
                long at = p * PAGE;
                MemorySegment page = memory.hostSlice(at, PAGE);
                if (page.mismatch(zero) != -1) {
                    ByteBuffer b = page.asByteBuffer();
                    while (b.hasRemaining()) {
                        ch.write(b, at + b.position());
                    }
                    written += PAGE;
                }
            }
        }
        try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "rw")) {
            f.setLength(memory.size()); // the tail of zero pages becomes a hole too
        }
        return written;
    }

    static byte[] encode(SnapshotState s) {
        byte[] fingerprint = s.cpuFingerprint().getBytes(StandardCharsets.US_ASCII);
        if (fingerprint.length != FINGERPRINT_BYTES) {
            throw new IllegalArgumentException("CPU fingerprint must be 32 characters");
        }
        int payload = 8 + 8 + FINGERPRINT_BYTES + 12 + s.regs().length + s.sregs().length + s.fpu().length;
        ByteBuffer b = ByteBuffer.allocate(16 + payload + 4).order(ByteOrder.LITTLE_ENDIAN);
        b.put(MAGIC).putInt(VERSION).putInt(payload);
        b.putLong(s.memorySize()).putLong(s.recvArgs()).put(fingerprint);
        for (byte[] blob : new byte[][] {s.regs(), s.sregs(), s.fpu()}) {
            b.putInt(blob.length).put(blob);
        }
        CRC32C crc = new CRC32C();
        crc.update(b.array(), 0, b.position());
        b.putInt((int) crc.getValue());
        return b.array();
    }

    /** Reads and checks a state file: size cap, magic, version, checksum, blob sizes. */
    public static SnapshotState readState(Path dir) throws SnapshotException {
        Path file = dir.resolve(STATE_FILE);
        byte[] bytes;
        try {
            if (!Files.isRegularFile(file)) {
                throw new SnapshotException(dir + " is not a snapshot: it has no state file");
            }
            if (Files.size(file) > MAX_STATE_BYTES) {
                throw new SnapshotException(file + " is " + Files.size(file) + " bytes, more than a snapshot state can be");
            }
            bytes = Files.readAllBytes(file);
        } catch (IOException e) {
            throw new SnapshotException("cannot read " + file + ": " + e.getMessage(), e);
        }
        return decode(bytes, file.toString());
    }

    static SnapshotState decode(byte[] bytes, String what) throws SnapshotException {
        ByteBuffer b = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        if (bytes.length < 20 || !Arrays.equals(bytes, 0, 8, MAGIC, 0, 8)) {
            throw new SnapshotException(what + " is not a Thaw snapshot state (bad magic)");
        }
        b.position(8);
        int version = b.getInt();
        if (version != VERSION) {
            throw new SnapshotException(what + " has snapshot format version " + version
                    + "; this Thaw reads version " + VERSION + ". Rebuild the snapshot (deploy the function again).");
        }
        int payload = b.getInt();
        if (payload < 0 || payload != bytes.length - 20) {
            throw new SnapshotException(what + " is truncated or has trailing bytes");
        }
        CRC32C crc = new CRC32C();
        crc.update(bytes, 0, 16 + payload);
        if ((int) crc.getValue() != ByteBuffer.wrap(bytes, 16 + payload, 4).order(ByteOrder.LITTLE_ENDIAN).getInt()) {
            throw new SnapshotException(what + " is corrupt (checksum mismatch)");
        }
        try {
            long memorySize = b.getLong();
            long recvArgs = b.getLong();
            byte[] fingerprint = new byte[FINGERPRINT_BYTES];
            b.get(fingerprint);
            byte[] regs = blob(b, Vcpu.REGS_BYTES, "kvm_regs", what);
            byte[] sregs = blob(b, Vcpu.SREGS_BYTES, "kvm_sregs", what);
            byte[] fpu = blob(b, Vcpu.FPU_BYTES, "kvm_fpu", what);
            if (memorySize <= 0 || memorySize % PAGE != 0) {
                throw new SnapshotException(what + " has an invalid memory size " + memorySize);
            }
            return new SnapshotState(memorySize, recvArgs, new String(fingerprint, StandardCharsets.US_ASCII),
                    regs, sregs, fpu);
        } catch (BufferUnderflowException e) {
            throw new SnapshotException(what + " is truncated", e);
        }
    }

    private static byte[] blob(ByteBuffer b, long expected, String name, String what) throws SnapshotException {
        int length = b.getInt();
        if (length != expected) {
            throw new SnapshotException(what + ": " + name + " is " + length + " bytes, expected " + expected);
        }
        byte[] blob = new byte[length];
        b.get(blob);
        return blob;
    }
}
