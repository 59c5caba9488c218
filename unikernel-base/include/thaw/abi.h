/*
 * Thaw hypercall ABI: everything a guest and the Thaw VMM agree on, in one header.
 *
 * The guest runs at CPL3 in 64-bit mode with guest-virtual == guest-physical (identity
 * mapping built by the VMM). Its only way out is a hypercall:
 *
 *     out %eax, (%dx)      dx  = one of the THAW_HC_* ports below
 *                          eax = guest-physical address of that call's argument struct
 *
 * The instruction is always the one-byte form (0xEF). The host reads every argument
 * struct once, bounds-checks every pointer and length in it against guest memory, and
 * never trusts a value it has not checked. Anything else that leaves the guest (another
 * port, an `in`, a fault, an access outside RAM) ends the invocation with an error.
 *
 * The Java side mirrors this file in dev.thaw.invoker.abi.Abi; a test compiles a C program
 * against this header and compares every size, offset and constant with the Java side.
 */
#ifndef THAW_ABI_H
#define THAW_ABI_H

#include <stdint.h>

#define THAW_ABI_VERSION 1

/* ---- Hypercall ports ----------------------------------------------------------------- */

/* Wait for the request. The first one is the snapshot point: the VMM saves the guest
 * there. On every resume the host has written the request into recv.buf and filled the
 * rest of struct thaw_recv (length, clocks, entropy). */
#define THAW_HC_RECV   0x7a0
/* Output buffer full: take the records in [buf, buf+len) and resume. */
#define THAW_HC_FLUSH  0x7a1
/* The invocation is over: take the last records, report the exit status. Never resumes. */
#define THAW_HC_EXIT   0x7a2
/* Set the FS base (TLS pointer): a CPL3 guest cannot write MSR_FS_BASE itself. */
#define THAW_HC_SET_FS 0x7a3

/* ---- Boot information ---------------------------------------------------------------- */

/* The VMM writes struct thaw_boot_info here before the first instruction; the page is
 * mapped read-only. It describes the memory layout the VMM chose. */
#define THAW_BOOT_INFO_ADDR 0x1000ull
#define THAW_BOOT_MAGIC     0x544f4f4257414854ull /* "THAWBOOT" */

/* thaw_boot_info.flags: the snapshot point is thaw_ready() (<thaw/thaw.h>), not the first
 * contact with the world. Before it, clocks and getrandom return deploy-time values. */
#define THAW_BOOT_SNAPSHOT_AT_READY 1u

struct thaw_boot_info {
    uint64_t magic;       /* THAW_BOOT_MAGIC */
    uint32_t abi_version; /* THAW_ABI_VERSION */
    uint32_t flags;       /* THAW_BOOT_* */
    uint64_t mem_size;    /* bytes of guest RAM, identity mapped from 0 */
    uint64_t heap_start;  /* page after the loaded image: brk starts here */
    uint64_t mmap_top;    /* anonymous mmap grows down from here (exclusive) */
    uint64_t io_base;     /* the I/O arena: request in, output records out */
    uint64_t io_size;
    uint64_t stack_low;   /* the initial stack; an unmapped guard page lies below it */
    uint64_t stack_high;
    uint64_t fs_image;    /* the read-only file image (<thaw/fsimage.h>), mapped read-only; 0: none */
    uint64_t fs_size;     /* its bytes */
    /* Deploy time: what the clocks and getrandom start from before the snapshot point when
     * THAW_BOOT_SNAPSHOT_AT_READY is set. Every resume replaces them (struct thaw_recv). */
    uint64_t boot_wall_ns;
    uint64_t boot_mono_ns;
    uint64_t tsc_khz;     /* 0: unknown */
    uint8_t boot_entropy[32];
};

/* ---- THAW_HC_RECV -------------------------------------------------------------------- */

struct thaw_recv {
    /* guest -> host */
    uint64_t buf;         /* where the host writes the request (guest-physical) */
    uint64_t cap;         /* room at buf, in bytes; a larger request is refused by the host */
    /* host -> guest, written before every resume */
    uint64_t len;         /* request bytes at buf */
    uint64_t wall_ns;     /* host CLOCK_REALTIME when the guest was resumed, ns since epoch */
    uint64_t mono_ns;     /* host CLOCK_MONOTONIC at the same moment */
    uint64_t tsc_khz;     /* guest TSC frequency in kHz, for the clocks between resumes; 0: unknown */
    uint8_t entropy[32];  /* fresh random bytes for this invocation */
};

/* ---- THAW_HC_FLUSH and THAW_HC_EXIT: output records ---------------------------------- */

/* Output travels as records packed back to back (no padding): a header, then len bytes. */
#define THAW_STREAM_STDOUT 1
#define THAW_STREAM_STDERR 2
#define THAW_STREAM_LOG    3 /* one log line per record, from thaw_log() */

struct thaw_record {
    uint32_t stream;      /* THAW_STREAM_* */
    uint32_t len;         /* bytes that follow this header */
};

struct thaw_flush {
    uint64_t buf;         /* records, guest-physical */
    uint64_t len;         /* total bytes of records */
};

struct thaw_exit {
    uint64_t buf;         /* the last records, guest-physical */
    uint64_t len;
    int32_t status;       /* exit status (0..255) */
    int32_t signal;       /* non-zero: the function was killed by this signal (e.g. abort) */
};

/* ---- THAW_HC_SET_FS ------------------------------------------------------------------ */

struct thaw_set_fs {
    uint64_t base;        /* new FS base; must be a canonical address */
};

/* ---- The ELF note that marks a binary linked against this library OS ------------------ */

/* A PT_NOTE with name "Thaw" and this type carries the ABI version (a uint32_t). The
 * snapshotter refuses a binary without it: a plain Linux binary would issue `syscall`. */
#define THAW_NOTE_NAME "Thaw"
#define THAW_NOTE_ABI  1

#endif
