/* "snapshot": "ready", but init fails before thaw_ready(), as a Python handler that does
 * not import would: the deploy must fail with what init wrote to stderr. */
#include <stdio.h>
#include <stdlib.h>
#include <thaw/thaw.h>

int main(void)
{
    fprintf(stderr, "Traceback: cannot load the handler\n");
    exit(1);
    thaw_ready();
}
