/* Prints argv[0] and the environment the manifest sets. */
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv)
{
    (void)argc;
    printf("argv0=%s GREETING=%s EMPTY=[%s] HOME=%s\n", argv[0], getenv("GREETING"), getenv("EMPTY"),
           getenv("HOME") ? getenv("HOME") : "(unset)");
    return 0;
}
