/* Clocks. The host hands over its wall and monotonic clocks with every resume; between
 * two resumes the guest extrapolates with the TSC (rdtsc runs natively at CPL3), scaled
 * by the TSC frequency the host sends along (it may differ between hosts). */
#include <time.h>
#include "libos.h"

static uint64_t tsc0, wall0, mono0;
static uint64_t ns_per_tick_32; /* nanoseconds per TSC tick, 32.32 fixed point */

void clock_resumed(const struct thaw_recv *r)
{
    tsc0 = rdtsc();
    wall0 = r->wall_ns;
    mono0 = r->mono_ns;
    uint64_t khz = r->tsc_khz;
    ns_per_tick_32 = khz ? (1000000ull << 32) / khz : 0;
}

static uint64_t elapsed_ns(void)
{
    return (uint64_t)(((unsigned __int128)(rdtsc() - tsc0) * ns_per_tick_32) >> 32);
}

uint64_t clock_now_ns(int clock_id, int *ok)
{
    *ok = 1;
    switch (clock_id) {
    case CLOCK_REALTIME:
    case CLOCK_REALTIME_COARSE:
    case CLOCK_TAI:
        return wall0 + elapsed_ns();
    case CLOCK_MONOTONIC:
    case CLOCK_MONOTONIC_RAW:
    case CLOCK_MONOTONIC_COARSE:
    case CLOCK_BOOTTIME:
        return mono0 + elapsed_ns();
    case CLOCK_PROCESS_CPUTIME_ID:
    case CLOCK_THREAD_CPUTIME_ID:
        return elapsed_ns(); /* the invocation is the process's whole life */
    default:
        *ok = 0;
        return 0;
    }
}
