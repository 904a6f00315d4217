/*
 * PVH entry and the CPL0 trampoline.
 *
 * Everything here runs at CPL0, which KVM emulates instruction by
 * instruction on a PVM host, so it is kept to a few dozen instructions:
 * page tables, GDT and IDT pointer are static data, and the kernel drops to
 * CPL3 (IOPL 3) as soon as the machine is in long mode.
 */
#include <xen/elfnote.h>
#include <bulkhead/abi.h>
#include <bk/layout.h>

#define PTE_P_RW_US 0x7
#define PDE_2M (0x80 | PTE_P_RW_US)

	.section .note.Xen, "a"
	.balign 4
	.long 4, 4, XEN_ELFNOTE_PHYS32_ENTRY
	.asciz "Xen"
	.balign 4
	.long _start32

	.section .note.Bulkhead, "a"
	.balign 4
	.long 9, 4, BH_ELFNOTE_FEATURES
	.asciz "Bulkhead"
	.balign 4
	.long BH_FEATURE_CPL3_HYPERCALLS

/* ---- 32-bit PVH entry: flat protected mode, paging off, %ebx = start info */
	.section .text.boot, "ax"
	.code32
	.globl _start32
_start32:
	movl %ebx, boot_start_info

	/* Enable the local APIC (software enable, spurious vector 0xff). */
	movl $0x1ff, BK_LAPIC_BASE + BK_LAPIC_SVR

	/* Fill the base of CPU 0's TSS descriptor (the rest is static). */
	movl $tss, %eax
	movw %ax, gdt_tss0 + 2
	shrl $16, %eax
	movb %al, gdt_tss0 + 4
	movb %ah, gdt_tss0 + 7

	lgdt gdtr
	movl $pml4, %eax
	movl %eax, %cr3
	movl $0x20, %eax                /* CR4.PAE */
	movl %eax, %cr4
	movl $0xc0000080, %ecx          /* EFER.LME */
	rdmsr
	orl $0x100, %eax
	wrmsr
	movl $0x80000031, %eax          /* CR0: PG, NE, ET, PE */
	movl %eax, %cr0
	ljmp $BK_KERNEL_CS, $start64

	.code64
start64:
	movl $BK_KERNEL_DS, %eax
	movl %eax, %ds
	movl %eax, %es
	movl %eax, %ss
	movq $kstack + BK_KSTACK_SIZE, %rsp     /* CPU 0's CPL0 stack */
	movl $BK_TSS_SEL(0), %eax
	ltr %ax
	lidt idtr

	/* The hypercall page, at the MSR that CPUID leaf base+2 names. */
	movl $0x40000002, %eax
	cpuid
	movl %ebx, %ecx
	movl $hypercall_page, %eax
	xorl %edx, %edx
	wrmsr

	xorl %edi, %edi
	movq $cpu0_stack + BK_STACK_SIZE, %rsi
	jmp enter_user

/*
 * Secondary vCPUs start here in 64-bit mode (VCPUOP_initialise), with
 * %rdi = cpu number, %rsi = its CPL3 stack top, %rsp = its CPL0 stack.
 */
	.globl ap_entry64
ap_entry64:
	lgdt gdtr
	movl $BK_KERNEL_DS, %eax
	movl %eax, %ds
	movl %eax, %es
	movl %eax, %ss
	movl %edi, %eax
	shll $4, %eax
	addl $BK_TSS_SEL(0), %eax
	ltr %ax
	lidt idtr
	movabsq $BK_LAPIC_BASE + BK_LAPIC_SVR, %rax
	movl $0x1ff, (%rax)

/* iretq to CPL3 at kernel_entry(cpu) on the stack in %rsi. */
enter_user:
	pushq $BK_USER_DS
	pushq %rsi
	pushq $BK_RFLAGS_USER
	pushq $BK_USER_CS
	pushq $kernel_entry
	iretq

/* ---- static data: page tables, GDT, TSS, IDT pointer */
	.section .data.page_aligned, "aw"
	.balign 4096
/* Identity map of the low 4 GiB in 2 MiB pages, user-accessible. */
	.globl pml4
pml4:
	.quad pdpt + PTE_P_RW_US
	.fill 511, 8, 0
pdpt:
	.quad pd + 0 * 4096 + PTE_P_RW_US
	.quad pd + 1 * 4096 + PTE_P_RW_US
	.quad pd + 2 * 4096 + PTE_P_RW_US
	.quad pd + 3 * 4096 + PTE_P_RW_US
	.fill 508, 8, 0
pd:
	.set i, 0
	.rept 2048
	.quad (i << 21) | PDE_2M
	.set i, i + 1
	.endr

	.globl hypercall_page
	.balign 4096
hypercall_page:
	.fill 4096, 1, 0xcc

	.section .data
	.balign 16
	.globl gdt
gdt:
	.quad 0
	.quad 0x00af9a000000ffff        /* 0x08 kernel code, 64-bit */
	.quad 0x00cf92000000ffff        /* 0x10 kernel data */
	.quad 0x00cff2000000ffff        /* 0x18 user data, DPL 3 */
	.quad 0x00affa000000ffff        /* 0x20 user code, 64-bit, DPL 3 */
gdt_tss0:
	.quad 0x0000890000000000 + BK_TSS_LIMIT /* 0x28 TSS for CPU 0, present */
	.quad 0
	.fill 2 * (BK_MAX_CPUS - 1), 8, 0 /* TSSs for the other CPUs, set by smp.c */
gdt_end:

	.balign 8
	.word 0, 0, 0
gdtr:
	.word gdt_end - gdt - 1
	.quad gdt

	.word 0, 0, 0
idtr:
	.word 256 * 16 - 1
	.quad idt

	.globl boot_start_info
	.balign 8
boot_start_info:
	.quad 0
