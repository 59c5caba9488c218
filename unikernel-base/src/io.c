/* The request, the output and the end of an invocation.
 *
 * The I/O arena (boot_info()->io_base, io_size) is laid out so that a small invocation
 * touches a single page of it:
 *
 *   io_base            struct thaw_recv     the host fills it on every resume
 *   io_base + 128      struct libos_state   what the library OS changes per invocation
 *   io_base + 512      stdin, stdout,       musl's FILE objects and a 256 B stdout buffer,
 *                      stderr               moved here at boot (move_stdio below)
 *   io_base + 1536     the request          written by the host before the resume
 *   after the request  output records       stdout, stderr and log lines, back to back
 *
 * The arena starts 2 KiB into a page whose first half is the top of the stack, so that page
 * holds everything a small invocation writes ("hello" reads 4 bytes and prints 13: one
 * dirty page to restore).
 *
 * Output leaves with the final THAW_HC_EXIT; only when the arena is full does a
 * THAW_HC_FLUSH hand it over early. Writes are function calls, so they cost no exit.
 */
#include <errno.h>
#include <string.h>
#include "libos.h"

/* The extended CPU state at the snapshot point: every XSAVE component the CPU enables (x87,
 * SSE, AVX, AVX-512, PKRU, ...). Every resume reloads it with XRSTOR before any function
 * code runs, and XRSTOR initialises each component that was in its initial state at the
 * snapshot point, so no invocation sees the vector, mask or protection-key registers another
 * one left behind. The host restores memory (this area included) and the general registers,
 * but not this state: KVM_SET_XSAVE would cost about 4 us per invocation here. The area is
 * written once, at the snapshot point, and only read afterwards: it costs no dirty page. */
#define XSTATE_AREA_MAX (16 * 1024) /* AVX-512 with AMX needs about 11 KiB */
static uint8_t xstate_image[XSTATE_AREA_MAX] __attribute__((aligned(64)));

/* XSAVE/XRSTOR mask: every component except AMX (TILECFG and TILEDATA, bits 17-18). No
 * guest can use AMX here: on PVM, Linux arms XFD against it for a process that did not ask
 * for it, and on VMX/SVM KVM offers it only to guests whose VMM asked. So AMX holds nothing
 * to leak, and restoring it while XFD is armed could fault. */
#define XSTATE_MASK_LO 0xfff9ffffu
#define XSTATE_MASK_HI 0xffffffffu

/* Ends the boot with a message on stderr: the deploy fails and shows it. */
static _Noreturn void boot_failure(const char *msg)
{
    struct {
        struct thaw_record h;
        char text[200];
    } rec;
    size_t n = strlen(msg) < sizeof rec.text ? strlen(msg) : sizeof rec.text;
    rec.h.stream = THAW_STREAM_STDERR;
    rec.h.len = (uint32_t)n;
    memcpy(rec.text, msg, n);
    struct thaw_exit e = { (uintptr_t)&rec, sizeof rec.h + n, 70, 0 };
    hypercall(THAW_HC_EXIT, &e);
    for (;;)
        __builtin_trap();
}

static void cpuid(uint32_t leaf, uint32_t sub, uint32_t r[4])
{
    __asm__ __volatile__("cpuid" : "=a"(r[0]), "=b"(r[1]), "=c"(r[2]), "=d"(r[3]) : "a"(leaf), "c"(sub));
}

/* Checks that the state fits the area; returns whether protection keys are on (CR4.PKE). */
static uint32_t xstate_check(void)
{
    uint32_t r[4];
    cpuid(1, 0, r);
    if (!(r[2] >> 27 & 1))
        boot_failure("Thaw: XSAVE is not enabled (CPUID.1:ECX.OSXSAVE is 0); the library OS "
                     "needs it to reset the vector registers between invocations");
    cpuid(0xd, 0, r);
    if (r[1] > XSTATE_AREA_MAX)
        boot_failure("Thaw: this CPU's XSAVE state is larger than the library OS's 16 KiB save area");
    cpuid(7, 0, r);
    return r[2] >> 4 & 1; /* OSPKE */
}

/* musl's standard streams, moved into the arena head (musl/thaw-stdio.patch). Kept in musl's
 * .data and .bss, the stream state (positions, flags, stdout's buffer) would cost every
 * invocation that uses stdio a second page to restore. This runs before main() and before
 * any constructor of the function's (101 is the first priority a program may use), so
 * before the snapshot point. */
size_t __thaw_stdio_move(void *to, size_t room);

__attribute__((constructor(101))) static void move_stdio(void)
{
    if (state()->resumed)
        return;
    if (__thaw_stdio_move((void *)(boot_info()->io_base + IO_STDIO_OFFSET), IO_HEADER - IO_STDIO_OFFSET))
        boot_failure("Thaw: musl's standard streams do not fit the I/O arena's head (IO_HEADER)");
}

const struct thaw_recv *io_request(void)
{
    return (const struct thaw_recv *)boot_info()->io_base;
}

int io_deploy_time(void)
{
    return (boot_info()->flags & THAW_BOOT_SNAPSHOT_AT_READY) && !state()->resumed;
}

/* Output written before the snapshot point: buffered where the request will go, and handed
 * to the host with a flush just before the recv (the boot's output, not an invocation's). */
static void start_boot_output(struct libos_state *io)
{
    if (io->out_start)
        return;
    const struct thaw_boot_info *b = boot_info();
    io->out_start = io->out_pos = (char *)(b->io_base + IO_HEADER);
    io->out_end = (char *)(b->io_base + b->io_size);
    io->last = 0;
}

static void flush(struct libos_state *io);

