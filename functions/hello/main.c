/* hello: greets whoever its input names. */
#include <stdio.h>
#include <string.h>

int main(void)
{
    char name[256];
    size_t n = fread(name, 1, sizeof name - 1, stdin);
    while (n > 0 && (name[n - 1] == '\n' || name[n - 1] == '\r'))
        n--;
    name[n] = '\0';
    printf("Hello, %s!\n", n ? name : "world");
    return 0;
}
