/* Files: the read-only file image the snapshotter placed in guest memory (a runtime's
 * library, the function's bundle under /function), and the writable /tmp (tmpfs.c).
 *
 * Paths are resolved lexically (there are no symbolic links): relative paths start at the
 * working directory, /function unless the function changes it. Descriptors 0-2 are the
 * request and the output (io.c); files and directories get 3 and up. A descriptor made by
 * dup() has its own offset (on Linux the two share one).
 *
 * Anything that would change a file outside /tmp fails with EROFS, or ENOENT when the file
 * does not exist, as on a read-only Linux mount.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <thaw/fsimage.h>
#include <unistd.h>
#include "fs.h"
#include "libos.h"

#define MAX_FDS 256
#define FIRST_FD 3

enum kind { FREE, IMAGE_FILE, IMAGE_DIR, TMP_FILE, TMP_DIR };

struct open_file {
    uint8_t kind;
    uint8_t cloexec;
    int flags;                /* O_ACCMODE | O_APPEND as opened */
    uint32_t node;
    uint64_t pos;             /* files: the offset; directories: the next entry */
};

static struct {
    struct open_file fd[MAX_FDS];
    char cwd[PATH_MAX];
    int image_checked;        /* 1: valid, -1: absent or invalid (an empty root is used) */
    const struct thaw_fs_header *header;
    const struct thaw_fs_node *nodes;
    const char *names;
} fs;

/* ---- The image ------------------------------------------------------------------------ */

/* The image is the host's: these checks are courtesy, so that a bad image gives ENOENT
 * rather than a fault inside a system call. */
static int image_valid(const struct thaw_fs_header *h, uint64_t size)
{
    if (size < sizeof *h || h->magic != THAW_FS_MAGIC || h->version != THAW_FS_VERSION || h->size > size)
        return 0;
    uint64_t count = h->node_count;
    if (!count || h->nodes % 8 || h->nodes > h->size || count > (h->size - h->nodes) / sizeof(struct thaw_fs_node))
        return 0;
    if (h->names > h->size || h->names_size > h->size - h->names)
        return 0;
    const struct thaw_fs_node *n = (const void *)((const char *)h + h->nodes);
    if (n[0].mode != THAW_FS_DIR)
        return 0;
    for (uint64_t i = 0; i < count; i++) {
        if (n[i].parent >= count || n[i].name > h->names_size || n[i].name_len > h->names_size - n[i].name
            || n[i].name_len > TMP_NAME_MAX || (i && !n[i].name_len))
            return 0;
        if (n[i].mode == THAW_FS_DIR) {
            if (n[i].data > count || n[i].size > count - n[i].data)
                return 0;
            for (uint64_t c = n[i].data; c < n[i].data + n[i].size; c++)
                if (n[c].parent != i || c == 0)
                    return 0;
        } else if (n[i].mode == THAW_FS_FILE || n[i].mode == THAW_FS_EXEC) {
            if (n[i].data > h->size || n[i].size > h->size - n[i].data)
                return 0;
        } else {
            return 0;
        }
    }
    return 1;
}

static const struct thaw_fs_header *image(void)
{
    static const struct {
        struct thaw_fs_header h;
        struct thaw_fs_node root;
    } empty = {
        { THAW_FS_MAGIC, THAW_FS_VERSION, 1, sizeof(struct thaw_fs_header), 0, 0,
          sizeof(struct thaw_fs_header) + sizeof(struct thaw_fs_node), 0 },
        { THAW_FS_DIR, 0, 0, 0, 0, 0, 0 },
    };
    if (!fs.image_checked) {
        const struct thaw_boot_info *b = boot_info();
        const struct thaw_fs_header *h = (const void *)(uintptr_t)b->fs_image;
        int ok = b->fs_image && b->fs_image % 8 == 0 && b->fs_size <= b->mem_size
                 && b->fs_image <= b->mem_size - b->fs_size && image_valid(h, b->fs_size);
        fs.header = ok ? h : &empty.h;
        fs.nodes = (const void *)((const char *)fs.header + fs.header->nodes);
        fs.names = (const char *)fs.header + fs.header->names;
        fs.image_checked = ok ? 1 : -1;
    }
    return fs.header;
}

static const struct thaw_fs_node *inode(uint32_t i)
{
    image();
    return &fs.nodes[i];
}

