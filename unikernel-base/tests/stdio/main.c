/* The standard streams after the library OS moved them into the I/O arena at boot: reading
 * stdin byte by byte, pushing a byte back, line-wise; writing stdout through printf, putchar,
 * fputs and fwrite (more than its 256-byte buffer, in order with fprintf(stdout)); stderr
 * unbuffered; output left in the buffer at exit flushed by exit(); an atexit handler and a
 * destructor that still print; and the unwinder, which finds this program's frames through
 * the tables Thaw's crtbegin registers at start. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unwind.h>

static _Unwind_Reason_Code count_frame(struct _Unwind_Context *c, void *n)
{
    (void)c;
    ++*(int *)n;
    return _URC_NO_REASON;
}

static __attribute__((noinline)) int frames_below(int depth)
{
    int n = 0;
    if (depth > 0)
        return frames_below(depth - 1) + 0 * n;
    _Unwind_Backtrace(count_frame, &n);
    return n;
}

static void at_exit(void) { printf("atexit ran\n"); }
static __attribute__((destructor)) void destructor(void) { printf("destructor ran\n"); }

int main(void)
{
    atexit(at_exit);
    int c = getchar();
    ungetc(c, stdin);
    char first[64];
    if (!fgets(first, sizeof first, stdin))
        return 2;
    first[strcspn(first, "\n")] = 0;
    long sum = 0, x;
    while (scanf("%ld", &x) == 1)
        sum += x;
    fprintf(stderr, "err:%s", "unbuffered\n");
    printf("first=%s sum=%ld same=%d\n", first, sum, stdout == stdout && stdin != stdout);
    for (int i = 0; i < 40; i++) { /* 400 bytes: the buffer fills and flushes in between */
        fputs("0123456", stdout);
        putchar('8');
        fprintf(stdout, "%c", '9');
        fwrite("\n", 1, 1, stdout);
    }
    printf("frames=%d\n", frames_below(3) >= 5);
    printf("left in the buffer at exit");
    return 0;
}
