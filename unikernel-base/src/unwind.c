/* What Debian's libgcc_eh.a (the stack unwinder, linked by every static C++ program and
 * by C code that unwinds) expects of the C library beyond musl. */
#include <stddef.h>

struct dl_find_object;

/* glibc 2.35's fast lookup of the object that holds a code address. GCC's unwinder uses it
 * when present and falls back to dl_iterate_phdr() (which musl has) when it fails, as it
 * does here: a Thaw function is one static executable. */
int _dl_find_object(void *address, struct dl_find_object *result)
{
    (void)address;
    (void)result;
    return -1;
}
