/* Internal declarations of Thaw's library OS: the Linux system calls musl needs, as plain
 * functions running in the guest at CPL3. Nothing here is visible to functions. */
#ifndef THAW_LIBOS_H
#define THAW_LIBOS_H

#include <stddef.h>
#include <stdint.h>
#include <thaw/abi.h>

#undef PAGE_SIZE /* <limits.h> has one under _GNU_SOURCE */
#define PAGE_SIZE 4096ul

static inline const struct thaw_boot_info *boot_info(void)
{
    return (const struct thaw_boot_info *)THAW_BOOT_INFO_ADDR;
}

/* One hypercall: `out %eax,(%dx)` with the argument struct's address (guest-physical ==
 * guest-virtual) in eax. The "memory" clobber makes the compiler write the struct first. */
static inline void hypercall(uint16_t port, const volatile void *arg)
{
    __asm__ __volatile__("outl %%eax, %%dx"
                         : : "a"((uint32_t)(uintptr_t)arg), "d"(port) : "memory");
}

static inline uint64_t rdtsc(void)
{
    uint32_t lo, hi;
    __asm__ __volatile__("rdtsc" : "=a"(lo), "=d"(hi));
    return (uint64_t)hi << 32 | lo;
}

/* What the library OS changes during an invocation, in one place: the first page of the I/O
 * arena, which the request and the output dirty anyway. Kept anywhere else (.bss), it
 * would cost every invocation another dirty page to reset. */
struct libos_state {
    /* io.c */
    int resumed;                 /* 0 in the snapshot: the request has not arrived yet */
    uint32_t last_stream, last_len;
    const char *in;
    size_t in_len, in_pos;
    char *out_start, *out_pos, *out_end;
    char *last;                  /* header of the record the next write may extend, or 0 */
    /* clock.c */
    uint64_t tsc0, wall0, mono0;
    uint64_t ns_per_tick_32;     /* nanoseconds per TSC tick, 32.32 fixed point */
    /* random.c */
    uint32_t key[8];
    uint64_t counter;
    size_t avail;
    uint8_t block[64];
    /* clock.c and random.c: started from the boot information (deploy-time values) */
    int clock_started, random_started;
    /* syscall.c: system calls reported as unsupported in this invocation, one bit each */
    uint64_t unsupported[8];
};

/* The I/O arena: struct thaw_recv, then struct libos_state, then the standard streams (musl
 * moves them here at boot, see io.c), then the request from IO_HEADER. */
#define IO_STATE_OFFSET 128ul
#define IO_STDIO_OFFSET 512ul
#define IO_HEADER 1536ul
_Static_assert(sizeof(struct thaw_recv) <= IO_STATE_OFFSET, "thaw_recv overlaps the state");
_Static_assert(IO_STATE_OFFSET + sizeof(struct libos_state) <= IO_STDIO_OFFSET, "state overlaps the streams");

static inline struct libos_state *state(void)
{
    return (struct libos_state *)(boot_info()->io_base + IO_STATE_OFFSET);
}

/* io.c: the request, the output records, the end of an invocation */
void io_await_request(void);                 /* the snapshot point; a no-op once resumed */
int io_deploy_time(void);                    /* before thaw_ready() in a "snapshot at ready" guest */
long io_read(int fd, void *buf, size_t len);
long io_write(int fd, const void *buf, size_t len);
void io_log(const char *msg, size_t len);
void io_log_quietly(const char *msg, size_t len); /* never the snapshot point */
_Noreturn void io_exit(int status, int signal);
const struct thaw_recv *io_request(void);    /* valid after io_await_request() */

/* clock.c */
void clock_resumed(const struct thaw_recv *r); /* called once per resume */
void clock_start_at_deploy(void);              /* before the snapshot point: the boot's clocks */
uint64_t clock_now_ns(int clock_id, int *ok);

/* random.c */
void random_resumed(const struct thaw_recv *r);
void random_start_at_deploy(void);
void random_fill(void *buf, size_t len);

/* The clock and getrandom belong to the invocation: reading them is the snapshot point,
 * except before thaw_ready() in a "snapshot at ready" guest, where they give deploy-time
 * values. */
static inline void observe_world(void)
{
    if (io_deploy_time()) {
        clock_start_at_deploy();
        random_start_at_deploy();
    } else {
        io_await_request();
    }
}

/* syscall.c: calls made during init that returned ENOSYS, reported again after a resume */
void unsupported_resumed(void);

/* fs.c and tmpfs.c: files (see fs.c) */
long fs_syscall(long n, long a, long b, long c, long d, long e, int *handled);
long fs_read(int fd, void *buf, size_t len);
long fs_write(int fd, const void *buf, size_t len);
long fs_mmap_copy(int fd, void *to, size_t len, long off); /* fills a private mapping of a file */
const char *fs_cwd(void);

/* memory.c */
long mem_brk(uintptr_t addr);
long mem_mmap(uintptr_t addr, size_t len, int prot, int flags, int fd, long off);
long mem_munmap(uintptr_t addr, size_t len);
long mem_madvise(uintptr_t addr, size_t len, int advice);
long mem_mremap(uintptr_t old, size_t old_len, size_t new_len, int flags);

#endif
