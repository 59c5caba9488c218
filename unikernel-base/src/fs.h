/* Internal interface between the file system calls (fs.c) and the writable /tmp (tmpfs.c). */
#ifndef THAW_FS_H
#define THAW_FS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>

#define TMP_ROOT 0u            /* the tmpfs node of /tmp itself */
#define TMP_NAME_MAX 255

/* A file or directory: a node of the read-only image, or of /tmp. */
struct vnode {
    int tmp;                   /* 0: the image's node `index`; 1: /tmp's node `index` */
    uint32_t index;
};

int tmp_child(uint32_t dir, const char *name, size_t len);          /* node, or -1 */
long tmp_create(uint32_t dir, const char *name, size_t len, int is_dir, mode_t mode);
long tmp_remove(uint32_t dir, const char *name, size_t len, int dir_wanted);
long tmp_rename(uint32_t from_dir, const char *from, size_t from_len,
                uint32_t to_dir, const char *to, size_t to_len);
int tmp_is_dir(uint32_t node);
uint32_t tmp_parent(uint32_t node);
const char *tmp_name(uint32_t node, size_t *len);
uint64_t tmp_size(uint32_t node);
long tmp_read(uint32_t node, void *buf, size_t len, uint64_t off);
long tmp_write(uint32_t node, const void *buf, size_t len, uint64_t off);
long tmp_truncate(uint32_t node, uint64_t size);
void tmp_stat(uint32_t node, struct stat *st);
long tmp_chmod(uint32_t node, mode_t mode);
void tmp_touch(uint32_t node);
void tmp_hold(uint32_t node);     /* an open descriptor keeps an unlinked file alive */
void tmp_release(uint32_t node);
/* The child of `dir` at or after table slot *slot; advances *slot past it. -1 at the end. */
int tmp_next_child(uint32_t dir, uint32_t *slot);

#endif
