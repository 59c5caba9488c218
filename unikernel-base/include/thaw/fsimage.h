/*
 * Thaw's read-only file image: the files a function sees (a runtime's library, the
 * function's bundle), packed by the snapshotter and placed in guest memory before boot,
 * mapped read-only. Being in guest memory, it is part of the snapshot: every shell of a
 * function shares it through the page cache.
 *
 *     struct thaw_fs_header       at offset 0
 *     struct thaw_fs_node[count]  at header.nodes; nodes[0] is the root directory "/"
 *     names                       at header.names, header.names_size bytes, no terminators
 *     file contents               anywhere else inside header.size, each 16-byte aligned
 *
 * The children of a directory are consecutive nodes, sorted by name (bytewise), so a
 * lookup is a binary search. Every offset is from the start of the image. The guest checks
 * every offset and length against header.size before using it; the host built the image
 * and never reads it back.
 *
 * The Java side (dev.thaw.snapshotter.FileImage) writes this format; a test compares its
 * layout with this header.
 */
#ifndef THAW_FSIMAGE_H
#define THAW_FSIMAGE_H

#include <stdint.h>

#define THAW_FS_MAGIC   0x31534657414854ull /* "THAWFS1" */
#define THAW_FS_VERSION 1

/* thaw_fs_node.mode: Linux st_mode bits; only these three kinds occur. */
#define THAW_FS_DIR     0040555u /* S_IFDIR  r-xr-xr-x */
#define THAW_FS_FILE    0100444u /* S_IFREG  r--r--r-- */
#define THAW_FS_EXEC    0100555u /* S_IFREG  r-xr-xr-x */

struct thaw_fs_header {
    uint64_t magic;       /* THAW_FS_MAGIC */
    uint32_t version;     /* THAW_FS_VERSION */
    uint32_t node_count;  /* at least 1: the root */
    uint64_t nodes;       /* offset of the node array */
    uint64_t names;       /* offset of the names */
    uint64_t names_size;
    uint64_t size;        /* bytes of the whole image, header included */
    uint64_t mtime_ns;    /* every file's modification time (the build's), ns since the epoch */
};

struct thaw_fs_node {
    uint32_t mode;        /* THAW_FS_DIR, THAW_FS_FILE or THAW_FS_EXEC */
    uint32_t parent;      /* index of the parent directory; the root's is 0 */
    uint64_t name;        /* offset of the name within the names */
    uint32_t name_len;    /* 1..255; the root's is 0 */
    uint32_t reserved;    /* 0 */
    uint64_t data;        /* file: offset of its contents; directory: index of its first child */
    uint64_t size;        /* file: bytes; directory: number of children */
};

#endif
