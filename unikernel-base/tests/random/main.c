/* Prints 16 bytes from getrandom() as hex. */
#include <stdio.h>
#include <sys/random.h>

int main(void)
{
    unsigned char r[16];
    if (getrandom(r, sizeof r, 0) != sizeof r)
        return 1;
    for (int i = 0; i < 16; i++)
        printf("%02x", r[i]);
    printf("\n");
    return 0;
}
