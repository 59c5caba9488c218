/* __thaw_syscall_insn: what musl's assembly files call where they had `syscall`.
 *
 * It takes the Linux system-call convention (number in rax, arguments in rdi, rsi, rdx,
 * r10, r8, r9), preserves every register a real `syscall` preserves (all but rax, rcx
 * and r11), and calls the C dispatcher __thaw_syscall(n, a1, ..., a6). */
	.text
	.global __thaw_syscall_insn
	.type __thaw_syscall_insn,@function
__thaw_syscall_insn:
	push %rbp
	mov %rsp,%rbp
	push %rdi
	push %rsi
	push %rdx
	push %r8
	push %r9
	push %r10
	and $-16,%rsp
	sub $8,%rsp           /* after the push below the stack is 16-byte aligned */
	push %r9              /* a6 goes on the stack */
	mov %r8,%r9           /* a5 */
	mov %r10,%r8          /* a4 */
	mov %rdx,%rcx         /* a3 */
	mov %rsi,%rdx         /* a2 */
	mov %rdi,%rsi         /* a1 */
	mov %rax,%rdi         /* n */
	call __thaw_syscall
	lea -48(%rbp),%rsp
	pop %r10
	pop %r9
	pop %r8
	pop %rdx
	pop %rsi
	pop %rdi
	pop %rbp
	ret
	.size __thaw_syscall_insn,.-__thaw_syscall_insn

	.section .note.GNU-stack,"",@progbits
