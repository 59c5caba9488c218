/* Clocks. The host hands over its wall and monotonic clocks with every resume; between
 * two resumes the guest extrapolates with the TSC (rdtsc runs natively at CPL3), scaled
 * by the TSC frequency the host sends along (it may differ between hosts). */
#include <time.h>
#include "libos.h"

void clock_resumed(const struct thaw_recv *r)
{
    struct libos_state *s = state();
    s->tsc0 = rdtsc();
    s->wall0 = r->wall_ns;
    s->mono0 = r->mono_ns;
    s->ns_per_tick_32 = r->tsc_khz ? (1000000ull << 32) / r->tsc_khz : 0;
}

/* Before the snapshot point of a "snapshot at ready" guest: the clocks the host read when it
 * built the guest, running on with the TSC. Every resume replaces them. */
void clock_start_at_deploy(void)
{
    struct libos_state *s = state();
    if (s->clock_started)
        return;
    const struct thaw_boot_info *b = boot_info();
    s->tsc0 = rdtsc();
    s->wall0 = b->boot_wall_ns;
    s->mono0 = b->boot_mono_ns;
    s->ns_per_tick_32 = b->tsc_khz ? (1000000ull << 32) / b->tsc_khz : 0;
    s->clock_started = 1;
}

static uint64_t elapsed_ns(const struct libos_state *s)
{
    return (uint64_t)(((unsigned __int128)(rdtsc() - s->tsc0) * s->ns_per_tick_32) >> 32);
}

uint64_t clock_now_ns(int clock_id, int *ok)
{
    const struct libos_state *s = state();
    *ok = 1;
    switch (clock_id) {
    case CLOCK_REALTIME:
    case CLOCK_REALTIME_COARSE:
    case CLOCK_TAI:
        return s->wall0 + elapsed_ns(s);
    case CLOCK_MONOTONIC:
    case CLOCK_MONOTONIC_RAW:
    case CLOCK_MONOTONIC_COARSE:
    case CLOCK_BOOTTIME:
        return s->mono0 + elapsed_ns(s);
    case CLOCK_PROCESS_CPUTIME_ID:
    case CLOCK_THREAD_CPUTIME_ID:
        return elapsed_ns(s); /* the invocation is the process's whole life */
    default:
        *ok = 0;
        return 0;
    }
}
