package dev.thaw.snapshotter;

import dev.thaw.invoker.abi.Abi;
import dev.thaw.invoker.machine.PagePermission;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * A function binary, checked: a static, position-dependent x86-64 ELF executable linked
 * against Thaw's libc and library OS (it carries the Thaw note). Every offset and size in the
 * file is checked before it is used; the binary is input, not trusted.
 */
public final class ElfImage {
    /** A part of the file to place in guest memory. */
    public record Segment(long vaddr, long fileOffset, long fileSize, long memorySize, PagePermission permission) {
        public long end() {
            return vaddr + memorySize;
        }
    }

    /** Why a binary cannot run in Thaw. */
    public static final class InvalidElfException extends Exception {
        private static final long serialVersionUID = 1L;

        InvalidElfException(String message) {
            super(message);
        }
    }

    private static final int PT_LOAD = 1;
    private static final int PT_DYNAMIC = 2;
    private static final int PT_INTERP = 3;
    private static final int PT_NOTE = 4;
    private static final int PT_PHDR = 6;
    private static final int PT_TLS = 7;
    private static final int PF_X = 1;
    private static final int PF_W = 2;
    private static final int ET_EXEC = 2;
    private static final int ET_DYN = 3;
    private static final int EM_X86_64 = 62;
    private static final long MAX_ADDRESS = 1L << 32;

    private final byte[] file;
    private final long entry;
    private final List<Segment> segments;
    private final long phdrAddress;
    private final int phdrCount;
    private final int phdrEntrySize;

    private ElfImage(byte[] file, long entry, List<Segment> segments, long phdrAddress, int phdrCount, int phdrEntrySize) {
        this.file = file;
        this.entry = entry;
        this.segments = segments;
        this.phdrAddress = phdrAddress;
        this.phdrCount = phdrCount;
        this.phdrEntrySize = phdrEntrySize;
    }

    public static ElfImage parse(byte[] file) throws InvalidElfException {
        try {
            return parseChecked(file);
        } catch (BufferUnderflowException | IndexOutOfBoundsException | IllegalArgumentException e) {
            throw new InvalidElfException("malformed ELF file: a header points outside the file");
        }
    }

    private static ElfImage parseChecked(byte[] file) throws InvalidElfException {
        if (file.length < 64 || file[0] != 0x7f || file[1] != 'E' || file[2] != 'L' || file[3] != 'F') {
            throw new InvalidElfException("not an ELF file");
        }
        if (file[4] != 2 || file[5] != 1) {
            throw new InvalidElfException("not a 64-bit little-endian ELF file");
        }
        ByteBuffer b = ByteBuffer.wrap(file).order(ByteOrder.LITTLE_ENDIAN);
        int type = b.getShort(16) & 0xffff;
        int machine = b.getShort(18) & 0xffff;
        if (machine != EM_X86_64) {
            throw new InvalidElfException("not an x86-64 binary (e_machine " + machine + ")");
        }
        if (type == ET_DYN) {
            throw new InvalidElfException("a position-independent or dynamically linked binary; "
                    + "Thaw runs static executables built with thaw-cc");
        }
        if (type != ET_EXEC) {
            throw new InvalidElfException("not an executable (e_type " + type + ")");
        }
        long entry = b.getLong(24);
        long phoff = b.getLong(32);
        int phentsize = b.getShort(54) & 0xffff;
        int phnum = b.getShort(56) & 0xffff;
        if (phentsize != 56 || phnum == 0 || phnum > 64 || phoff < 0 || phoff > file.length
                || (long) phnum * phentsize > file.length - phoff) {
            throw new InvalidElfException("malformed program header table");
        }
        List<Segment> loads = new ArrayList<>();
        long phdrAddress = -1;
        boolean thawNote = false;
        int noteAbi = -1;
        for (int i = 0; i < phnum; i++) {
            int at = (int) (phoff + (long) i * phentsize);
            int ptype = b.getInt(at);
            int flags = b.getInt(at + 4);
            long offset = b.getLong(at + 8);
            long vaddr = b.getLong(at + 16);
            long filesz = b.getLong(at + 32);
            long memsz = b.getLong(at + 40);
            switch (ptype) {
                case PT_INTERP, PT_DYNAMIC -> throw new InvalidElfException(
                        "a dynamically linked binary; Thaw runs static executables built with thaw-cc");
                case PT_LOAD -> {
                    if (offset < 0 || filesz < 0 || memsz < filesz || offset > file.length || filesz > file.length - offset) {
                        throw new InvalidElfException("segment " + i + " lies outside the file or has file size > memory size");
                    }
                    if (vaddr < 0 || memsz > MAX_ADDRESS || vaddr > MAX_ADDRESS - memsz) {
                        throw new InvalidElfException("segment " + i + " at 0x" + Long.toHexString(vaddr) + " is not in the low 4 GiB");
                    }
                    loads.add(new Segment(vaddr, offset, filesz, memsz, permission(flags)));
                }
                case PT_PHDR -> phdrAddress = vaddr;
                case PT_NOTE -> {
                    if (offset >= 0 && filesz >= 0 && offset <= file.length && filesz <= file.length - offset) {
                        int abi = thawNoteAbi(b, (int) offset, (int) filesz);
                        if (abi >= 0) {
                            thawNote = true;
                            noteAbi = abi;
                        }
                    }
                }
                case PT_TLS -> { } // musl finds its TLS template itself, through AT_PHDR
                default -> { }
            }
        }
        if (loads.isEmpty()) {
            throw new InvalidElfException("no loadable segment");
        }
        if (!thawNote) {
            throw new InvalidElfException("not linked against Thaw's libc and library OS (no Thaw note); "
                    + "build it with thaw-cc");
        }
        if (noteAbi != Abi.VERSION) {
            throw new InvalidElfException("built for Thaw ABI version " + noteAbi + "; this Thaw runs version " + Abi.VERSION);
        }
        if (phdrAddress < 0) { // no PT_PHDR: find the headers inside a loaded segment
            for (Segment s : loads) {
                if (phoff >= s.fileOffset() && phoff + (long) phnum * phentsize <= s.fileOffset() + s.fileSize()) {
                    phdrAddress = s.vaddr() + (phoff - s.fileOffset());
                }
            }
        }
        boolean entryInText = false;
        for (Segment s : loads) {
            entryInText |= entry >= s.vaddr() && entry < s.end() && s.permission().executable();
        }
        if (!entryInText) {
            throw new InvalidElfException("entry point 0x" + Long.toHexString(entry) + " is not in an executable segment");
        }
        return new ElfImage(file, entry, List.copyOf(loads), phdrAddress, phnum, phentsize);
    }

