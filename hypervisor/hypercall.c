#include "hypercall.h"
#include "grant_table.h"
#include "log.h"
#include "xsm.h"

#include <string.h>

#include <bulkhead/abi.h>

const struct hypercall_entry hypercall_table[NR_HYPERCALLS] = {
	[__HYPERVISOR_set_timer_op] = { do_set_timer_op, "set_timer_op" },
	[__HYPERVISOR_xen_version] = { do_xen_version, "xen_version" },
	[__HYPERVISOR_console_io] = { do_console_io, "console_io" },
	[__HYPERVISOR_memory_op] = { do_memory_op, "memory_op" },
	[__HYPERVISOR_vcpu_op] = { do_vcpu_op, "vcpu_op" },
	[__HYPERVISOR_sched_op] = { do_sched_op, "sched_op" },
	[__HYPERVISOR_event_channel_op] = { do_event_channel_op_hc, "event_channel_op" },
	[__HYPERVISOR_hvm_op] = { do_hvm_op, "hvm_op" },
	[__HYPERVISOR_grant_table_op] = { do_grant_table_op, "grant_table_op" },
	[__HYPERVISOR_xsm_op] = { do_xsm_op, "xsm_op" },
};

_Atomic uint64_t hypercall_unhooked;

long hypercall_dispatch(struct vcpu *v, uint64_t nr, const uint64_t a[5], int cpl)
{
	/*
	 * Xen refuses hypercalls from HVM user mode. A Bulkhead kernel that
	 * runs at CPL3 declares so in its image, and only it may call from there.
	 */
	if (cpl != 0 && !(v->d->bh_flags & BH_FEATURE_CPL3_HYPERCALLS))
		return -XEN_EPERM;
	atomic_fetch_add_explicit(&v->hypercalls, 1, memory_order_relaxed);
	uint64_t hooks = xsm_hook_calls;
	long rc;

	if (nr >= NR_HYPERCALLS || !hypercall_table[nr].fn)
		return -XEN_ENOSYS;
	rc = hypercall_table[nr].fn(v, a);
	/*
	 * Grant ops return 0 whatever each op's status: grant_table.c checks
	 * each op that succeeds (GNTST_okay) itself.
	 */
	if (rc >= 0 && xsm_hook_calls == hooks && nr != __HYPERVISOR_grant_table_op)
		hypercall_note_unhooked(hypercall_table[nr].name, a[0]);
	return rc;
}

void hypercall_note_unhooked(const char *name, uint64_t cmd)
{
	if (atomic_fetch_add(&hypercall_unhooked, 1) < 16)
		log_err("BUG: %s sub-op %llu succeeded without an XSM hook", name,
			(unsigned long long)cmd);
}

/*
 * Entry i: "mov $i, %eax; out %eax, $BH_HYPERCALL_PORT; ret", padded with
 * int3. __HYPERVISOR_iret is PV-only and traps, as in Xen's HVM page.
 */
void hypercall_page_fill(uint8_t *page)
{
	unsigned int i;

	memset(page, 0xcc, GUEST_PAGE_SIZE);
	for (i = 0; i < GUEST_PAGE_SIZE / 32; i++) {
		uint8_t *p = page + i * 32;

		if (i == __HYPERVISOR_iret) {
			p[0] = 0x0f; /* ud2 */
			p[1] = 0x0b;
			continue;
		}
		p[0] = 0xb8; /* mov imm32, %eax */
		p[1] = i & 0xff;
		p[2] = p[3] = p[4] = 0;
		p[5] = 0xe7; /* out %eax, imm8 */
		p[6] = BH_HYPERCALL_PORT;
		p[7] = 0xc3; /* ret */
	}
}
