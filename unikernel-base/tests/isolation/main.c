/* Prints state that an invocation changes, then changes it: globals in .bss and .data, a
 * heap block, the SSE control register, the x87 control word and an SSE register. Every
 * invocation of the snapshot must print the same line. With the request "read" it only
 * prints: the pages the others keep writing are then restored without being written. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int bss_counter;
static int data_counter = 7;

int main(void)
{
    char in[64];
    size_t n = fread(in, 1, sizeof in, stdin);
    unsigned mxcsr;
    unsigned short fcw;
    unsigned long xmm7;
    __asm__ __volatile__("stmxcsr %0" : "=m"(mxcsr));
    __asm__ __volatile__("fnstcw %0" : "=m"(fcw));
    __asm__ __volatile__("movq %%xmm7, %0" : "=r"(xmm7));
    unsigned char *heap = malloc(4096);
    printf("bss=%d data=%d heap=%d mxcsr=%x fcw=%x xmm7=%lx\n", bss_counter, data_counter, heap[100], mxcsr, fcw, xmm7);
    if (n == 4 && !memcmp(in, "read", 4))
        return 0;
    bss_counter = 42;
    data_counter = 99;
    heap[100] = 0x5a;
    mxcsr |= 0x6000; /* round toward zero */
    fcw = 0x0c7f;
    __asm__ __volatile__("ldmxcsr %0" : : "m"(mxcsr));
    __asm__ __volatile__("fldcw %0" : : "m"(fcw));
    __asm__ __volatile__("movq %0, %%xmm7" : : "r"(0xdeadbeefcafef00dul));
    return 0;
}
