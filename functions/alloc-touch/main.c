/* alloc-touch: memory-bound. Input "N": allocates N MiB with malloc, writes every byte,
 * reads it back into a checksum, frees it, and reports what it touched. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(void)
{
    char in[64] = { 0 };
    fread(in, 1, sizeof in - 1, stdin);
    long mib = in[0] ? strtol(in, NULL, 10) : 8;
    if (mib < 1 || mib > 512) {
        fprintf(stderr, "usage: input is a size in MiB from 1 to 512\n");
        return 2;
    }
    size_t size = (size_t)mib << 20;
    uint8_t *p = malloc(size);
    if (!p) {
        fprintf(stderr, "malloc(%zu) failed\n", size);
        return 1;
    }
    for (size_t i = 0; i < size; i++)
        p[i] = (uint8_t)(i * 31 + 7);
    uint64_t sum = 0;
    for (size_t i = 0; i < size; i += 8) {
        uint64_t v;
        memcpy(&v, p + i, 8);
        sum = sum * 1099511628211ull ^ v;
    }
    free(p);
    printf("touched %ld MiB (%zu pages), checksum %016llx\n", mib, size / 4096, (unsigned long long)sum);
    return 0;
}
