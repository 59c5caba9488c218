/* The system calls of Thaw's library OS.
 *
 * Thaw's musl calls __thaw_syscall() where Linux musl executes `syscall`: a system call is
 * a plain function call here, at CPL3, with no kernel underneath. The calls below are the
 * ones musl and ordinary C functions need; every other number returns -ENOSYS.
 * unikernel-base/README.md lists them with their semantics.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/utsname.h>
#include <time.h>
#include <poll.h>
#include <sched.h>
#include <sys/select.h>
#include "libos.h"
#include "syscall_names.h"

/* The note that tells the snapshotter this binary is linked against this library OS. It
 * sits in the same object as __thaw_syscall, which musl always references. */
__asm__(".pushsection .note.thaw,\"a\",@note\n"
        ".balign 4\n"
        ".long 5\n"                /* name size, "Thaw\0" */
        ".long 4\n"                /* descriptor size */
        ".long 1\n"                /* THAW_NOTE_ABI */
        ".asciz \"Thaw\"\n"
        ".balign 4\n"
        ".long 1\n"                /* THAW_ABI_VERSION */
        ".popsection");
_Static_assert(THAW_NOTE_ABI == 1 && THAW_ABI_VERSION == 1, "update the note above");

#define GUEST_PID 1

static uint64_t fs_base;

static long set_fs(uint64_t base)
{
    struct thaw_set_fs a = { base };
    hypercall(THAW_HC_SET_FS, &a);
    fs_base = base;
    return 0;
}

/* Descriptors 0-2 are the request and the output (io.c); the rest are files (fs.c). */
static long sys_read(int fd, void *buf, size_t len)
{
    if (fd == 0)
        return io_read(fd, buf, len);
    return fd == 1 || fd == 2 ? -EBADF : fs_read(fd, buf, len);
}

static long sys_write(int fd, const void *buf, size_t len)
{
    if (fd == 1 || fd == 2)
        return io_write(fd, buf, len);
    return fd == 0 ? -EBADF : fs_write(fd, buf, len);
}

static long sys_readv(int fd, const struct iovec *iov, int n)
{
    long total = 0;
    for (int i = 0; i < n; i++) {
        long r = sys_read(fd, iov[i].iov_base, iov[i].iov_len);
        if (r < 0)
            return total ? total : r;
        total += r;
        if ((size_t)r < iov[i].iov_len)
            break;
    }
    return total;
}

static long sys_writev(int fd, const struct iovec *iov, int n)
{
    long total = 0;
    for (int i = 0; i < n; i++) {
        long r = sys_write(fd, iov[i].iov_base, iov[i].iov_len);
        if (r < 0)
            return total ? total : r;
        total += r;
        if ((size_t)r < iov[i].iov_len)
            break;
    }
    return total;
}

static long sys_clock_gettime(int id, struct timespec *ts)
{
    observe_world(); /* a clock reading belongs to an invocation, not to the snapshot */
    int ok;
    uint64_t ns = clock_now_ns(id, &ok);
    if (!ok)
        return -EINVAL;
    ts->tv_sec = (time_t)(ns / 1000000000u);
    ts->tv_nsec = (long)(ns % 1000000000u);
    return 0;
}

/* No timers: a sleep spins on the clock. The invocation's timeout still applies. */
static long sys_sleep(int id, int flags, const struct timespec *req)
{
    if (req->tv_sec < 0 || req->tv_nsec < 0 || req->tv_nsec >= 1000000000)
        return -EINVAL;
    int ok;
    observe_world();
    uint64_t want = (uint64_t)req->tv_sec * 1000000000u + (uint64_t)req->tv_nsec;
    uint64_t deadline = flags & TIMER_ABSTIME ? want : clock_now_ns(id, &ok) + want;
    while (clock_now_ns(id, &ok) < deadline)
        __asm__ __volatile__("pause");
    return 0;
}

static long sys_getrandom(void *buf, size_t len)
{
    observe_world(); /* randomness must differ between invocations of one snapshot */
    random_fill(buf, len);
    return (long)len;
}

/* kill/tkill/tgkill: the only process is the function itself. Signals that terminate by
 * default end the invocation (an abort() shows up as signal 6); the others do nothing. */
static long sys_kill(long pid, int sig)
{
    if (pid != GUEST_PID && pid != 0 && pid != -1)
        return -ESRCH;
    if (sig < 0 || sig >= _NSIG)
        return -EINVAL;
    if (sig == 0 || sig == SIGCHLD || sig == SIGURG || sig == SIGWINCH || sig == SIGCONT)
        return 0;
    io_exit(128 + sig, sig);
}

static long sys_uname(struct utsname *u)
{
    memset(u, 0, sizeof *u);
    strcpy(u->sysname, "Thaw");
    strcpy(u->nodename, "thaw");
    strcpy(u->release, "1.0");
    strcpy(u->version, "Thaw library OS, ABI 1");
    strcpy(u->machine, "x86_64");
    return 0;
}

