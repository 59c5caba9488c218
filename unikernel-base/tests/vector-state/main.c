/* Extended CPU state must not travel from one invocation to the next on a warm VM.
 *
 * Each invocation first looks at what the previous one may have left behind: the upper
 * halves of ymm0-15, zmm16-31 and k0-7 where the CPU has AVX-512, PKRU where protection keys
 * are on, the x87 control word and MXCSR. Then it fills all of them with a pattern and exits.
 * It prints which components it could test (it asks CPUID and XGETBV itself), the registers
 * that still held the pattern, and a digest of everything it read.
 *
 * "lock-pkru" instead denies all access to protection key 0 (every page of the guest) and
 * exits straight away with a prepared exit hypercall: the next invocation must run normally.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <thaw/abi.h>

static struct {
    int avx, avx512, avx512bw, pkru;
} has;

static uint8_t ymm[16][32] __attribute__((aligned(64)));
static uint8_t zmm[16][64] __attribute__((aligned(64)));
static uint64_t k[8];
static uint32_t pkru, mxcsr;
static uint16_t fcw;
static uint8_t pattern[64] __attribute__((aligned(64)));

static void cpuid(uint32_t leaf, uint32_t sub, uint32_t r[4])
{
    __asm__ __volatile__("cpuid" : "=a"(r[0]), "=b"(r[1]), "=c"(r[2]), "=d"(r[3]) : "a"(leaf), "c"(sub));
}

static void probe(void)
{
    uint32_t r[4];
    cpuid(1, 0, r);
    int osxsave = r[2] >> 27 & 1, avx = r[2] >> 28 & 1;
    uint64_t xcr0 = 0;
    if (osxsave) {
        uint32_t lo, hi;
        __asm__ __volatile__("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
        xcr0 = (uint64_t)hi << 32 | lo;
    }
    cpuid(7, 0, r);
    has.avx = avx && (xcr0 & 0x6) == 0x6;
    has.avx512 = has.avx && (r[1] >> 16 & 1) && (xcr0 & 0xe0) == 0xe0;
    has.avx512bw = has.avx512 && (r[1] >> 30 & 1);
    has.pkru = r[2] >> 4 & 1; /* OSPKE: CR4.PKE is on, so RDPKRU/WRPKRU work and PKRU applies */
}

#define EACH16(X) X(0) X(1) X(2) X(3) X(4) X(5) X(6) X(7) X(8) X(9) X(10) X(11) X(12) X(13) X(14) X(15)
#define EACH_HIGH16(X) X(16) X(17) X(18) X(19) X(20) X(21) X(22) X(23) \
                       X(24) X(25) X(26) X(27) X(28) X(29) X(30) X(31)
#define EACH8(X) X(0) X(1) X(2) X(3) X(4) X(5) X(6) X(7)

static void read_state(void)
{
    __asm__ __volatile__("stmxcsr %0\n\tfnstcw %1" : "=m"(mxcsr), "=m"(fcw));
    if (has.avx) {
#define SAVE_YMM(n) __asm__ __volatile__("vmovdqu %%ymm" #n ", %0" : "=m"(ymm[n]));
        EACH16(SAVE_YMM)
    }
    if (has.avx512) {
#define SAVE_ZMM(n) __asm__ __volatile__("vmovdqu64 %%zmm" #n ", %0" : "=m"(zmm[n - 16]));
        EACH_HIGH16(SAVE_ZMM)
#define SAVE_KQ(n) __asm__ __volatile__("kmovq %%k" #n ", %0" : "=r"(k[n]));
#define SAVE_KW(n) { uint32_t v; __asm__ __volatile__("kmovw %%k" #n ", %0" : "=r"(v)); k[n] = v; }
        if (has.avx512bw) {
            EACH8(SAVE_KQ)
        } else {
            EACH8(SAVE_KW)
        }
    }
    if (has.pkru)
        __asm__ __volatile__("rdpkru" : "=a"(pkru) : "c"(0) : "rdx");
}

/* Fills every register with the pattern. Legacy SSE code in libc leaves the upper halves and
 * everything above xmm15 alone, so the pattern is still there when this invocation exits. */
