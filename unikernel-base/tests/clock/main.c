/* Prints CLOCK_REALTIME in nanoseconds, then time(NULL). */
#include <stdio.h>
#include <time.h>

int main(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    printf("%lld %lld\n", (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec, (long long)time(NULL));
    return 0;
}
