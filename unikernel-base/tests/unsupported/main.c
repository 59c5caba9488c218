#define _GNU_SOURCE /* mremap */
/* What a program gets from calls the library OS does not have: clean errors it can turn
 * into exceptions, and one log line per call naming it. pipe is called during init (before
 * the first read of stdin), then again with the others in every invocation. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

static int init_pipe_errno;

static void show(const char *what, long r)
{
    printf("%s: %s\n", what, r < 0 ? strerror(errno) : "ok");
}

int main(void)
{
    int fds[2];
    if (pipe(fds) < 0)
        init_pipe_errno = errno;
    char c;
    read(0, &c, 1);
    printf("pipe at init: %s\n", strerror(init_pipe_errno));
    show("fork", fork());
    show("execve", execl("/function/main", "main", (char *)0));
    show("pipe", pipe(fds));
    show("pipe again", pipe(fds));
    show("waitpid", waitpid(-1, 0, 0));
    struct itimerval t = { { 0, 0 }, { 1, 0 } };
    show("setitimer", setitimer(ITIMER_REAL, &t, 0));
    struct rusage ru;
    show("getrusage", getrusage(RUSAGE_SELF, &ru));
    char *p = mmap(0, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    memset(p, 'x', 8192);
    char *q = mremap(p, 8192, 1 << 20, MREMAP_MAYMOVE);
    printf("mremap: %s kept=%d\n", q == MAP_FAILED ? strerror(errno) : "ok", q != MAP_FAILED && q[8191] == 'x');
    return 0;
}