    private static PagePermission permission(int flags) {
        boolean w = (flags & PF_W) != 0;
        boolean x = (flags & PF_X) != 0;
        return w ? (x ? PagePermission.READ_WRITE_EXECUTE : PagePermission.READ_WRITE)
                : (x ? PagePermission.READ_EXECUTE : PagePermission.READ);
    }

    /** The ABI version in a Thaw note within [offset, offset+size), or -1. */
    private static int thawNoteAbi(ByteBuffer b, int offset, int size) {
        int at = offset;
        int end = offset + size;
        while (end - at >= 12) {
            int namesz = b.getInt(at);
            int descsz = b.getInt(at + 4);
            int type = b.getInt(at + 8);
            if (namesz < 0 || descsz < 0 || namesz > size || descsz > size) {
                return -1;
            }
            int name = at + 12;
            int desc = name + align4(namesz);
            int next = desc + align4(descsz);
            if (next > end || next < at) {
                return -1;
            }
            String owner = new String(b.array(), name, Math.max(0, namesz - 1), StandardCharsets.US_ASCII);
            if (owner.equals(Abi.NOTE_NAME) && type == Abi.NOTE_ABI && descsz == 4) {
                return b.getInt(desc);
            }
            at = next;
        }
        return -1;
    }

    private static int align4(int n) {
        return (n + 3) & ~3;
    }

    public long entry() {
        return entry;
    }

    public List<Segment> segments() {
        return segments;
    }

    /** Lowest and highest (exclusive) guest address the segments occupy. */
    public long start() {
        return segments.stream().mapToLong(Segment::vaddr).min().orElseThrow();
    }

    public long end() {
        return segments.stream().mapToLong(Segment::end).max().orElseThrow();
    }

    /** Where the program headers are in guest memory (AT_PHDR), or -1 if not loaded. */
    public long phdrAddress() {
        return phdrAddress;
    }

    public int phdrCount() {
        return phdrCount;
    }

    public int phdrEntrySize() {
        return phdrEntrySize;
    }

    /** The file bytes of a segment. */
    public byte[] contents(Segment s) {
        byte[] out = new byte[(int) s.fileSize()];
        System.arraycopy(file, (int) s.fileOffset(), out, 0, out.length);
        return out;
    }
}