static long sys_prlimit(int resource, const struct rlimit *set, struct rlimit *old)
{
    if (set)
        return -EPERM;
    if (old) {
        const struct thaw_boot_info *b = boot_info();
        rlim_t v = resource == RLIMIT_STACK ? b->stack_high - b->stack_low
                 : resource == RLIMIT_AS || resource == RLIMIT_DATA ? b->mem_size
                 : resource == RLIMIT_NOFILE ? 256 : RLIM_INFINITY;
        old->rlim_cur = old->rlim_max = v;
    }
    return 0;
}

static long sys_arch_prctl(int code, uint64_t addr)
{
    switch (code) {
    case 0x1002: return set_fs(addr);                            /* ARCH_SET_FS */
    case 0x1003: *(uint64_t *)addr = fs_base; return 0;          /* ARCH_GET_FS */
    default: return -EINVAL;
    }
}

/* CPU time is the time since the resume: an invocation is the process's whole life. */
static long sys_getrusage(struct rusage *ru)
{
    memset(ru, 0, sizeof *ru);
    int ok;
    uint64_t ns = state()->resumed || io_deploy_time() ? clock_now_ns(CLOCK_PROCESS_CPUTIME_ID, &ok) : 0;
    ru->ru_utime.tv_sec = (time_t)(ns / 1000000000u);
    ru->ru_utime.tv_usec = (suseconds_t)(ns % 1000000000u / 1000);
    ru->ru_maxrss = (long)(boot_info()->mem_size / 1024);
    return 0;
}

/* Nothing ever blocks: stdin holds the whole request and output is buffered, so every
 * descriptor is ready at once. A wait without descriptors is a sleep. */
static long sys_poll(struct pollfd *fds, unsigned long n, long timeout_ms)
{
    long ready = 0;
    for (unsigned long i = 0; i < n; i++) {
        fds[i].revents = (short)(fds[i].events & (POLLIN | POLLOUT | POLLRDNORM | POLLWRNORM));
        if (fds[i].fd >= 0 && fds[i].revents)
            ready++;
    }
    if (!ready && timeout_ms > 0) {
        struct timespec t = { timeout_ms / 1000, timeout_ms % 1000 * 1000000 };
        sys_sleep(CLOCK_MONOTONIC, 0, &t);
    }
    return ready;
}

static long sys_select(int n, fd_set *r, fd_set *w, fd_set *e, long timeout_ms)
{
    long ready = 0;
    if (n < 0 || n > FD_SETSIZE)
        return -EINVAL;
    if (e)
        memset(e, 0, sizeof *e);
    for (int fd = 0; fd < n; fd++)
        ready += (r && FD_ISSET(fd, r)) + (w && FD_ISSET(fd, w));
    if (!ready && timeout_ms > 0) {
        struct timespec t = { timeout_ms / 1000, timeout_ms % 1000 * 1000000 };
        sys_sleep(CLOCK_MONOTONIC, 0, &t);
    }
    return ready;
}

static long timeout_ms(const struct timespec *t)
{
    return t ? t->tv_sec * 1000 + t->tv_nsec / 1000000 : -1;
}

/* One thread: a futex wait could only be woken by itself. */
static long sys_futex(int *addr, int op, int val)
{
    switch (op & 0x7f) { /* without FUTEX_PRIVATE_FLAG and FUTEX_CLOCK_REALTIME */
    case 1: return 0;                                     /* FUTEX_WAKE: nobody waits */
    case 0: case 9: return *addr != val ? -EAGAIN : -EDEADLK; /* FUTEX_WAIT, _BITSET */
    default: return -ENOSYS;
    }
}

/* A call the library OS does not implement returns ENOSYS and says so in the log, naming
 * it, so that a user learns why a program degrades: once per invocation, and for a call
 * made during init, in every invocation (the host passes each line on once per function). */
static void report_unsupported(long n)
{
    char line[96] = "thaw: unsupported system call ";
    const char *name = n < (long)(sizeof syscall_names / sizeof *syscall_names) && syscall_names[n] ? syscall_names[n] : "?";
    size_t at = strlen(line);
    size_t len = strlen(name);
    if (len > 40)
        len = 40;
    memcpy(line + at, name, len);
    at += len;
    char num[24];
    int k = 0;
    unsigned long v = (unsigned long)n;
    do num[k++] = (char)('0' + v % 10); while (v /= 10);
    line[at++] = ' ';
    line[at++] = '(';
    while (k)
        line[at++] = num[--k];
    memcpy(line + at, "): ENOSYS", 9);
    at += 9;
    io_log_quietly(line, at);
}

static long unsupported(long n)
{
    uint64_t *seen = state()->unsupported;
    if (n < 0 || n >= 512)
        return -ENOSYS;
    if (!(seen[n / 64] & 1ull << (n % 64))) {
        seen[n / 64] |= 1ull << (n % 64);
        report_unsupported(n);
    }
    return -ENOSYS;
}

