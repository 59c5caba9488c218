/* Internal declarations of Thaw's library OS: the Linux system calls musl needs, as plain
 * functions running in the guest at CPL3. Nothing here is visible to functions. */
#ifndef THAW_LIBOS_H
#define THAW_LIBOS_H

#include <stddef.h>
#include <stdint.h>
#include <thaw/abi.h>

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
};

/* The I/O arena: struct thaw_recv, then struct libos_state, then the request from here. */
#define IO_STATE_OFFSET 128ul
#define IO_HEADER 512ul
_Static_assert(sizeof(struct thaw_recv) <= IO_STATE_OFFSET, "thaw_recv overlaps the state");
_Static_assert(IO_STATE_OFFSET + sizeof(struct libos_state) <= IO_HEADER, "state overlaps the request");

static inline struct libos_state *state(void)
{
    return (struct libos_state *)(boot_info()->io_base + IO_STATE_OFFSET);
}

/* io.c: the request, the output records, the end of an invocation */
void io_await_request(void);                 /* the snapshot point; a no-op once resumed */
long io_read(int fd, void *buf, size_t len);
long io_write(int fd, const void *buf, size_t len);
void io_log(const char *msg, size_t len);
_Noreturn void io_exit(int status, int signal);
const struct thaw_recv *io_request(void);    /* valid after io_await_request() */

/* clock.c */
void clock_resumed(const struct thaw_recv *r); /* called once per resume */
uint64_t clock_now_ns(int clock_id, int *ok);

/* random.c */
void random_resumed(const struct thaw_recv *r);
void random_fill(void *buf, size_t len);

/* memory.c */
long mem_brk(uintptr_t addr);
long mem_mmap(uintptr_t addr, size_t len, int prot, int flags, int fd, long off);
long mem_munmap(uintptr_t addr, size_t len);
long mem_madvise(uintptr_t addr, size_t len, int advice);

#endif
