/* Never reaches its first read of stdin. */
int main(void)
{
    for (;;)
        __asm__ __volatile__("");
}
