/* Exercises malloc, calloc, realloc, free and anonymous mmap/munmap, checking that fresh
 * memory is zero and that data survives moves. Prints "ok" and a checksum, or what failed. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#define CHECK(c) do { if (!(c)) { printf("failed: %s (line %d)\n", #c, __LINE__); return 1; } } while (0)

int main(void)
{
    char in[16];
    fread(in, 1, sizeof in, stdin);
    uint64_t sum = 0;
    for (int round = 0; round < 3; round++) {
        enum { N = 200 };
        unsigned char *blocks[N];
        for (int i = 0; i < N; i++) {
            size_t size = (size_t)(i * 977 % 70000) + 1;
            blocks[i] = calloc(1, size);
            CHECK(blocks[i]);
            for (size_t j = 0; j < size; j += 61)
                CHECK(blocks[i][j] == 0);
            memset(blocks[i], i, size);
        }
        for (int i = 0; i < N; i += 2) {
            size_t size = (size_t)(i * 977 % 70000) + 1;
            blocks[i] = realloc(blocks[i], size * 3);
            CHECK(blocks[i]);
            CHECK(blocks[i][size - 1] == (unsigned char)i);
            sum += blocks[i][0];
        }
        for (int i = 0; i < N; i++)
            free(blocks[i]);
    }
    for (int i = 0; i < 20; i++) {
        size_t size = (size_t)(i + 1) << 20;
        unsigned char *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        CHECK(p != MAP_FAILED);
        CHECK(p[0] == 0 && p[size - 1] == 0 && p[size / 2] == 0);
        memset(p, 0xab, size);
        CHECK(munmap(p, size) == 0);
    }
    CHECK(mmap(NULL, 4096, PROT_READ, MAP_PRIVATE, 0, 0) == MAP_FAILED);
    void *big = malloc((size_t)1 << 40);
    CHECK(big == NULL);
    printf("ok %llu\n", (unsigned long long)sum);
    return 0;
}
