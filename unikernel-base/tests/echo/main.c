/* Copies stdin to stdout, then reports the byte count on stderr and in the log. */
#include <stdio.h>
#include <thaw/thaw.h>

int main(void)
{
    static char buf[65536];
    size_t n, total = 0;
    while ((n = fread(buf, 1, sizeof buf, stdin)) > 0) {
        fwrite(buf, 1, n, stdout);
        total += n;
    }
    fprintf(stderr, "echoed %zu bytes\n", total);
    char line[64];
    snprintf(line, sizeof line, "echo: %zu bytes", total);
    thaw_log(line);
    return 0;
}
