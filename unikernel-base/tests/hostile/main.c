/* A buggy or hostile guest: the request names what to do wrong. "ok" behaves. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <thaw/abi.h>
#include <thaw/thaw.h>

static void out(uint16_t port, uint64_t arg)
{
    __asm__ __volatile__("outl %%eax, %%dx" : : "a"((uint32_t)arg), "d"(port) : "memory");
}

#pragma GCC diagnostic ignored "-Winfinite-recursion"
static int recurse(int n)
{
    volatile char pad[1024];
    pad[0] = (char)n;
    return recurse(n + 1) + pad[0];
}

int main(void)
{
    char what[64] = { 0 };
    fread(what, 1, sizeof what - 1, stdin);
    what[strcspn(what, "\n")] = 0;
    static struct thaw_exit ex;
    static struct thaw_record rec;
    if (!strcmp(what, "ok")) {
        puts("ok");
    } else if (!strcmp(what, "loop")) {
        for (;;)
            __asm__ __volatile__("");
    } else if (!strcmp(what, "badptr")) {        /* argument struct beyond guest memory */
        out(THAW_HC_FLUSH, 0xfffff000u);
    } else if (!strcmp(what, "badbuf")) {        /* records buffer beyond guest memory */
        ex.buf = 0x7ffff000u;
        ex.len = 4096;
        out(THAW_HC_EXIT, (uintptr_t)&ex);
    } else if (!strcmp(what, "badrecord")) {     /* a record claiming more bytes than sent */
        rec.stream = THAW_STREAM_STDOUT;
        rec.len = 1u << 30;
        ex.buf = (uintptr_t)&rec;
        ex.len = sizeof rec;
        out(THAW_HC_EXIT, (uintptr_t)&ex);
    } else if (!strcmp(what, "port")) {          /* a port that is no hypercall */
        out(0x1234, 0);
    } else if (!strcmp(what, "in")) {
        uint8_t v;
        __asm__ __volatile__("inb %%dx, %%al" : "=a"(v) : "d"((uint16_t)THAW_HC_RECV));
        printf("%d\n", v);
    } else if (!strcmp(what, "recv")) {          /* asks for a request again */
        static struct thaw_recv r;
        r.buf = (uintptr_t)what;
        r.cap = sizeof what;
        out(THAW_HC_RECV, (uintptr_t)&r);
    } else if (!strcmp(what, "setfs")) {         /* non-canonical FS base */
        static struct thaw_set_fs fs = { 0x8000000000000000ull };
        out(THAW_HC_SET_FS, (uintptr_t)&fs);
    } else if (!strcmp(what, "null")) {
        *(volatile int *)0 = 1;
    } else if (!strcmp(what, "stack")) {
        printf("%d\n", recurse(0));
    } else if (!strcmp(what, "text")) {          /* writes into its own code */
        *(volatile unsigned char *)(uintptr_t)main = 0xc3;
    } else if (!strcmp(what, "hlt")) {
        __asm__ __volatile__("hlt");
    } else if (!strcmp(what, "syscall")) {       /* a Linux system call instruction */
        __asm__ __volatile__("syscall" : : "a"(39) : "rcx", "r11", "memory");
    } else if (!strcmp(what, "trap")) {
        __builtin_trap();
    } else if (!strcmp(what, "int3")) {          /* a breakpoint: a trap, RIP ends up after it */
        __asm__ __volatile__("int3\n\tnop");
    } else if (!strcmp(what, "int80")) {         /* a 32-bit Linux system call */
        __asm__ __volatile__("int $0x80" : : "a"(20) : "memory");
    } else if (!strcmp(what, "step")) {          /* RFLAGS.TF: a debug trap after the next instruction */
        __asm__ __volatile__("pushfq\n\torq $0x100, (%%rsp)\n\tpopfq\n\tnop\n\tnop" : : : "memory", "cc");
    } else if (!strcmp(what, "status")) {        /* an exit status no process can have */
        ex.status = 256;
        out(THAW_HC_EXIT, (uintptr_t)&ex);
    } else if (!strcmp(what, "signal")) {        /* a signal number Linux does not have */
        ex.signal = 65;
        out(THAW_HC_EXIT, (uintptr_t)&ex);
    } else if (!strcmp(what, "flood")) {         /* 100 MB to stdout */
        static char block[1 << 20];
        memset(block, 'x', sizeof block);
        for (int i = 0; i < 100; i++)
            fwrite(block, 1, sizeof block, stdout);
    } else if (!strcmp(what, "logflood")) {      /* 2,000,000 empty log lines */
        for (int i = 0; i < 2000000; i++)
            thaw_log("");
    } else if (!strcmp(what, "loglines")) {      /* more log lines than are kept, and a long one */
        static char line[10000];
        memset(line, 'y', sizeof line - 1);
        thaw_log(line);
        for (int i = 0; i < 1500; i++) {
            char l[32];
            snprintf(l, sizeof l, "line %d", i);
            thaw_log(l);
        }
    } else if (!strcmp(what, "abort")) {
        fputs("about to abort\n", stderr);
        abort();
    } else if (!strcmp(what, "exit3")) {
        exit(3);
    } else {
        fprintf(stderr, "unknown request '%s'\n", what);
        return 2;
    }
    return 0;
}
