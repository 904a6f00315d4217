/* __HYPERVISOR_memory_op: the guest's physmap and memory map. */
#include <stdint.h>
#include <string.h>

#include <xen/memory.h>

#include "builder.h"
#include "hypercall.h"
#include "pvclock.h"
#include "xsm.h"

/*
 * XENMEM_memory_map hands out E820 entries (20 bytes, packed), the format
 * Xen keeps in d->arch.e820; Xen's public headers carry no type for it.
 */
struct e820_entry {
	uint64_t addr;
	uint64_t size;
	uint32_t type;
} __attribute__((packed));

/*
 * Map shared_info at gpfn. The page becomes the guest's view of it; what was
 * in the private page (or at the previous gpfn) moves with it.
 */
static long map_shared_info(struct vcpu *v, uint64_t gpfn)
{
	struct domain *d = v->d;
	struct shared_info *to, *from;
	unsigned int i;

	if (gpfn > UINT64_MAX / GUEST_PAGE_SIZE)
		return -XEN_EINVAL;
	to = gpa_to_host(&d->ram, gpfn * GUEST_PAGE_SIZE, GUEST_PAGE_SIZE);
	if (!to)
		return -XEN_EINVAL;
	pthread_mutex_lock(&d->evtchn.lock);
	from = atomic_load(&d->shared_info);
	if (from != to) {
		memmove(to, from, GUEST_PAGE_SIZE);
		atomic_store(&d->shared_info, to);
		for (i = 0; i < d->nr_vcpus && i < XEN_LEGACY_MAX_VCPUS; i++)
			if (!d->vcpu[i].vcpu_info_registered)
				atomic_store(&d->vcpu[i].vcpu_info, &to->vcpu_info[i]);
	}
	d->shared_info_gpa = gpfn * GUEST_PAGE_SIZE;
	pthread_mutex_unlock(&d->evtchn.lock);
	domain_wallclock_update(d);
	for (i = 0; i < d->nr_vcpus; i++)
		if (!d->vcpu[i].vcpu_info_registered)
			vcpu_time_update(&d->vcpu[i]);
	return 0;
}

static long add_to_physmap(struct vcpu *v, uint64_t arg)
{
	struct xen_add_to_physmap xatp;
	int rc = guest_copy_from(v, &xatp, arg, sizeof(xatp));

	if (rc)
		return rc;
	if (xatp.domid != DOMID_SELF && xatp.domid != v->d->id)
		return -XEN_ESRCH;
	rc = xsm_add_to_physmap(v, v->d);
	if (rc)
		return rc;
	switch (xatp.space) {
	case XENMAPSPACE_shared_info:
		if (xatp.idx != 0)
			return -XEN_EINVAL;
		return map_shared_info(v, xatp.gpfn);
	case XENMAPSPACE_grant_table:
		return grant_table_map_frame(v->d, xatp.idx, xatp.gpfn);
	default:
		return -XEN_ENOSYS;
	}
}

static long memory_map(struct vcpu *v, uint64_t arg)
{
	struct hvm_memmap_table_entry map[BUILDER_MEMMAP_MAX];
	struct e820_entry e820[BUILDER_MEMMAP_MAX];
	struct xen_memory_map mm;
	unsigned int n, i;
	int rc = guest_copy_from(v, &mm, arg, sizeof(mm));

	if (rc)
		return rc;
	rc = xsm_memory_map(v);
	if (rc)
		return rc;
	n = builder_memmap(v->d, map);
	/* Xen fills at most nr_entries and reports how many it wrote. */
	if (mm.nr_entries < n)
		n = mm.nr_entries;
	for (i = 0; i < n; i++) {
		e820[i].addr = map[i].addr;
		e820[i].size = map[i].size;
		e820[i].type = map[i].type;
	}
	if ((rc = guest_copy_to(v, (uintptr_t)mm.buffer.p, e820, n * sizeof(e820[0]))))
		return rc;
	mm.nr_entries = n;
	return guest_copy_to(v, arg, &mm, sizeof(mm));
}

long do_memory_op(struct vcpu *v, const uint64_t a[5])
{
	/* Bits above the command are Xen's continuation state: none here. */
	switch (a[0]) {
	case XENMEM_add_to_physmap:
		return add_to_physmap(v, a[1]);
	case XENMEM_memory_map:
		return memory_map(v, a[1]);
	default:
		return -XEN_ENOSYS;
	}
}
