/*
 * Hypercall dispatch: Xen's x86-64 convention, from the hypercall page.
 *
 * vcpu.c calls hypercall_dispatch() on the vCPU's own thread when the guest
 * writes the hypercall number to BH_HYPERCALL_PORT. Arguments are in rdi,
 * rsi, rdx, r10, r8; the result goes to rax. Each family lives in its own
 * file (hc_*.c) and every argument it takes is untrusted.
 */
#ifndef BH_HYPERCALL_H
#define BH_HYPERCALL_H

#include <stdint.h>

#include <xen/errno.h>

#include "domain.h"

typedef long (*hypercall_fn)(struct vcpu *v, const uint64_t a[5]);

struct hypercall_entry {
	hypercall_fn fn;
	const char *name;
};

#define NR_HYPERCALLS 64

/* The table, indexed by __HYPERVISOR_* number; a NULL fn returns -ENOSYS. */
extern const struct hypercall_entry hypercall_table[NR_HYPERCALLS];

/*
 * Decode the registers, check the caller may make hypercalls, and dispatch.
 * A handler that succeeds without passing an XSM hook is a bug: it is
 * logged and counted in hypercall_unhooked (the coverage test reads it).
 */
extern _Atomic uint64_t hypercall_unhooked;
long hypercall_dispatch(struct vcpu *v, uint64_t nr, const uint64_t a[5], int cpl);
/* Count and log one such bug; grant_table.c calls it per op. */
void hypercall_note_unhooked(const char *name, uint64_t cmd);

/* Fill a hypercall page at host pointer `page` (4 KiB). */
void hypercall_page_fill(uint8_t *page);

/* Guest-virtual copies for the calling vCPU: 0 or -XEN_EFAULT. */
static inline int guest_copy_from(struct vcpu *v, void *dst, uint64_t gva, size_t len)
{
	return copy_from_guest(&v->d->ram, &v->pg, dst, gva, len);
}

static inline int guest_copy_to(struct vcpu *v, uint64_t gva, const void *src, size_t len)
{
	return copy_to_guest(&v->d->ram, &v->pg, gva, src, len);
}

/* The handlers, one per family. */
long do_xen_version(struct vcpu *v, const uint64_t a[5]);
long do_console_io(struct vcpu *v, const uint64_t a[5]);
long do_sched_op(struct vcpu *v, const uint64_t a[5]);
long do_set_timer_op(struct vcpu *v, const uint64_t a[5]);
long do_vcpu_op(struct vcpu *v, const uint64_t a[5]);
long do_memory_op(struct vcpu *v, const uint64_t a[5]);
long do_hvm_op(struct vcpu *v, const uint64_t a[5]);
long do_event_channel_op_hc(struct vcpu *v, const uint64_t a[5]);
long do_xsm_op(struct vcpu *v, const uint64_t a[5]);

#endif
