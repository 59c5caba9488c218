/* Writes more memory than the reset copies back: 6 MiB of .bss (1,536 pages; the reset copies
 * back the first 1,024 dirty pages and drops the rest, the stack and I/O arena among them),
 * a .data counter and a heap block. First it reports what it found of an earlier
 * invocation's writes: every invocation must find none. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static unsigned char big[6 << 20];
static int counter = 7;

int main(void)
{
    char in[16];
    fread(in, 1, sizeof in, stdin);
    size_t written = 0;
    for (size_t i = 0; i < sizeof big; i++)
        written += big[i] != 0;
    unsigned char *heap = malloc(1 << 20);
    printf("written=%zu counter=%d heap=%d\n", written, counter, heap[4096]);
    memset(big, 0xa5, sizeof big);
    memset(heap, 0x5a, 1 << 20);
    counter++;
    return 0;
}
