/*
 * Trap and interrupt stubs. The CPU enters them at CPL0 through the IDT;
 * each does the least it can there (KVM emulates CPL0 on PVM hosts) and
 * bounces to a CPL3 handler in C.
 */
#include <bk/layout.h>

	.text

/* CPL3 entry of every CPU: kernel_entry(cpu) never returns. */
	.globl kernel_entry
kernel_entry:
	andq $~15, %rsp
	call kernel_main
	ud2

/*
 * Exceptions are fatal to this kernel. The stub hands vector, error code,
 * rip, rsp and cr2 to trap_fatal() at CPL3 on a stack of its own.
 */
.macro TRAP vec, has_err
	.globl trap_\vec
trap_\vec:
	.if !\has_err
	pushq $0
	.endif
	pushq $\vec
	jmp trap_common
.endm

	TRAP 0, 0
	TRAP 1, 0
	TRAP 2, 0
	TRAP 3, 0
	TRAP 4, 0
	TRAP 5, 0
	TRAP 6, 0
	TRAP 7, 0
	TRAP 8, 1
	TRAP 9, 0
	TRAP 10, 1
	TRAP 11, 1
	TRAP 12, 1
	TRAP 13, 1
	TRAP 14, 1
	TRAP 15, 0
	TRAP 16, 0
	TRAP 17, 1
	TRAP 18, 0
	TRAP 19, 0
	TRAP 20, 0
	TRAP 21, 1

trap_common:                            /* vector, err, rip, cs, rflags, rsp, ss */
	movq 0(%rsp), %rdi
	movq 8(%rsp), %rsi
	movq 16(%rsp), %rdx
	movq 40(%rsp), %rcx
	movq %cr2, %r8
	pushq $BK_USER_DS
	pushq $trap_stack + BK_STACK_SIZE
	pushq $BK_RFLAGS_USER
	pushq $BK_USER_CS
	pushq $trap_fatal
	iretq

/*
 * The event-channel upcall. EOI the local APIC. If this CPU's upcall mask
 * is set, return: the event stays pending and unmasking delivers it.
 * Otherwise set the mask and make the interrupted CPL3 code "call"
 * upcall_user: push its rip and rflags on its own stack and return there.
 * Interrupts are only enabled at CPL3, so the interrupted context is CPL3
 * and its stack base holds its struct cpu.
 */
	.globl upcall_entry
upcall_entry:                           /* rip, cs, rflags, rsp, ss */
	pushq %rax
	pushq %rbx
	movabsq $BK_LAPIC_BASE + BK_LAPIC_EOI, %rax
	movl $0, (%rax)
	movq 40(%rsp), %rax                 /* interrupted rsp */
	andq $~(BK_STACK_SIZE - 1), %rax
	movq BK_CPU_VCPU_INFO(%rax), %rbx
	testq %rbx, %rbx
	jz 1f
	cmpb $0, BK_VCPU_INFO_MASK(%rbx)
	jne 1f
	movb $1, BK_VCPU_INFO_MASK(%rbx)
	movq 40(%rsp), %rax
	subq $16, %rax
	movq 16(%rsp), %rbx                 /* interrupted rip */
	movq %rbx, 8(%rax)
	movq 32(%rsp), %rbx                 /* interrupted rflags */
	movq %rbx, (%rax)
	movq %rax, 40(%rsp)
	movq $upcall_user, 16(%rsp)
1:	popq %rbx
	popq %rax
	iretq

/* CPL3 half: [rsp] = saved rflags, [rsp+8] = return rip. */
upcall_user:
	pushq %rax
	pushq %rcx
	pushq %rdx
	pushq %rsi
	pushq %rdi
	pushq %r8
	pushq %r9
	pushq %r10
	pushq %r11
	pushq %rbp
	movq %rsp, %rbp
	andq $~15, %rsp
	call evtchn_do_upcall
	movq %rbp, %rsp
	popq %rbp
	popq %r11
	popq %r10
	popq %r9
	popq %r8
	popq %rdi
	popq %rsi
	popq %rdx
	popq %rcx
	popq %rax
	popfq
	ret

/* Any other vector (a guest may point its upcall anywhere): EOI and return. */
	.globl spurious_entry
spurious_entry:
	pushq %rax
	movabsq $BK_LAPIC_BASE + BK_LAPIC_EOI, %rax
	movl $0, (%rax)
	popq %rax
	iretq

	.bss
	.balign BK_STACK_SIZE
	.globl trap_stack
trap_stack:
	.skip BK_STACK_SIZE
