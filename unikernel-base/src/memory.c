/* Memory: brk and anonymous mmap over the guest's own RAM.
 *
 *   heap_start ... brk ->        <- mmap_low ... mmap_top
 *
 * The heap grows up from the end of the image, mappings grow down from mmap_top; a free
 * page always separates them. Freed mappings go to a small list of free extents and are
 * reused first fit. Linux promises zeroed memory from brk and mmap: pages the guest has
 * never used are zero in the snapshot, and pages it used before are cleared on reuse.
 * Every invocation starts from the snapshot again, so nothing here needs to shrink.
 */
#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include "libos.h"

#define MAX_FREE 128

struct extent {
    uintptr_t start, end;
};

static struct {
    int ready;
    uintptr_t brk, brk_high;          /* current break; highest break ever (dirty below) */
    uintptr_t mmap_low, mmap_lowest;  /* lowest mapping now; lowest ever (dirty above) */
    struct extent free[MAX_FREE];     /* sorted by address, coalesced */
    int nfree;
} mem;

static void init(void)
{
    if (mem.ready)
        return;
    const struct thaw_boot_info *b = boot_info();
    mem.brk = mem.brk_high = b->heap_start;
    mem.mmap_low = mem.mmap_lowest = b->mmap_top;
    mem.ready = 1;
}

static uintptr_t page_up(uintptr_t x) { return (x + PAGE_SIZE - 1) & ~(PAGE_SIZE - 1); }

long mem_brk(uintptr_t addr)
{
    init();
    if (addr < boot_info()->heap_start || addr + PAGE_SIZE > mem.mmap_low)
        return (long)mem.brk; /* Linux reports failure by returning the old break */
    if (addr > mem.brk && mem.brk < mem.brk_high) {
        uintptr_t end = addr < mem.brk_high ? addr : mem.brk_high;
        memset((void *)mem.brk, 0, end - mem.brk);
    }
    mem.brk = addr;
    if (addr > mem.brk_high)
        mem.brk_high = addr;
    return (long)addr;
}

static void remove_extent(int i)
{
    memmove(&mem.free[i], &mem.free[i + 1], (size_t)(mem.nfree - i - 1) * sizeof mem.free[0]);
    mem.nfree--;
}

long mem_mmap(uintptr_t addr, size_t len, int prot, int flags, int fd, long off)
{
    (void)addr;
    init();
    if (!(flags & MAP_ANONYMOUS)) {
        /* A file: a private copy of its contents (the files are in guest memory already, but
         * not page-aligned). Nothing can write a shared mapping back to a read-only file. */
        if ((flags & MAP_SHARED) && (prot & PROT_WRITE))
            return -EACCES;
        if (off < 0 || off & (PAGE_SIZE - 1))
            return -EINVAL;
        long p = mem_mmap(addr, len, prot, (flags & ~MAP_SHARED) | MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (p < 0)
            return p;
        long r = fs_mmap_copy(fd, (void *)p, len, off);
        if (r < 0) {
            mem_munmap((uintptr_t)p, len);
            return r;
        }
        return p;
    }
    if (flags & (MAP_FIXED | MAP_FIXED_NOREPLACE))
        return -ENOMEM;
    if (!len || len > boot_info()->mem_size)
        return -EINVAL;
    len = page_up(len);
    for (int i = 0; i < mem.nfree; i++) {
        struct extent *e = &mem.free[i];
        if (e->end - e->start >= len) {
            uintptr_t p = e->start;
            e->start += len;
            if (e->start == e->end)
                remove_extent(i);
            memset((void *)p, 0, len);
            return (long)p;
        }
    }
    if (mem.mmap_low - mem.brk < len + PAGE_SIZE)
        return -ENOMEM;
    uintptr_t p = mem.mmap_low - len;
    uintptr_t used = p > mem.mmap_lowest ? p : mem.mmap_lowest; /* mapped and unmapped before */
    if (mem.mmap_low > used)
        memset((void *)used, 0, mem.mmap_low - used);
    mem.mmap_low = p;
    if (p < mem.mmap_lowest)
        mem.mmap_lowest = p;
    return (long)p;
}

long mem_munmap(uintptr_t addr, size_t len)
{
    init();
    len = page_up(len);
    if (addr & (PAGE_SIZE - 1) || !len || addr < mem.mmap_low || addr + len < addr ||
        addr + len > boot_info()->mmap_top)
        return -EINVAL;
    int i = 0;
    while (i < mem.nfree && mem.free[i].end <= addr)
        i++;
    if (i < mem.nfree && mem.free[i].start < addr + len)
        return -EINVAL; /* overlaps memory that is already free */
    if (i > 0 && mem.free[i - 1].end == addr) {
        mem.free[i - 1].end += len;
        if (i < mem.nfree && mem.free[i].start == mem.free[i - 1].end) {
            mem.free[i - 1].end = mem.free[i].end;
            remove_extent(i);
        }
    } else if (i < mem.nfree && mem.free[i].start == addr + len) {
        mem.free[i].start = addr;
    } else if (mem.nfree < MAX_FREE) {
        memmove(&mem.free[i + 1], &mem.free[i], (size_t)(mem.nfree - i) * sizeof mem.free[0]);
        mem.free[i] = (struct extent){ addr, addr + len };
        mem.nfree++;
    } else {
        return 0; /* list full: the range stays allocated until the invocation ends */
    }
    /* Give the lowest free extent back to the bump allocator. */
    if (mem.nfree && mem.free[0].start == mem.mmap_low) {
        mem.mmap_low = mem.free[0].end;
        remove_extent(0);
    }
    return 0;
}

/* Grows by moving (MREMAP_MAYMOVE) or shrinks in place. */
long mem_mremap(uintptr_t old, size_t old_len, size_t new_len, int flags)
{
    init();
    old_len = page_up(old_len);
    new_len = page_up(new_len);
    if (old & (PAGE_SIZE - 1) || !new_len || flags & ~MREMAP_MAYMOVE || old < mem.mmap_low
        || old + old_len < old || old + old_len > boot_info()->mmap_top)
        return -EINVAL;
    if (new_len <= old_len) {
        if (new_len < old_len)
            mem_munmap(old + new_len, old_len - new_len);
        return (long)old;
    }
    if (!(flags & MREMAP_MAYMOVE))
        return -ENOMEM;
    long p = mem_mmap(0, new_len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p < 0)
        return p;
    memcpy((void *)p, (const void *)old, old_len);
    mem_munmap(old, old_len);
    return p;
}

long mem_madvise(uintptr_t addr, size_t len, int advice)
{
    if (advice == MADV_DONTNEED) { /* Linux: anonymous pages read back as zero */
        if (addr + len < addr || addr + len > boot_info()->mem_size)
            return -EINVAL;
        memset((void *)addr, 0, len);
    }
    return 0;
}
