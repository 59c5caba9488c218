/* The writable /tmp: files and directories in guest memory.
 *
 * Nodes live in a fixed table (.bss); file contents in anonymous mappings from memory.c,
 * so /tmp is bounded by the function's memory (a full memory is ENOSPC) and, being guest
 * memory, vanishes with the rest of it when the shell is reset after an invocation. Files
 * written during init are part of the snapshot, and every invocation starts with them.
 *
 * Like Linux, an unlinked file that is still open keeps its contents until the last
 * descriptor is closed (SQLite unlinks its temporary files right after opening them).
 */
#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include "fs.h"
#include "libos.h"

#define TMP_NODES 512

struct tmp_node {
    uint8_t used, is_dir, linked;
    uint16_t name_len;
    uint16_t mode;              /* permission bits */
    uint32_t parent;
    uint32_t opens;
    char *data;
    uint64_t size, cap;
    uint64_t mtime_ns;
    char name[TMP_NAME_MAX];
};

static struct tmp_node nodes[TMP_NODES];

static struct tmp_node *node(uint32_t i)
{
    struct tmp_node *n = &nodes[i];
    if (i == TMP_ROOT && !n->used) { /* /tmp exists from the start */
        n->used = n->is_dir = n->linked = 1;
        n->mode = 01777;
    }
    return n;
}

static uint64_t now_ns(void)
{
    int ok;
    return clock_now_ns(0 /* CLOCK_REALTIME */, &ok);
}

int tmp_child(uint32_t dir, const char *name, size_t len)
{
    for (uint32_t i = 1; i < TMP_NODES; i++) {
        const struct tmp_node *n = &nodes[i];
        if (n->used && n->linked && n->parent == dir && n->name_len == len && !memcmp(n->name, name, len))
            return (int)i;
    }
    return -1;
}

long tmp_create(uint32_t dir, const char *name, size_t len, int is_dir, mode_t mode)
{
    if (len > TMP_NAME_MAX)
        return -ENAMETOOLONG;
    if (tmp_child(dir, name, len) >= 0)
        return -EEXIST;
    for (uint32_t i = 1; i < TMP_NODES; i++) {
        struct tmp_node *n = &nodes[i];
        if (n->used)
            continue;
        memset(n, 0, sizeof *n - sizeof n->name);
        n->used = n->linked = 1;
        n->is_dir = (uint8_t)is_dir;
        n->mode = (uint16_t)(mode & 07777);
        n->parent = dir;
        n->name_len = (uint16_t)len;
        memcpy(n->name, name, len);
        n->mtime_ns = now_ns();
        node(dir)->mtime_ns = n->mtime_ns;
        return (long)i;
    }
    return -ENOSPC;
}

static void free_if_unused(struct tmp_node *n)
{
    if (n->linked || n->opens)
        return;
    if (n->cap)
        mem_munmap((uintptr_t)n->data, n->cap);
    n->used = 0;
}

long tmp_remove(uint32_t dir, const char *name, size_t len, int dir_wanted)
{
    int i = tmp_child(dir, name, len);
    if (i < 0)
        return -ENOENT;
    struct tmp_node *n = &nodes[i];
    if (dir_wanted && !n->is_dir)
        return -ENOTDIR;
    if (!dir_wanted && n->is_dir)
        return -EISDIR;
    if (n->is_dir) {
        uint32_t slot = 0;
        if (tmp_next_child((uint32_t)i, &slot) >= 0)
            return -ENOTEMPTY;
    }
    n->linked = 0;
    node(dir)->mtime_ns = now_ns();
    free_if_unused(n);
    return 0;
}

/* True when `node` is `ancestor` or lies below it. */
static int inside(uint32_t node_index, uint32_t ancestor)
{
    for (uint32_t i = node_index;; i = nodes[i].parent) {
        if (i == ancestor)
            return 1;
        if (i == TMP_ROOT)
            return 0;
    }
}

