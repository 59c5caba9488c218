package dev.thaw.invoker.kvm;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Path;
import java.util.BitSet;

/** A region of host memory from mmap, unmapped on close. Guest RAM lives in one of these. */
public final class Mapping implements AutoCloseable {
    private final MemorySegment segment;
    private boolean closed;

    private Mapping(MemorySegment segment) {
        this.segment = segment;
    }

    /** Zeroed private memory that costs nothing until touched. */
    public static Mapping anonymous(long size) {
        return map(MemorySegment.NULL, size, Libc.PROT_READ | Libc.PROT_WRITE,
                Libc.MAP_PRIVATE | Libc.MAP_ANONYMOUS | Libc.MAP_NORESERVE, -1, "anonymous");
    }

    /** A copy-on-write view of a file: reads share the page cache, writes make private copies. */
    public static Mapping copyOnWrite(Path file, long size) {
        return mapFile(MemorySegment.NULL, file, size, Libc.PROT_READ | Libc.PROT_WRITE, Libc.MAP_PRIVATE | Libc.MAP_NORESERVE);
    }

    /**
     * Address space set aside, inaccessible and backed by nothing, so that a file can be
     * mapped at a known address later ({@link #copyOnWriteAt}).
     */
    public static Mapping reserve(long size) {
        return map(MemorySegment.NULL, size, 0, Libc.MAP_PRIVATE | Libc.MAP_ANONYMOUS | Libc.MAP_NORESERVE, -1, "set aside");
    }

    /**
     * A copy-on-write view of the first {@code reserved.size()} bytes of {@code file}, mapped
     * over the address space {@code reserved} set aside, which it replaces in one step: the
     * range is never unmapped in between, so no other mapping can take it. The returned
     * mapping owns the range; {@code reserved} must not be closed after this succeeded.
     */
    public static Mapping copyOnWriteAt(Mapping reserved, Path file) {
        Mapping m = mapFile(reserved.segment, file, reserved.size(), Libc.PROT_READ | Libc.PROT_WRITE,
                Libc.MAP_PRIVATE | Libc.MAP_NORESERVE | Libc.MAP_FIXED);
        reserved.closed = true; // the range is the new mapping's now
        return m;
    }

    /** A read-only view of a file, shared with every other mapping of it. */
    public static Mapping readOnly(Path file, long size) {
        return mapFile(MemorySegment.NULL, file, size, Libc.PROT_READ, Libc.MAP_SHARED);
    }

    /** {@code at}: where (with MAP_FIXED), or NULL for anywhere. */
    private static Mapping mapFile(MemorySegment at, Path file, long size, int prot, int flags) {
        int fd;
        try (Arena arena = Arena.ofConfined()) {
            fd = KvmException.check(Libc.open(arena.allocateFrom(file.toString()), Libc.O_CLOEXEC), "open", file.toString());
        }
        try {
            return map(at, size, prot, flags, fd, file.toString());
        } finally {
            Libc.close(fd); // the mapping keeps the file
        }
    }

    private static Mapping map(MemorySegment at, long size, int prot, int flags, int fd, String what) {
        MemorySegment address = Libc.mmap(at, size, prot, flags, fd, 0);
        if (address.address() == Libc.MAP_FAILED) {
            throw new KvmException("mmap", Libc.errno(), what + ", " + size + " bytes");
        }
        return new Mapping(address.reinterpret(size));
    }

    /**
     * Discards this mapping's pages and sets its range aside again, inaccessible (as {@link
     * #reserve}), in one step: the range is never unmapped in between. The returned mapping
     * owns the range; this one is closed.
     */
    public Mapping toReserve() {
        if (closed) {
            throw new IllegalStateException("the mapping is closed");
        }
        Mapping m = map(segment, segment.byteSize(), 0,
                Libc.MAP_PRIVATE | Libc.MAP_ANONYMOUS | Libc.MAP_NORESERVE | Libc.MAP_FIXED, -1, "set aside");
        closed = true;
        return m;
    }

    public MemorySegment segment() {
        return segment;
    }

    public long size() {
        return segment.byteSize();
    }

    /**
     * Which pages are in memory: for anonymous memory, the pages ever written (untouched
     * pages read as zero without being there).
     */
    public BitSet residentPages() {
        long pages = segment.byteSize() / 4096;
        try (Arena a = Arena.ofConfined()) {
            MemorySegment vector = a.allocate(pages);
            KvmException.check(Libc.mincore(segment, segment.byteSize(), vector), "mincore", "");
            BitSet resident = new BitSet((int) pages);
            for (int i = 0; i < pages; i++) {
                if ((vector.get(ValueLayout.JAVA_BYTE, i) & 1) != 0) {
                    resident.set(i);
                }
            }
            return resident;
        }
    }

    /** Drops pages: anonymous ones read back as zero, copy-on-write ones as the file again. */
    public void drop(long offset, long length) {
        KvmException.check(Libc.madvise(segment.asSlice(offset, length), length, Libc.MADV_DONTNEED),
                "madvise(MADV_DONTNEED)", "offset " + offset);
    }

    @Override
    public void close() {
        if (!closed) {
            closed = true;
            Libc.munmap(segment, segment.byteSize());
        }
    }
}
