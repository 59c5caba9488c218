/* Never reads stdin: its first output is its snapshot point, and it exits with status 3. */
#include <stdio.h>

int main(void)
{
    puts("no input needed");
    return 3;
}