long tmp_rename(uint32_t from_dir, const char *from, size_t from_len,
                uint32_t to_dir, const char *to, size_t to_len)
{
    int src = tmp_child(from_dir, from, from_len);
    if (src < 0)
        return -ENOENT;
    if (to_len > TMP_NAME_MAX)
        return -ENAMETOOLONG;
    if (nodes[src].is_dir && inside(to_dir, (uint32_t)src))
        return -EINVAL; /* a directory cannot move into itself */
    int dst = tmp_child(to_dir, to, to_len);
    if (dst == src)
        return 0;
    if (dst >= 0) {
        struct tmp_node *d = &nodes[dst];
        if (d->is_dir && !nodes[src].is_dir)
            return -EISDIR;
        if (!d->is_dir && nodes[src].is_dir)
            return -ENOTDIR;
        long r = tmp_remove(to_dir, to, to_len, d->is_dir);
        if (r < 0)
            return r;
    }
    struct tmp_node *n = &nodes[src];
    n->parent = to_dir;
    n->name_len = (uint16_t)to_len;
    memcpy(n->name, to, to_len);
    node(from_dir)->mtime_ns = node(to_dir)->mtime_ns = now_ns();
    return 0;
}

int tmp_is_dir(uint32_t i) { return node(i)->is_dir; }
uint32_t tmp_parent(uint32_t i) { return node(i)->parent; }
uint64_t tmp_size(uint32_t i) { return node(i)->size; }

const char *tmp_name(uint32_t i, size_t *len)
{
    *len = nodes[i].name_len;
    return nodes[i].name;
}

long tmp_read(uint32_t i, void *buf, size_t len, uint64_t off)
{
    struct tmp_node *n = node(i);
    if (off >= n->size)
        return 0;
    size_t take = n->size - off < len ? (size_t)(n->size - off) : len;
    memcpy(buf, n->data + off, take);
    return (long)take;
}

/* Makes room for `size` bytes; new bytes read as zero. */
static long reserve(struct tmp_node *n, uint64_t size)
{
    if (size <= n->cap)
        return 0;
    if (size > boot_info()->mem_size)
        return -EFBIG;
    uint64_t cap = n->cap ? n->cap : PAGE_SIZE;
    while (cap < size)
        cap *= 2;
    long p = mem_mmap(0, cap, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p < 0)
        return -ENOSPC;
    if (n->cap) {
        memcpy((void *)p, n->data, n->size);
        mem_munmap((uintptr_t)n->data, n->cap);
    }
    n->data = (char *)p;
    n->cap = cap;
    return 0;
}

long tmp_write(uint32_t i, const void *buf, size_t len, uint64_t off)
{
    struct tmp_node *n = node(i);
    if (off + len < off)
        return -EFBIG;
    long r = reserve(n, off + len);
    if (r < 0)
        return r;
    if (off > n->size)
        memset(n->data + n->size, 0, off - n->size);
    memcpy(n->data + off, buf, len);
    if (off + len > n->size)
        n->size = off + len;
    n->mtime_ns = now_ns();
    return (long)len;
}

long tmp_truncate(uint32_t i, uint64_t size)
{
    struct tmp_node *n = node(i);
    if (n->is_dir)
        return -EISDIR;
    long r = reserve(n, size);
    if (r < 0)
        return r;
    if (size > n->size)
        memset(n->data + n->size, 0, size - n->size);
    n->size = size;
    n->mtime_ns = now_ns();
    return 0;
}

void tmp_stat(uint32_t i, struct stat *st)
{
    const struct tmp_node *n = node(i);
    memset(st, 0, sizeof *st);
    st->st_dev = 2;
    st->st_ino = 1 + i;
    st->st_nlink = n->linked ? (n->is_dir ? 2 : 1) : 0;
    st->st_mode = (n->is_dir ? S_IFDIR : S_IFREG) | n->mode;
    st->st_size = (off_t)n->size;
    st->st_blksize = PAGE_SIZE;
    st->st_blocks = (blkcnt_t)(n->cap / 512);
    st->st_atim = st->st_mtim = st->st_ctim =
        (struct timespec){ (time_t)(n->mtime_ns / 1000000000u), (long)(n->mtime_ns % 1000000000u) };
}

long tmp_chmod(uint32_t i, mode_t mode)
{
    node(i)->mode = (uint16_t)(mode & 07777);
    return 0;
}

void tmp_touch(uint32_t i) { node(i)->mtime_ns = now_ns(); }
void tmp_hold(uint32_t i) { node(i)->opens++; }

void tmp_release(uint32_t i)
{
    struct tmp_node *n = node(i);
    if (n->opens)
        n->opens--;
    free_if_unused(n);
}

int tmp_next_child(uint32_t dir, uint32_t *slot)
{
    for (uint32_t i = *slot < 1 ? 1 : *slot; i < TMP_NODES; i++) {
        const struct tmp_node *n = &nodes[i];
        if (n->used && n->linked && n->parent == dir) {
            *slot = i + 1;
            return (int)i;
        }
    }
    *slot = TMP_NODES;
    return -1;
}
