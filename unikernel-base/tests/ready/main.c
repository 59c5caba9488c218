/* "snapshot": "ready": init reads the clock and random bytes (deploy-time values, shared
 * by every invocation), writes to stderr (discarded), then calls thaw_ready(). Prints what
 * init saw and what the invocation sees, and its arguments. */
#include <stdio.h>
#include <sys/random.h>
#include <thaw/thaw.h>
#include <time.h>

static long long now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static unsigned long long random64(void)
{
    unsigned long long r;
    getrandom(&r, sizeof r, 0);
    return r;
}

int main(int argc, char **argv)
{
    long long init_clock = now_ns();
    unsigned long long init_random = random64();
    fprintf(stderr, "init output, discarded\n");
    thaw_ready();
    printf("init_clock=%lld init_random=%016llx clock=%lld random=%016llx argc=%d", init_clock, init_random,
           now_ns(), random64(), argc);
    for (int i = 0; i < argc; i++)
        printf(" [%s]", argv[i]);
    printf("\n");
    return 0;
}
