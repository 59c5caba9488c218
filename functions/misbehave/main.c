/* misbehave: fails on purpose, in the way its input names, so that a load test can mix
 * failures into good traffic (load-tests/gatling, ErrorsSimulation):
 *   "spin"   loops until its timeout (1 s) stops it: 504
 *   "crash"  writes through a null pointer: 502, outcome CRASHED
 *   "flood"  writes 64 KiB, past its output limit of 4 KiB: 502
 * Any other input is written back (a good call of the same function). */
#include <stdio.h>
#include <string.h>

int main(void)
{
    char in[64];
    size_t n = fread(in, 1, sizeof in - 1, stdin);
    in[n] = '\0';
    if (strcmp(in, "spin") == 0) {
        for (volatile unsigned long i = 0;; i++)
            ;
    }
    if (strcmp(in, "crash") == 0) {
        volatile int *nowhere = NULL;
        *nowhere = 1;
    }
    if (strcmp(in, "flood") == 0) {
        static char line[1024];
        memset(line, 'x', sizeof line - 1);
        line[sizeof line - 1] = '\n';
        for (int i = 0; i < 64; i++)
            fwrite(line, 1, sizeof line, stdout);
        return 0;
    }
    fwrite(in, 1, n, stdout);
    return 0;
}
