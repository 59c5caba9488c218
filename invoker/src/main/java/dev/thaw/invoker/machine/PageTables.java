package dev.thaw.invoker.machine;

import static java.lang.foreign.ValueLayout.JAVA_LONG;

import dev.thaw.invoker.kvm.GuestMemory;
import java.lang.foreign.MemorySegment;

/**
 * Four-level page tables that identity-map guest RAM with 4 KiB pages, each with its own
 * permission (so text is read-only, data is not executable, guard pages fault).
 *
 * <p>Every entry is created with its Accessed and Dirty bits already set. Otherwise the
 * first access of every invocation would make the MMU write those bits into the tables,
 * dirtying page-table pages that then have to be reset after each invocation.
 */
public final class PageTables {
    private PageTables() {}

    public static final long PAGE = 4096;
    /** One page directory: guest RAM up to 1 GiB. */
    public static final long MAX_MEMORY = 1L << 30;

    private static final long PRESENT = 1;
    private static final long WRITABLE = 1 << 1;
    private static final long USER = 1 << 2;
    private static final long ACCESSED = 1 << 5;
    private static final long DIRTY = 1 << 6;
    private static final long LARGE = 1 << 7;
    private static final long NO_EXECUTE = 1L << 63;
    private static final long TABLE = PRESENT | WRITABLE | USER | ACCESSED;
    private static final long ADDRESS_BITS = 0x000ffffffffff000L;
    private static final long CANONICAL_LIMIT = 1L << 47;

    /** Bytes of guest memory the tables for {@code memorySize} occupy. */
    public static long size(long memorySize) {
        return (3 + pageTableCount(memorySize)) * PAGE;
    }

    private static long pageTableCount(long memorySize) {
        return (memorySize + 512 * PAGE - 1) / (512 * PAGE);
    }

    /** Page permission by guest page number. */
    @FunctionalInterface
    public interface Permissions {
        PagePermission of(long pageNumber);
    }

    /**
     * Writes the tables into {@code at} (guest memory starting at guest address {@code base},
     * {@link #size} bytes) and returns the value for CR3.
     */
    public static long build(MemorySegment at, long base, long memorySize, Permissions permissions) {
        if (memorySize > MAX_MEMORY || memorySize % PAGE != 0) {
            throw new IllegalArgumentException("guest memory must be a multiple of 4 KiB up to 1 GiB: " + memorySize);
        }
        long pml4 = base;
        long pdpt = base + PAGE;
        long pd = base + 2 * PAGE;
        long pts = base + 3 * PAGE;
        at.fill((byte) 0);
        at.set(JAVA_LONG, 0, pdpt | TABLE);
        at.set(JAVA_LONG, PAGE, pd | TABLE);
        for (long t = 0; t < pageTableCount(memorySize); t++) {
            at.set(JAVA_LONG, 2 * PAGE + t * 8, (pts + t * PAGE) | TABLE);
        }
        for (long page = 0; page < memorySize / PAGE; page++) {
            at.set(JAVA_LONG, 3 * PAGE + page * 8, entry(page * PAGE, permissions.of(page)));
        }
        return pml4;
    }

    /**
     * What CPL3 code may do at guest-virtual {@code address}, by walking the four-level tables
     * at {@code cr3} in guest memory (every entry read through the checked accessor). User
     * access needs the user bit at every level, writing needs the writable bit at every level,
     * and no-execute at any level forbids executing. Large pages (2 MiB, 1 GiB) are honoured,
     * though {@link #build} never makes them.
     */
    public static PagePermission permission(GuestMemory memory, long cr3, long address)
            throws GuestMemory.OutOfRangeException {
        if (address < 0 || address >= CANONICAL_LIMIT) {
            return PagePermission.NONE;
        }
        long table = cr3 & ADDRESS_BITS;
        boolean writable = true;
        boolean executable = true;
        for (int level = 3; level >= 0; level--) {
            long e = memory.readLong(table + ((address >>> (12 + 9 * level)) & 511) * 8);
            if ((e & PRESENT) == 0 || (e & USER) == 0) {
                return PagePermission.NONE;
            }
            writable &= (e & WRITABLE) != 0;
            executable &= (e & NO_EXECUTE) == 0;
            if (level == 0 || (level <= 2 && (e & LARGE) != 0)) {
                break;
            }
            table = e & ADDRESS_BITS;
        }
        return writable ? (executable ? PagePermission.READ_WRITE_EXECUTE : PagePermission.READ_WRITE)
                : (executable ? PagePermission.READ_EXECUTE : PagePermission.READ);
    }

    private static long entry(long address, PagePermission permission) {
        return switch (permission) {
            case NONE -> 0;
            case READ -> address | PRESENT | USER | ACCESSED | DIRTY | NO_EXECUTE;
            case READ_WRITE -> address | PRESENT | WRITABLE | USER | ACCESSED | DIRTY | NO_EXECUTE;
            case READ_EXECUTE -> address | PRESENT | USER | ACCESSED | DIRTY;
            case READ_WRITE_EXECUTE -> address | PRESENT | WRITABLE | USER | ACCESSED | DIRTY;
        };
    }
}
