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
#include "libos.h"

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

static long sys_readv(int fd, const struct iovec *iov, int n)
{
    long total = 0;
    for (int i = 0; i < n; i++) {
        long r = io_read(fd, iov[i].iov_base, iov[i].iov_len);
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
        long r = io_write(fd, iov[i].iov_base, iov[i].iov_len);
        if (r < 0)
            return total ? total : r;
        total += r;
    }
    return total;
}

static long sys_clock_gettime(int id, struct timespec *ts)
{
    io_await_request(); /* a clock reading belongs to an invocation, not to the snapshot */
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
    io_await_request();
    uint64_t want = (uint64_t)req->tv_sec * 1000000000u + (uint64_t)req->tv_nsec;
    uint64_t deadline = flags & TIMER_ABSTIME ? want : clock_now_ns(id, &ok) + want;
    while (clock_now_ns(id, &ok) < deadline)
        __asm__ __volatile__("pause");
    return 0;
}

static long sys_getrandom(void *buf, size_t len)
{
    io_await_request(); /* randomness must differ between invocations of one snapshot */
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

static long sys_fstat(int fd, struct stat *st)
{
    if (fd < 0 || fd > 2)
        return -EBADF;
    memset(st, 0, sizeof *st);
    st->st_mode = S_IFIFO | 0600; /* stdin and stdout behave like pipes */
    st->st_blksize = PAGE_SIZE;
    return 0;
}

static long sys_fcntl(int fd, int cmd)
{
    if (fd < 0 || fd > 2)
        return -EBADF;
    switch (cmd) {
    case F_GETFL: return fd == 0 ? O_RDONLY : O_WRONLY;
    case F_GETFD: case F_SETFD: case F_SETFL: return 0;
    default: return -EINVAL;
    }
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
                 : resource == RLIMIT_NOFILE ? 3 : RLIM_INFINITY;
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

long __thaw_syscall(long n, long a, long b, long c, long d, long e, long f)
{
    (void)d;
    switch (n) {
    case SYS_read:          return io_read((int)a, (void *)b, (size_t)c);
    case SYS_readv:         return sys_readv((int)a, (const struct iovec *)b, (int)c);
    case SYS_write:         return io_write((int)a, (const void *)b, (size_t)c);
    case SYS_writev:        return sys_writev((int)a, (const struct iovec *)b, (int)c);
    case SYS_close:         return a >= 0 && a <= 2 ? 0 : -EBADF;
    case SYS_fstat:         return sys_fstat((int)a, (struct stat *)b);
    case SYS_lseek:         return a >= 0 && a <= 2 ? -ESPIPE : -EBADF;
    case SYS_ioctl:         return a >= 0 && a <= 2 ? -ENOTTY : -EBADF;
    case SYS_fcntl:         return sys_fcntl((int)a, (int)b);
    case SYS_open:
    case SYS_openat:
    case SYS_access:
    case SYS_faccessat:
    case SYS_stat:
    case SYS_lstat:
    case SYS_newfstatat:    return -ENOENT; /* no file system */

    case SYS_brk:           return mem_brk((uintptr_t)a);
    case SYS_mmap:          return mem_mmap((uintptr_t)a, (size_t)b, (int)c, (int)d, (int)e, f);
    case SYS_munmap:        return mem_munmap((uintptr_t)a, (size_t)b);
    case SYS_mremap:        return -ENOMEM; /* musl's realloc falls back to copying */
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
    case SYS_getcwd:
        if (b < 2)
            return -ERANGE;
        strcpy((char *)a, "/");
        return 2;
    case SYS_getrlimit:     return sys_prlimit((int)a, 0, (struct rlimit *)b);
    case SYS_prlimit64:     return sys_prlimit((int)b, (const struct rlimit *)c, (struct rlimit *)d);
    case SYS_arch_prctl:    return sys_arch_prctl((int)a, (uint64_t)b);
    case SYS_sched_yield:   return 0;

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

    default:                return -ENOSYS;
    }
}

/* Part of the guest API in <thaw/thaw.h>. */
void thaw_log(const char *line)
{
    io_log(line, strlen(line));
}
