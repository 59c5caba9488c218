/* A hostile guest whose first contact with the world is its own recv hypercall, aimed where
 * the environment variable TARGET says: its buffer on "text" (the function's own code),
 * "gdt", "tss", "page-tables" or "boot-info", or the recv struct itself in read-only data
 * ("rodata-struct"). The host would write every request there, so each of these must fail
 * the build. "bss" (the function's own writable data) is allowed: it echoes the request. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <thaw/abi.h>

static char buf[4096];
static struct thaw_recv recv_args;
static const struct thaw_recv read_only_args = { (uintptr_t)buf, sizeof buf, 0, 0, 0, 0, { 0 } };
static struct {
    struct thaw_record header;
    char bytes[sizeof buf];
} out;
static struct thaw_exit ex;

static void hypercall(uint16_t port, const volatile void *arg)
{
    __asm__ __volatile__("outl %%eax, %%dx" : : "a"((uint32_t)(uintptr_t)arg), "d"(port) : "memory");
}

int main(void)
{
    const char *target = getenv("TARGET");
    static const struct {
        const char *name;
        uintptr_t buf;
        uint64_t cap;
    } targets[] = {
        { "gdt", 0x2000, 64 }, { "tss", 0x3000, 256 }, { "page-tables", 0x6000, 4096 }, { "boot-info", 0x1000, 64 },
    };
    const struct thaw_recv *args = &recv_args;
    recv_args.buf = (uintptr_t)buf;
    recv_args.cap = sizeof buf;
    for (size_t i = 0; i < sizeof targets / sizeof targets[0]; i++) {
        if (target && !strcmp(target, targets[i].name)) {
            recv_args.buf = targets[i].buf;
            recv_args.cap = targets[i].cap;
        }
    }
    if (target && !strcmp(target, "text")) {
        recv_args.buf = (uintptr_t)main;
        recv_args.cap = 64;
    }
    if (target && !strcmp(target, "rodata-struct"))
        args = &read_only_args;
    hypercall(THAW_HC_RECV, args); /* the snapshot point */

    uint64_t n = recv_args.len < sizeof buf ? recv_args.len : sizeof buf;
    memcpy(out.bytes, buf, n);
    out.header.stream = THAW_STREAM_STDOUT;
    out.header.len = (uint32_t)n;
    ex.buf = (uintptr_t)&out;
    ex.len = sizeof out.header + n;
    hypercall(THAW_HC_EXIT, &ex);
    for (;;)
        __builtin_trap();
}
