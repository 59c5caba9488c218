/* spawn: the comparison baseline for Thaw's benchmark. Starts a program N times as an
 * ordinary process (fork + exec + wait), feeding INPUT on stdin and reading all of its
 * stdout, and prints each iteration's wall time in microseconds, one per line.
 *   spawn N INPUT PROGRAM [ARGUMENTS...] */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double now_us(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1e6 + t.tv_nsec / 1e3;
}

int main(int argc, char **argv)
{
    if (argc < 4) {
        fprintf(stderr, "usage: spawn N INPUT PROGRAM [ARGUMENTS...]\n");
        return 2;
    }
    int n = atoi(argv[1]);
    const char *input = argv[2];
    char buf[4096];
    for (int i = 0; i < n; i++) {
        double t0 = now_us();
        int in[2], out[2];
        if (pipe(in) || pipe(out))
            return 1;
        pid_t pid = fork();
        if (pid == 0) {
            dup2(in[0], 0);
            dup2(out[1], 1);
            close(in[0]); close(in[1]); close(out[0]); close(out[1]);
            execv(argv[3], &argv[3]);
            _exit(127);
        }
        close(in[0]);
        close(out[1]);
        if (write(in[1], input, strlen(input)) < 0)
            return 1;
        close(in[1]);
        ssize_t r, total = 0;
        while ((r = read(out[0], buf, sizeof buf)) > 0)
            total += r;
        close(out[0]);
        int status;
        waitpid(pid, &status, 0);
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0 || total == 0)
            return 1;
        printf("%.1f\n", now_us() - t0);
    }
    return 0;
}