void io_await_request(void)
{
    struct libos_state *io = state();
    if (io->resumed)
        return;
    if (io->out_start)
        flush(io);
    const struct thaw_boot_info *b = boot_info();
    struct thaw_recv *r = (struct thaw_recv *)b->io_base;
    r->buf = b->io_base + IO_HEADER;
    r->cap = b->io_size - IO_HEADER - PAGE_SIZE; /* leave output at least a page */
    r->len = 0;
    uint32_t pke = xstate_check();
    /* The snapshot point. The VMM saves the guest at this `out`, with RIP on the instruction
     * after it: every invocation starts there, with the general registers (img, pke) as they
     * are here. A previous invocation may have left PKRU denying access to the guest's pages
     * (protection key 0), which would make XRSTOR fault reading the image: so PKRU is opened
     * first, then XRSTOR reloads it with the rest. With CR4.PKE off (VMX/SVM: Thaw does not
     * set it) PKRU restricts nothing and WRPKRU would fault, hence the test. */
    __asm__ __volatile__("mov %[lo], %%eax\n\t"
                         "mov %[hi], %%edx\n\t"
                         "xsave64 (%[img])\n\t"
                         "mov %[recv], %%eax\n\t"
                         "mov %[port], %%edx\n\t"
                         "outl %%eax, %%dx\n\t"
                         "test %[pke], %[pke]\n\t"
                         "jz 1f\n\t"
                         "xor %%eax, %%eax\n\t"
                         "xor %%ecx, %%ecx\n\t"
                         "xor %%edx, %%edx\n\t"
                         "wrpkru\n"
                         "1:\n\t"
                         "mov %[lo], %%eax\n\t"
                         "mov %[hi], %%edx\n\t"
                         "xrstor64 (%[img])"
                         : : [img] "r"(xstate_image), [recv] "r"((uint32_t)(uintptr_t)r), [pke] "r"(pke),
                             [port] "i"(THAW_HC_RECV), [lo] "i"(XSTATE_MASK_LO), [hi] "i"(XSTATE_MASK_HI)
                         : "rax", "rcx", "rdx", "memory");
    size_t len = r->len <= r->cap ? r->len : r->cap; /* the host checked it; be safe anyway */
    io->resumed = 1;
    io->in = (const char *)r->buf;
    io->in_len = len;
    io->in_pos = 0;
    io->out_start = io->out_pos = (char *)((r->buf + len + 15) & ~15ul);
    io->out_end = (char *)(b->io_base + b->io_size);
    io->last = 0;
    clock_resumed(r);
    random_resumed(r);
    unsupported_resumed();
}

long io_read(int fd, void *buf, size_t len)
{
    if (fd != 0)
        return -EBADF;
    io_await_request();
    struct libos_state *io = state();
    size_t left = io->in_len - io->in_pos;
    size_t n = len < left ? len : left;
    memcpy(buf, io->in + io->in_pos, n);
    io->in_pos += n;
    return (long)n;
}

static void flush(struct libos_state *io)
{
    if (io->out_pos == io->out_start)
        return;
    struct thaw_flush f = { (uintptr_t)io->out_start, (uint64_t)(io->out_pos - io->out_start) };
    hypercall(THAW_HC_FLUSH, &f);
    io->out_pos = io->out_start;
    io->last = 0;
}

static void put_header(char *at, uint32_t stream, uint32_t len)
{
    struct thaw_record h = { stream, len };
    memcpy(at, &h, sizeof h);
}

/* Appends bytes to the output; extends the previous record when it has the same stream. */
static void append(uint32_t stream, const char *p, size_t n, int extend)
{
    struct libos_state *io = state();
    for (;;) {
        if (!(extend && io->last && io->last_stream == stream)) {
            if ((size_t)(io->out_end - io->out_pos) <= sizeof(struct thaw_record))
                flush(io);
            io->last = io->out_pos;
            io->last_stream = stream;
            io->last_len = 0;
            io->out_pos += sizeof(struct thaw_record);
        }
        size_t room = (size_t)(io->out_end - io->out_pos);
        size_t take = n < room ? n : room;
        memcpy(io->out_pos, p, take);
        io->out_pos += take;
        io->last_len += (uint32_t)take;
        put_header(io->last, stream, io->last_len);
        p += take;
        n -= take;
        if (!n)
            return;
        flush(io);
        extend = 0;
    }
}

long io_write(int fd, const void *buf, size_t len)
{
    if (fd != 1 && fd != 2)
        return -EBADF;
    if (io_deploy_time())
        start_boot_output(state());
    else
        io_await_request();
    append(fd == 1 ? THAW_STREAM_STDOUT : THAW_STREAM_STDERR, buf, len, 1);
    return (long)len;
}

void io_log(const char *msg, size_t len)
{
    if (io_deploy_time())
        start_boot_output(state());
    else
        io_await_request();
    append(THAW_STREAM_LOG, msg, len, 0);
}

/* Records a log line without reaching the snapshot point: before it, the line leaves with
 * the boot's output. */
void io_log_quietly(const char *msg, size_t len)
{
    struct libos_state *io = state();
    if (!io->resumed)
        start_boot_output(io);
    append(THAW_STREAM_LOG, msg, len, 0);
}

/* Exiting before thaw_ready() fails the deploy with the output so far (a Python traceback). */
_Noreturn void io_exit(int status, int signal)
{
    struct libos_state *io = state();
    if (io_deploy_time())
        start_boot_output(io);
    else
        io_await_request();
    struct thaw_exit e = {
        (uintptr_t)io->out_start, (uint64_t)(io->out_pos - io->out_start), status & 0xff, signal,
    };
    hypercall(THAW_HC_EXIT, &e);
    for (;;)
        __builtin_trap(); /* the host never resumes an exited guest */
}

/* Part of the guest API in <thaw/thaw.h>. */
void thaw_ready(void)
{
    io_await_request();
}