static void write_state(void)
{
    uint32_t new_mxcsr = 0x7f80; /* round toward zero, all exceptions masked */
    uint16_t new_fcw = 0x0c7f;
    __asm__ __volatile__("ldmxcsr %0\n\tfldcw %1" : : "m"(new_mxcsr), "m"(new_fcw));
    if (has.avx) {
#define LOAD_YMM(n) __asm__ __volatile__("vmovdqu %0, %%ymm" #n : : "m"(*(uint8_t(*)[32])pattern));
        EACH16(LOAD_YMM)
    }
    if (has.avx512) {
#define LOAD_ZMM(n) __asm__ __volatile__("vmovdqu64 %0, %%zmm" #n : : "m"(pattern));
        EACH_HIGH16(LOAD_ZMM)
#define LOAD_KQ(n) __asm__ __volatile__("kmovq %0, %%k" #n : : "r"(0xa5a5a5a5a5a5a5a5ull));
#define LOAD_KW(n) __asm__ __volatile__("kmovw %0, %%k" #n : : "r"(0xa5a5u));
        if (has.avx512bw) {
            EACH8(LOAD_KQ)
        } else {
            EACH8(LOAD_KW)
        }
    }
    if (has.pkru) /* key 1 denied: harmless, every page of the guest has key 0 */
        __asm__ __volatile__("wrpkru" : : "a"(0xcu), "c"(0), "d"(0));
}

/* Whether bytes [from, to) of a register hold what write_state() put there. */
static int holds_pattern(const uint8_t *reg, size_t from, size_t to)
{
    return memcmp(reg + from, pattern + from, to - from) == 0;
}

static uint64_t fnv1a(uint64_t h, const void *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        h = (h ^ ((const uint8_t *)p)[i]) * 0x100000001b3ull;
    return h;
}

/* A digest of everything read, so any difference between invocations shows. Not the lower
 * halves of the ymm registers: those are xmm0-15, which libc's memcpy uses on the way here
 * (with this invocation's random bytes in them). */
static uint64_t digest(void)
{
    uint64_t h = 0xcbf29ce484222325ull;
    for (int i = 0; i < 16; i++)
        h = fnv1a(h, ymm[i] + 16, 16);
    h = fnv1a(h, zmm, sizeof zmm);
    h = fnv1a(h, k, sizeof k);
    h = fnv1a(h, &pkru, sizeof pkru);
    h = fnv1a(h, &mxcsr, sizeof mxcsr);
    return fnv1a(h, &fcw, sizeof fcw);
}

static _Noreturn void lock_pkru(void)
{
    static struct thaw_exit ex; /* no output, status 0 */
    /* After WRPKRU no memory access is allowed, so the exit hypercall follows directly. */
    __asm__ __volatile__("wrpkru\n\t"
                         "mov %k[ex], %%eax\n\t"
                         "mov %[port], %%edx\n\t"
                         "outl %%eax, %%dx"
                         : : "a"(3u), "c"(0), "d"(0), [ex] "r"((uint32_t)(uintptr_t)&ex), [port] "i"(THAW_HC_EXIT)
                         : "memory");
    for (;;)
        __builtin_trap();
}

int main(void)
{
    for (size_t i = 0; i < sizeof pattern; i++)
        pattern[i] = (uint8_t)(0xa0 + i);
    probe();
    char what[32] = { 0 };
    fread(what, 1, sizeof what - 1, stdin); /* the snapshot point */
    read_state();
    if (!strcmp(what, "lock-pkru")) {
        if (!has.pkru) {
            puts("pkru: not available");
            return 0;
        }
        lock_pkru();
    }

    char leaked[1024] = "";
    size_t at = 0;
#define LEAK(fmt, n) at += (size_t)snprintf(leaked + at, sizeof leaked - at, " " fmt, n)
    if (mxcsr == 0x7f80)
        LEAK("%s", "mxcsr");
    if (fcw == 0x0c7f)
        LEAK("%s", "fcw");
    for (int i = 0; i < 16; i++)
        if (has.avx && holds_pattern(ymm[i], 16, 32))
            LEAK("ymm%d", i);
    for (int i = 0; i < 16; i++)
        if (has.avx512 && holds_pattern(zmm[i], 0, 64))
            LEAK("zmm%d", i + 16);
    for (int i = 0; i < 8; i++)
        if (has.avx512 && (k[i] == 0xa5a5a5a5a5a5a5a5ull || k[i] == 0xa5a5))
            LEAK("k%d", i);
    if (has.pkru && pkru == 0xc)
        LEAK("%s", "pkru");

    printf("tested: x87 sse%s%s%s\n", has.avx ? " avx" : "", has.avx512 ? " avx512" : "", has.pkru ? " pkru" : "");
    printf("leaked:%s\n", at ? leaked : " none");
    printf("digest: %016llx\n", (unsigned long long)digest());
    /* what the upper halves held, for the failure message */
    printf("ymm0-high: %016llx%016llx\n", *(unsigned long long *)(ymm[0] + 24), *(unsigned long long *)(ymm[0] + 16));
    fflush(stdout);
    write_state();
    return 0;
}
