/*
 * Hypercalls through the hypercall page, Xen's x86-64 convention: number
 * selects the page entry, arguments in rdi, rsi, rdx, r10, r8, result in rax.
 */
#ifndef BK_HYPERCALL_H
#define BK_HYPERCALL_H

#include <stdint.h>

#include <xen/xen.h>

extern char hypercall_page[];

static inline long hypercall(unsigned long nr, uint64_t a1, uint64_t a2, uint64_t a3,
			     uint64_t a4, uint64_t a5)
{
	register uint64_t r_a1 __asm__("rdi") = a1;
	register uint64_t r_a2 __asm__("rsi") = a2;
	register uint64_t r_a3 __asm__("rdx") = a3;
	register uint64_t r_a4 __asm__("r10") = a4;
	register uint64_t r_a5 __asm__("r8") = a5;
	uint64_t rax = (uint64_t)(uintptr_t)hypercall_page + nr * 32;

	__asm__ volatile("call *%%rax"
			 : "+a"(rax), "+r"(r_a1), "+r"(r_a2), "+r"(r_a3), "+r"(r_a4),
			   "+r"(r_a5)
			 :
			 : "memory");
	return (long)rax;
}

#define HYPERVISOR_xen_version(cmd, arg) \
	hypercall(__HYPERVISOR_xen_version, (cmd), (uint64_t)(uintptr_t)(arg), 0, 0, 0)
#define HYPERVISOR_console_io(cmd, n, buf) \
	hypercall(__HYPERVISOR_console_io, (cmd), (n), (uint64_t)(uintptr_t)(buf), 0, 0)
#define HYPERVISOR_sched_op(cmd, arg) \
	hypercall(__HYPERVISOR_sched_op, (cmd), (uint64_t)(uintptr_t)(arg), 0, 0, 0)
#define HYPERVISOR_set_timer_op(t) hypercall(__HYPERVISOR_set_timer_op, (t), 0, 0, 0, 0)
#define HYPERVISOR_vcpu_op(cmd, vcpu, arg) \
	hypercall(__HYPERVISOR_vcpu_op, (cmd), (vcpu), (uint64_t)(uintptr_t)(arg), 0, 0)
#define HYPERVISOR_memory_op(cmd, arg) \
	hypercall(__HYPERVISOR_memory_op, (cmd), (uint64_t)(uintptr_t)(arg), 0, 0, 0)
#define HYPERVISOR_hvm_op(cmd, arg) \
	hypercall(__HYPERVISOR_hvm_op, (cmd), (uint64_t)(uintptr_t)(arg), 0, 0, 0)
#define HYPERVISOR_grant_table_op(cmd, arg, count) \
	hypercall(__HYPERVISOR_grant_table_op, (cmd), (uint64_t)(uintptr_t)(arg), (count), 0, 0)
#define HYPERVISOR_xsm_op(op) hypercall(__HYPERVISOR_xsm_op, (uintptr_t)(op), 0, 0, 0, 0)
#define HYPERVISOR_event_channel_op(cmd, arg) \
	hypercall(__HYPERVISOR_event_channel_op, (cmd), (uint64_t)(uintptr_t)(arg), 0, 0, 0)

#endif