static int name_cmp(const struct thaw_fs_node *n, const char *name, size_t len)
{
    size_t m = n->name_len < len ? n->name_len : len;
    int c = memcmp(fs.names + n->name, name, m);
    return c ? c : (n->name_len > len) - (n->name_len < len);
}

/* The child of image directory `dir` called `name`, or -1. */
static long image_child(uint32_t dir, const char *name, size_t len)
{
    const struct thaw_fs_node *d = inode(dir);
    uint64_t lo = d->data, hi = d->data + d->size;
    while (lo < hi) {
        uint64_t mid = lo + (hi - lo) / 2;
        int c = name_cmp(&fs.nodes[mid], name, len);
        if (!c)
            return (long)mid;
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return -1;
}

/* ---- Paths ---------------------------------------------------------------------------- */

const char *fs_cwd(void)
{
    if (!fs.cwd[0])
        strcpy(fs.cwd, "/function");
    return fs.cwd;
}

static int is_dir(struct vnode v)
{
    return v.tmp ? tmp_is_dir(v.index) : inode(v.index)->mode == THAW_FS_DIR;
}

/* Writes the absolute path of a directory into out (PATH_MAX bytes). */
static long vnode_path(struct vnode v, char *out)
{
    char tmp[PATH_MAX];
    size_t at = sizeof tmp;
    tmp[--at] = 0;
    for (;;) {
        const char *name;
        size_t len;
        if (v.tmp && v.index == TMP_ROOT) {
            name = "tmp";
            len = 3;
            v = (struct vnode){ 0, 0 };
        } else if (v.tmp) {
            name = tmp_name(v.index, &len);
            v.index = tmp_parent(v.index);
        } else if (v.index == 0) {
            break;
        } else {
            const struct thaw_fs_node *n = inode(v.index);
            name = fs.names + n->name;
            len = n->name_len;
            v.index = n->parent;
        }
        if (at < len + 1)
            return -ENAMETOOLONG;
        at -= len;
        memcpy(tmp + at, name, len);
        tmp[--at] = '/';
    }
    if (at == sizeof tmp - 1)
        tmp[--at] = '/';
    memcpy(out, tmp + at, sizeof tmp - at);
    return 0;
}

/* A lexically normalised absolute path: no ".", "..", repeated or trailing slashes.
 * *dir_only is set when the path ended with a slash (it must name a directory). */
static long absolute(int dirfd, const char *path, char *out, int *dir_only)
{
    char base[PATH_MAX];
    if (!path)
        return -EFAULT;
    if (!*path)
        return -ENOENT;
    if (strnlen(path, PATH_MAX) == PATH_MAX)
        return -ENAMETOOLONG;
    size_t len = 0;
    out[0] = 0;
    if (*path != '/') {
        if (dirfd == AT_FDCWD) {
            strcpy(base, fs_cwd());
        } else {
            if (dirfd < FIRST_FD || dirfd >= MAX_FDS || fs.fd[dirfd].kind == FREE)
                return -EBADF;
            struct open_file *f = &fs.fd[dirfd];
            if (f->kind != IMAGE_DIR && f->kind != TMP_DIR)
                return -ENOTDIR;
            long r = vnode_path((struct vnode){ f->kind == TMP_DIR, f->node }, base);
            if (r < 0)
                return r;
        }
        len = strlen(base);
        memcpy(out, base, len + 1);
        if (len == 1)
            len = 0; /* "/": components are appended after a slash */
    }
    const char *p = path;
    *dir_only = 0;
    while (*p) {
        while (*p == '/')
            p++;
        if (!*p) {
            *dir_only = 1;
            break;
        }
        const char *start = p;
        while (*p && *p != '/')
            p++;
        size_t n = (size_t)(p - start);
        if (n > TMP_NAME_MAX)
            return -ENAMETOOLONG;
        if (n == 1 && start[0] == '.')
            continue;
        if (n == 2 && start[0] == '.' && start[1] == '.') {
            while (len && out[len - 1] != '/')
                len--;
            if (len)
                len--;
            continue;
        }
        if (len + 1 + n + 1 > PATH_MAX)
            return -ENAMETOOLONG;
        out[len++] = '/';
        memcpy(out + len, start, n);
        len += n;
    }
    if (!len)
        out[len++] = '/';
    out[len] = 0;
    if (path[strlen(path) - 1] == '/')
        *dir_only = 1;
    return 0;
}

/* The child `name` of directory v, or -ENOENT. /tmp is the image root's "tmp". */
static long child(struct vnode dir, const char *name, size_t len, struct vnode *out)
{
    if (!is_dir(dir))
        return -ENOTDIR;
    if (!dir.tmp && dir.index == 0 && len == 3 && !memcmp(name, "tmp", 3)) {
        *out = (struct vnode){ 1, TMP_ROOT };
        return 0;
    }
    long i = dir.tmp ? tmp_child(dir.index, name, len) : image_child(dir.index, name, len);
    if (i < 0)
        return -ENOENT;
    *out = (struct vnode){ dir.tmp, (uint32_t)i };
    return 0;
}

/* Looks up an absolute normalised path. With `parent` set, stops before the last component
 * and returns it in *last, *last_len ("/" has none: EBUSY). */
static long walk(const char *abs, struct vnode *out, int parent, const char **last, size_t *last_len)
{
    struct vnode v = { 0, 0 };
    const char *p = abs + 1;
    if (parent && !*p)
        return -EBUSY;
    while (*p) {
        const char *end = strchr(p, '/');
        size_t n = end ? (size_t)(end - p) : strlen(p);
        if (parent && !end) {
            if (!is_dir(v))
                return -ENOTDIR;
            *last = p;
            *last_len = n;
            break;
        }
        long r = child(v, p, n, &v);
        if (r < 0)
            return r;
        p += n;
        if (*p)
            p++;
    }
    *out = v;
    return 0;
}

static long lookup(int dirfd, const char *path, struct vnode *v)
{
    char abs[PATH_MAX];
    int dir_only;
    long r = absolute(dirfd, path, abs, &dir_only);
    if (r < 0)
        return r;
    r = walk(abs, v, 0, 0, 0);
    if (r < 0)
        return r;
    return dir_only && !is_dir(*v) ? -ENOTDIR : 0;
}

/* For calls that create or remove: the directory that holds the last component. */
struct place {
    struct vnode dir;
    const char *name;
    size_t len;
    char abs[PATH_MAX];
};

static long locate(int dirfd, const char *path, struct place *pl)
{
    int dir_only;
    long r = absolute(dirfd, path, pl->abs, &dir_only);
    if (r < 0)
        return r;
    return walk(pl->abs, &pl->dir, 1, &pl->name, &pl->len);
}

/* ---- Descriptors ---------------------------------------------------------------------- */

static struct open_file *file(int fd)
{
    if (fd < FIRST_FD || fd >= MAX_FDS || fs.fd[fd].kind == FREE)
        return 0;
    return &fs.fd[fd];
}

static long new_fd(int lowest)
{
    for (int fd = lowest < FIRST_FD ? FIRST_FD : lowest; fd < MAX_FDS; fd++)
        if (fs.fd[fd].kind == FREE)
            return fd;
    return -EMFILE;
}

static long install(int fd, struct vnode v, int flags)
{
    struct open_file *f = &fs.fd[fd];
    f->kind = v.tmp ? (tmp_is_dir(v.index) ? TMP_DIR : TMP_FILE) : (is_dir(v) ? IMAGE_DIR : IMAGE_FILE);
    f->node = v.index;
    f->flags = flags & (O_ACCMODE | O_APPEND);
    f->cloexec = !!(flags & O_CLOEXEC);
    f->pos = 0;
    if (v.tmp)
        tmp_hold(v.index);
    return fd;
}

static long sys_openat(int dirfd, const char *path, int flags, mode_t mode)
{
    int acc = flags & O_ACCMODE;
    int writes = acc == O_WRONLY || acc == O_RDWR || (flags & O_TRUNC);
    struct place pl;
    struct vnode v;
    long r = locate(dirfd, path, &pl);
    if (r == -EBUSY) { /* "/" itself */
        v = (struct vnode){ 0, 0 };
        r = 0;
    } else if (r == 0) {
        r = child(pl.dir, pl.name, pl.len, &v);
        if (r == -ENOENT && (flags & O_CREAT)) {
            if (!pl.dir.tmp)
                return -EROFS;
            long n = tmp_create(pl.dir.index, pl.name, pl.len, 0, mode & ~022u);
            if (n < 0)
                return n;
            v = (struct vnode){ 1, (uint32_t)n };
            flags &= ~O_TRUNC;
            r = 0;
        } else if (r == 0 && (flags & O_CREAT) && (flags & O_EXCL)) {
            return -EEXIST;
        }
    }
    if (r < 0)
        return r;
    if (is_dir(v)) {
        if (writes || (flags & O_CREAT))
            return -EISDIR;
    } else {
        if (flags & O_DIRECTORY)
            return -ENOTDIR;
        if (writes && !v.tmp)
            return -EROFS;
    }
    long fd = new_fd(FIRST_FD);
    if (fd < 0)
        return fd;
    if (v.tmp && !is_dir(v) && (flags & O_TRUNC) && acc != O_RDONLY)
        tmp_truncate(v.index, 0);
    return install((int)fd, v, flags);
}

static long sys_close(int fd)
{
    struct open_file *f = file(fd);
    if (!f)
        return -EBADF;
    if (f->kind == TMP_FILE || f->kind == TMP_DIR)
        tmp_release(f->node);
    f->kind = FREE;
    return 0;
}

static long sys_dup(int fd, int lowest, int exact, int flags)
{
    struct open_file *f = file(fd);
    if (!f)
        return -EBADF;
    long to;
    if (exact >= 0) {
        if (exact == fd)
            return flags == -1 ? fd : -EINVAL; /* dup2 returns fd; dup3 refuses */
        if (exact < FIRST_FD || exact >= MAX_FDS)
            return -EBADF; /* the standard streams stay what they are */
        if (fs.fd[exact].kind != FREE)
            sys_close(exact);
        to = exact;
    } else {
        to = new_fd(lowest);
        if (to < 0)
            return to;
    }
    fs.fd[to] = *f;
    fs.fd[to].cloexec = flags > 0 && (flags & O_CLOEXEC);
    if (f->kind == TMP_FILE || f->kind == TMP_DIR)
        tmp_hold(f->node);
    return to;
}

static uint64_t file_size(const struct open_file *f)
{
    return f->kind == TMP_FILE ? tmp_size(f->node) : inode(f->node)->size;
}

static long pread_file(struct open_file *f, void *buf, size_t len, uint64_t off)
{
    if (f->kind == IMAGE_DIR || f->kind == TMP_DIR)
        return -EISDIR;
    if ((f->flags & O_ACCMODE) == O_WRONLY)
        return -EBADF;
    if (f->kind == TMP_FILE)
        return tmp_read(f->node, buf, len, off);
    const struct thaw_fs_node *n = inode(f->node);
    if (off >= n->size)
        return 0;
    size_t take = n->size - off < len ? (size_t)(n->size - off) : len;
    memcpy(buf, (const char *)fs.header + n->data + off, take);
    return (long)take;
}

static long pwrite_file(struct open_file *f, const void *buf, size_t len, uint64_t off)
{
    if (f->kind == IMAGE_DIR || f->kind == TMP_DIR)
        return -EISDIR;
    if ((f->flags & O_ACCMODE) == O_RDONLY)
        return -EBADF;
    return tmp_write(f->node, buf, len, off);
}

long fs_read(int fd, void *buf, size_t len)
{
    struct open_file *f = file(fd);
    if (!f)
        return -EBADF;
    long r = pread_file(f, buf, len, f->pos);
    if (r > 0)
        f->pos += (uint64_t)r;
    return r;
}

long fs_write(int fd, const void *buf, size_t len)
{
    struct open_file *f = file(fd);
    if (!f)
        return -EBADF;
    if (f->kind == TMP_FILE && (f->flags & O_APPEND))
        f->pos = tmp_size(f->node);
    long r = pwrite_file(f, buf, len, f->pos);
    if (r > 0)
        f->pos += (uint64_t)r;
    return r;
}

long fs_mmap_copy(int fd, void *to, size_t len, long off)
{
    struct open_file *f = file(fd);
    if (!f)
        return -EBADF;
    if (f->kind != IMAGE_FILE && f->kind != TMP_FILE)
        return -ENODEV;
    if (off < 0)
        return -EINVAL;
    long r = pread_file(f, to, len, (uint64_t)off);
    return r < 0 ? r : 0;
}

static long sys_lseek(int fd, long off, int whence)
{
    struct open_file *f = file(fd);
    if (!f)
        return -EBADF;
    int64_t base;
    if (f->kind == IMAGE_DIR || f->kind == TMP_DIR) {
        if (whence != SEEK_SET || off != 0)
            return -EINVAL;
        f->pos = 0; /* rewinddir */
        return 0;
    }
    switch (whence) {
    case SEEK_SET: base = 0; break;
    case SEEK_CUR: base = (int64_t)f->pos; break;
    case SEEK_END: base = (int64_t)file_size(f); break;
    default: return -EINVAL;
    }
    if ((off > 0 && base > INT64_MAX - off) || base + off < 0)
        return -EINVAL;
    f->pos = (uint64_t)(base + off);
    return (long)f->pos;
}

static void image_stat(uint32_t i, struct stat *st)
{
    const struct thaw_fs_node *n = inode(i);
    memset(st, 0, sizeof *st);
    st->st_dev = 1;
    st->st_ino = 1 + i;
    st->st_mode = n->mode;
    st->st_nlink = n->mode == THAW_FS_DIR ? 2 : 1;
    st->st_size = n->mode == THAW_FS_DIR ? (off_t)PAGE_SIZE : (off_t)n->size;
    st->st_blksize = PAGE_SIZE;
    st->st_blocks = (blkcnt_t)((st->st_size + 511) / 512);
    uint64_t t = fs.header->mtime_ns;
    st->st_atim = st->st_mtim = st->st_ctim =
        (struct timespec){ (time_t)(t / 1000000000u), (long)(t % 1000000000u) };
}

static void vnode_stat(struct vnode v, struct stat *st)
{
    if (v.tmp)
        tmp_stat(v.index, st);
    else
        image_stat(v.index, st);
}

static long sys_fstat(int fd, struct stat *st)
{
    if (fd >= 0 && fd < FIRST_FD) {
        memset(st, 0, sizeof *st);
        st->st_mode = S_IFIFO | 0600; /* stdin and stdout behave like pipes */
        st->st_blksize = PAGE_SIZE;
        return 0;
    }
    struct open_file *f = file(fd);
    if (!f)
        return -EBADF;
    vnode_stat((struct vnode){ f->kind == TMP_FILE || f->kind == TMP_DIR, f->node }, st);
    return 0;
}

static long sys_fstatat(int dirfd, const char *path, struct stat *st, int flags)
{
    if ((flags & AT_EMPTY_PATH) && path && !*path)
        return sys_fstat(dirfd, st);
    struct vnode v;
    long r = lookup(dirfd, path, &v);
    if (r < 0)
        return r;
    vnode_stat(v, st);
    return 0;
}

static long sys_faccessat(int dirfd, const char *path, int amode)
{
    struct vnode v;
    long r = lookup(dirfd, path, &v);
    if (r < 0)
        return r;
    if ((amode & W_OK) && !v.tmp)
        return -EROFS;
    if (amode & X_OK) {
        struct stat st;
        vnode_stat(v, &st);
        if (!(st.st_mode & 0111))
            return -EACCES;
    }
    return 0;
}

/* Directory entries as Linux's struct linux_dirent64. Entry 0 is ".", 1 "..", then the
 * children; for /tmp the position after ".." is a slot in its node table. */
struct dirent64_header {
    uint64_t ino;
    int64_t off;
    uint16_t reclen;
    uint8_t type;
} __attribute__((packed));

static long put_dirent(char *buf, size_t cap, size_t *at, uint64_t ino, uint64_t next, int dir,
                       const char *name, size_t len)
{
    size_t reclen = (sizeof(struct dirent64_header) + len + 1 + 7) & ~7ul;
    if (*at + reclen > cap)
        return 0;
    struct dirent64_header h = { ino, (int64_t)next, (uint16_t)reclen, dir ? DT_DIR : DT_REG };
    memcpy(buf + *at, &h, sizeof h);
    memcpy(buf + *at + sizeof h, name, len);
    memset(buf + *at + sizeof h + len, 0, reclen - sizeof h - len);
    *at += reclen;
    return 1;
}

static long sys_getdents64(int fd, char *buf, size_t cap)
{
    struct open_file *f = file(fd);
    if (!f)
        return -EBADF;
    if (f->kind != IMAGE_DIR && f->kind != TMP_DIR)
        return -ENOTDIR;
    size_t at = 0;
    for (;;) {
        uint64_t pos = f->pos, next;
        int dir;
        uint64_t ino;
        const char *name;
        size_t len;
        if (pos < 2) {
            name = "..";
            len = pos + 1;
            next = pos + 1;
            dir = 1;
            ino = 1;
        } else if (f->kind == IMAGE_DIR) {
            const struct thaw_fs_node *d = inode(f->node);
            if (pos - 2 >= d->size)
                break;
            uint32_t c = (uint32_t)(d->data + pos - 2);
            const struct thaw_fs_node *n = inode(c);
            name = fs.names + n->name;
            len = n->name_len;
            dir = n->mode == THAW_FS_DIR;
            ino = 1 + c;
            next = pos + 1;
        } else {
            uint32_t slot = (uint32_t)(pos - 2);
            int c = tmp_next_child(f->node, &slot);
            if (c < 0)
                break;
            name = tmp_name((uint32_t)c, &len);
            dir = tmp_is_dir((uint32_t)c);
            ino = 1 + (uint64_t)c;
            next = slot + 2;
        }
        if (!put_dirent(buf, cap, &at, ino, next, dir, name, len)) {
            if (!at)
                return -EINVAL; /* the buffer cannot hold one entry */
            break;
        }
        f->pos = next;
    }
    return (long)at;
}

static long sys_readlinkat(int dirfd, const char *path)
{
    struct vnode v;
    long r = lookup(dirfd, path, &v);
    return r < 0 ? r : -EINVAL; /* nothing here is a symbolic link */
}

static long sys_chdir(const char *path)
{
    char abs[PATH_MAX];
    int dir_only;
    long r = absolute(AT_FDCWD, path, abs, &dir_only);
    struct vnode v;
    if (r == 0)
        r = walk(abs, &v, 0, 0, 0);
    if (r < 0)
        return r;
    if (!is_dir(v))
        return -ENOTDIR;
    strcpy(fs.cwd, abs);
    return 0;
}

static long sys_fchdir(int fd)
{
    struct open_file *f = file(fd);
    if (!f)
        return -EBADF;
    if (f->kind != IMAGE_DIR && f->kind != TMP_DIR)
        return -ENOTDIR;
    return vnode_path((struct vnode){ f->kind == TMP_DIR, f->node }, fs.cwd);
}

static long sys_getcwd(char *buf, size_t size)
{
    size_t n = strlen(fs_cwd()) + 1;
    if (size < n)
        return -ERANGE;
    memcpy(buf, fs.cwd, n);
    return (long)n;
}

/* A change outside /tmp: EROFS for what exists there, ENOENT for what does not. */
static long read_only(const struct place *pl)
{
    struct vnode v;
    return child(pl->dir, pl->name, pl->len, &v) == 0 ? -EROFS : -ENOENT;
}

static long sys_unlinkat(int dirfd, const char *path, int flags)
{
    struct place pl;
    long r = locate(dirfd, path, &pl);
    if (r < 0)
        return r;
    if (!pl.dir.tmp)
        return pl.len == 3 && !memcmp(pl.name, "tmp", 3) && pl.dir.index == 0 ? -EBUSY : read_only(&pl);
    return tmp_remove(pl.dir.index, pl.name, pl.len, !!(flags & AT_REMOVEDIR));
}

static long sys_mkdirat(int dirfd, const char *path, mode_t mode)
{
    struct place pl;
    long r = locate(dirfd, path, &pl);
    if (r == -EBUSY)
        return -EEXIST;
    if (r < 0)
        return r;
    struct vnode v;
    if (child(pl.dir, pl.name, pl.len, &v) == 0)
        return -EEXIST;
    if (!pl.dir.tmp)
        return -EROFS;
    r = tmp_create(pl.dir.index, pl.name, pl.len, 1, mode & ~022u);
    return r < 0 ? r : 0;
}

static long sys_renameat(int olddir, const char *oldpath, int newdir, const char *newpath, unsigned flags)
{
    struct place from, to;
    long r = locate(olddir, oldpath, &from);
    if (r == 0)
        r = locate(newdir, newpath, &to);
    if (r < 0)
        return r == -EBUSY ? -EBUSY : r;
    if (!from.dir.tmp)
        return read_only(&from);
    if (!to.dir.tmp)
        return -EXDEV;
    if (flags & ~1u) /* RENAME_NOREPLACE only */
        return -EINVAL;
    if ((flags & 1u) && tmp_child(to.dir.index, to.name, to.len) >= 0)
        return -EEXIST;
    return tmp_rename(from.dir.index, from.name, from.len, to.dir.index, to.name, to.len);
}

static long sys_truncate(const char *path, long size)
{
    struct vnode v;
    long r = lookup(AT_FDCWD, path, &v);
    if (r < 0)
        return r;
    if (size < 0)
        return -EINVAL;
    return v.tmp ? tmp_truncate(v.index, (uint64_t)size) : -EROFS;
}

static long sys_ftruncate(int fd, long size)
{
    struct open_file *f = file(fd);
    if (!f)
        return -EBADF;
    if (size < 0 || f->kind == IMAGE_DIR || f->kind == TMP_DIR)
        return -EINVAL;
    if ((f->flags & O_ACCMODE) == O_RDONLY)
        return f->kind == IMAGE_FILE ? -EROFS : -EINVAL;
    return tmp_truncate(f->node, (uint64_t)size);
}

static long sys_fchmodat(int dirfd, const char *path, mode_t mode)
{
    struct vnode v;
    long r = lookup(dirfd, path, &v);
    if (r < 0)
        return r;
    return v.tmp ? tmp_chmod(v.index, mode) : -EROFS;
}

static long sys_utimensat(int dirfd, const char *path)
{
    struct vnode v;
    long r;
    if (!path) { /* futimens */
        struct open_file *f = file(dirfd);
        if (!f)
            return -EBADF;
        v = (struct vnode){ f->kind == TMP_FILE || f->kind == TMP_DIR, f->node };
    } else if ((r = lookup(dirfd, path, &v)) < 0) {
        return r;
    }
    if (!v.tmp)
        return -EROFS;
    tmp_touch(v.index);
    return 0;
}

static long sys_fcntl(int fd, int cmd, long arg)
{
    if (fd >= 0 && fd < FIRST_FD) {
        switch (cmd) {
        case F_GETFL: return fd == 0 ? O_RDONLY : O_WRONLY;
        case F_GETFD: case F_SETFD: case F_SETFL: return 0;
        case F_DUPFD: case F_DUPFD_CLOEXEC: return -EMFILE; /* the streams stay 0-2 */
        default: return -EINVAL;
        }
    }
    struct open_file *f = file(fd);
    if (!f)
        return -EBADF;
    switch (cmd) {
    case F_GETFD: return f->cloexec ? FD_CLOEXEC : 0;
    case F_SETFD: f->cloexec = !!(arg & FD_CLOEXEC); return 0;
    case F_GETFL: return f->flags;
    case F_SETFL: f->flags = (f->flags & ~O_APPEND) | ((int)arg & O_APPEND); return 0;
    case F_DUPFD: return sys_dup(fd, (int)arg, -1, 0);
    case F_DUPFD_CLOEXEC: return sys_dup(fd, (int)arg, -1, O_CLOEXEC);
    case F_SETLK: case F_SETLKW: case F_OFD_SETLK: case F_OFD_SETLKW:
        return 0; /* one process: every lock is granted */
    case F_GETLK: case F_OFD_GETLK:
        ((struct flock *)arg)->l_type = F_UNLCK;
        return 0;
    default: return -EINVAL;
    }
}

static long iov_loop(int fd, const struct iovec *iov, int n, long off, int write)
{
    if (n < 0 || n > 1024)
        return -EINVAL;
    struct open_file *f = file(fd);
    if (!f)
        return -EBADF;
    long total = 0;
    for (int i = 0; i < n; i++) {
        long r;
        if (off < 0)
            r = write ? fs_write(fd, iov[i].iov_base, iov[i].iov_len) : fs_read(fd, iov[i].iov_base, iov[i].iov_len);
        else if (write)
            r = pwrite_file(f, iov[i].iov_base, iov[i].iov_len, (uint64_t)off + (uint64_t)total);
        else
            r = pread_file(f, iov[i].iov_base, iov[i].iov_len, (uint64_t)off + (uint64_t)total);
        if (r < 0)
            return total ? total : r;
        total += r;
        if ((size_t)r < iov[i].iov_len)
            break;
    }
    return total;
}

/* The file system calls; *handled is cleared for any other number. fds 0-2 are io.c's. */
long fs_syscall(long n, long a, long b, long c, long d, long e, int *handled)
{
    (void)e;
    *handled = 1;
    switch (n) {
    case SYS_open:        return sys_openat(AT_FDCWD, (const char *)a, (int)b, (mode_t)c);
    case SYS_openat:      return sys_openat((int)a, (const char *)b, (int)c, (mode_t)d);
    case SYS_creat:       return sys_openat(AT_FDCWD, (const char *)a, O_CREAT | O_WRONLY | O_TRUNC, (mode_t)b);
    case SYS_close:       return a >= 0 && a < FIRST_FD ? 0 : sys_close((int)a);
    case SYS_dup:         return sys_dup((int)a, FIRST_FD, -1, 0);
    case SYS_dup2:        return sys_dup((int)a, 0, (int)b, -1);
    case SYS_dup3:        return (c & ~O_CLOEXEC) ? -EINVAL : sys_dup((int)a, 0, (int)b, (int)c ? (int)c : -2);
    case SYS_pread64:     { struct open_file *f = file((int)a);
                            return !f ? -EBADF : d < 0 ? -EINVAL : pread_file(f, (void *)b, (size_t)c, (uint64_t)d); }
    case SYS_pwrite64:    { struct open_file *f = file((int)a);
                            return !f ? -EBADF : d < 0 ? -EINVAL : pwrite_file(f, (const void *)b, (size_t)c, (uint64_t)d); }
    case SYS_preadv:      return d < 0 ? -EINVAL : iov_loop((int)a, (const struct iovec *)b, (int)c, d, 0);
    case SYS_pwritev:     return d < 0 ? -EINVAL : iov_loop((int)a, (const struct iovec *)b, (int)c, d, 1);
    case SYS_lseek:       return a >= 0 && a < FIRST_FD ? -ESPIPE : sys_lseek((int)a, b, (int)c);
    case SYS_fstat:       return sys_fstat((int)a, (struct stat *)b);
    case SYS_stat:        return sys_fstatat(AT_FDCWD, (const char *)a, (struct stat *)b, 0);
    case SYS_lstat:       return sys_fstatat(AT_FDCWD, (const char *)a, (struct stat *)b, 0);
    case SYS_newfstatat:  return sys_fstatat((int)a, (const char *)b, (struct stat *)c, (int)d);
    case SYS_access:      return sys_faccessat(AT_FDCWD, (const char *)a, (int)b);
    case SYS_faccessat:
    case SYS_faccessat2:  return sys_faccessat((int)a, (const char *)b, (int)c);
    case SYS_getdents64:  return sys_getdents64((int)a, (char *)b, (size_t)c);
    case SYS_readlink:    return sys_readlinkat(AT_FDCWD, (const char *)a);
    case SYS_readlinkat:  return sys_readlinkat((int)a, (const char *)b);
    case SYS_getcwd:      return sys_getcwd((char *)a, (size_t)b);
    case SYS_chdir:       return sys_chdir((const char *)a);
    case SYS_fchdir:      return sys_fchdir((int)a);
    case SYS_unlink:      return sys_unlinkat(AT_FDCWD, (const char *)a, 0);
    case SYS_rmdir:       return sys_unlinkat(AT_FDCWD, (const char *)a, AT_REMOVEDIR);
    case SYS_unlinkat:    return sys_unlinkat((int)a, (const char *)b, (int)c);
    case SYS_mkdir:       return sys_mkdirat(AT_FDCWD, (const char *)a, (mode_t)b);
    case SYS_mkdirat:     return sys_mkdirat((int)a, (const char *)b, (mode_t)c);
    case SYS_rename:      return sys_renameat(AT_FDCWD, (const char *)a, AT_FDCWD, (const char *)b, 0);
    case SYS_renameat:    return sys_renameat((int)a, (const char *)b, (int)c, (const char *)d, 0);
    case SYS_renameat2:   return sys_renameat((int)a, (const char *)b, (int)c, (const char *)d, (unsigned)e);
    case SYS_truncate:    return sys_truncate((const char *)a, b);
    case SYS_ftruncate:   return sys_ftruncate((int)a, b);
    case SYS_fsync:
    case SYS_fdatasync:   return a >= 0 && a < FIRST_FD ? -EINVAL : file((int)a) ? 0 : -EBADF;
    case SYS_fchmod:      { struct open_file *f = file((int)a);
                            return !f ? -EBADF : f->kind == TMP_FILE || f->kind == TMP_DIR ? tmp_chmod(f->node, (mode_t)b) : -EROFS; }
    case SYS_chmod:       return sys_fchmodat(AT_FDCWD, (const char *)a, (mode_t)b);
    case SYS_fchmodat:    return sys_fchmodat((int)a, (const char *)b, (mode_t)c);
    case SYS_utimensat:   return sys_utimensat((int)a, (const char *)b);
    case SYS_fcntl:       return sys_fcntl((int)a, (int)b, c);
    case SYS_ioctl:       return a >= 0 && a < FIRST_FD ? -ENOTTY : file((int)a) ? -ENOTTY : -EBADF;
    case SYS_umask:       return 022;
    case SYS_flock:       return file((int)a) ? 0 : -EBADF;
    default:
        *handled = 0;
        return -ENOSYS;
    }
}