void unsupported_resumed(void)
{
    const uint64_t *seen = state()->unsupported;
    for (long w = 0; w < 8; w++)
        for (uint64_t bits = seen[w]; bits; bits &= bits - 1)
            report_unsupported(w * 64 + __builtin_ctzll(bits));
}

long __thaw_syscall(long n, long a, long b, long c, long d, long e, long f)
{
    switch (n) {
    case SYS_read:          return sys_read((int)a, (void *)b, (size_t)c);
    case SYS_readv:         return sys_readv((int)a, (const struct iovec *)b, (int)c);
    case SYS_write:         return sys_write((int)a, (const void *)b, (size_t)c);
    case SYS_writev:        return sys_writev((int)a, (const struct iovec *)b, (int)c);

    case SYS_brk:           return mem_brk((uintptr_t)a);
    case SYS_mmap:          return mem_mmap((uintptr_t)a, (size_t)b, (int)c, (int)d, (int)e, f);
    case SYS_munmap:        return mem_munmap((uintptr_t)a, (size_t)b);
    case SYS_mremap:        return mem_mremap((uintptr_t)a, (size_t)b, (size_t)c, (int)d);
    case SYS_madvise:       return mem_madvise((uintptr_t)a, (size_t)b, (int)c);
    case SYS_mprotect:      return 0;

    case SYS_clock_gettime: return sys_clock_gettime((int)a, (struct timespec *)b);
    case SYS_clock_getres:
        if (b)
            *(struct timespec *)b = (struct timespec){ 0, 1 };
        return 0;
    case SYS_nanosleep:     return sys_sleep(CLOCK_MONOTONIC, 0, (const struct timespec *)a);
    case SYS_clock_nanosleep: return sys_sleep((int)a, (int)b, (const struct timespec *)c);
    case SYS_getrandom:     return sys_getrandom((void *)a, (size_t)b);

    case SYS_exit:
    case SYS_exit_group:    io_exit((int)a, 0);
    case SYS_kill:          return sys_kill(a, (int)b);
    case SYS_tkill:         return sys_kill(a, (int)b);
    case SYS_tgkill:        return sys_kill(a, (int)c);
    case SYS_getpid:
    case SYS_gettid:
    case SYS_set_tid_address: return GUEST_PID;
    case SYS_getppid:       return 0;
    case SYS_getuid: case SYS_geteuid: case SYS_getgid: case SYS_getegid: return 0;
    case SYS_uname:         return sys_uname((struct utsname *)a);
    case SYS_getrlimit:     return sys_prlimit((int)a, 0, (struct rlimit *)b);
    case SYS_prlimit64:     return sys_prlimit((int)b, (const struct rlimit *)c, (struct rlimit *)d);
    case SYS_arch_prctl:    return sys_arch_prctl((int)a, (uint64_t)b);
    case SYS_sched_yield:   return 0;
    case SYS_getrusage:     return sys_getrusage((struct rusage *)b);
    case SYS_sched_getaffinity: /* one CPU */
        if (b < 8)
            return -EINVAL;
        memset((void *)c, 0, 8);
        *(unsigned char *)c = 1;
        return 8;
    case SYS_poll:          return sys_poll((struct pollfd *)a, (unsigned long)b, c);
    case SYS_ppoll:         return sys_poll((struct pollfd *)a, (unsigned long)b, timeout_ms((const struct timespec *)c));
    case SYS_select: {
        const struct timeval *tv = (const struct timeval *)e;
        return sys_select((int)a, (fd_set *)b, (fd_set *)c, (fd_set *)d, tv ? tv->tv_sec * 1000 + tv->tv_usec / 1000 : -1);
    }
    case SYS_pselect6:      return sys_select((int)a, (fd_set *)b, (fd_set *)c, (fd_set *)d, timeout_ms((const struct timespec *)e));
    case SYS_futex:         return sys_futex((int *)a, (int)b, (int)c);
    case SYS_getpgrp: case SYS_getsid: return GUEST_PID;
    case SYS_getpgid:       return GUEST_PID;
    case SYS_getgroups:     return 0;

    /* No signals are ever delivered: masks and handlers are accepted and kept nowhere. */
    case SYS_rt_sigprocmask:
        if (c)
            memset((void *)c, 0, (size_t)d);
        return 0;
    case SYS_rt_sigaction: /* old action: the kernel's k_sigaction, 3 words + the mask */
        if (c)
            memset((void *)c, 0, 3 * sizeof(long) + (size_t)d);
        return 0;
    case SYS_sigaltstack:   return 0;

    default: {
        int handled;
        long r = fs_syscall(n, a, b, c, d, e, &handled);
        return handled ? r : unsupported(n);
    }
    }
}

/* Part of the guest API in <thaw/thaw.h>. */
void thaw_log(const char *line)
{
    io_log(line, strlen(line));
}
