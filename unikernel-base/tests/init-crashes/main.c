/* Dereferences a null pointer while initialising, before it reads stdin. */
#include <stdio.h>

int main(void)
{
    volatile int *p = 0;
    *p = 1;
    getchar();
    return 0;
}
