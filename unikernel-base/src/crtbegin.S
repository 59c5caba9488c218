/* Thaw's crtbegin: what GCC's crtbeginT.o gives a static program, without its exit work.
 *
 * GCC's crtbeginT.o registers the program's unwind tables at start (for libgcc_eh's
 * unwinder: a static link has no .eh_frame_hdr to find them by) and, from .fini_array,
 * unregisters them at exit behind a "completed" flag in .bss. Writing that flag cost every
 * invocation that returns from main() a page of its own to restore, for nothing: a Thaw
 * guest's memory is reset after its exit anyway. So this one only registers, and has no
 * exit entry. It also defines __dso_handle (0 in a static program), which C++'s
 * __cxa_atexit and GCC's crtend.o expect. Transactional-memory clone tables (libitm) are
 * not supported in a Thaw guest and are not registered.
 *
 * It must come before every object whose .eh_frame is to be registered (thaw.specs links
 * it right after crt1.o and crti.o, where crtbeginT.o was), and GCC's crtend.o still ends
 * .eh_frame with the zero terminator the unwinder walks to. */

    .section .eh_frame,"a",@unwind
    .balign 4
eh_frame_begin:                 /* the first byte of .eh_frame after crt1.o and crti.o */

    .section .init_array,"aw"
    .balign 8
    .quad register_frames       /* the first constructor without a priority, as in GCC's */

    .data
    .balign 8
    .globl __dso_handle
    .hidden __dso_handle
__dso_handle:
    .quad 0

    .bss
    .balign 32
object:                         /* libgcc's struct object (7 words today); written at boot */
    .zero 128

    .text
    .weak __register_frame_info
register_frames:
    movabs $__register_frame_info, %rax /* 0 when nothing links libgcc_eh's unwinder */
    test %rax, %rax
    jz 1f
    lea eh_frame_begin(%rip), %rdi
    lea object(%rip), %rsi
    jmp *%rax
1:  ret

    .section .note.GNU-stack,"",@progbits
