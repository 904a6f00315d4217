/*
 * Grant tables v1, guest side: the table lives in this kernel's own pages
 * (placed with XENMAPSPACE_grant_table), granting writes an entry, and
 * ending access takes it back only if no one has it mapped or in a copy,
 * as Linux's gnttab_end_foreign_access_ref does.
 */
#include <xen/errno.h>
#include <xen/grant_table.h>
#include <xen/memory.h>

#include <bk/hypercall.h>
#include <bk/kernel.h>

#define ENTRIES (4096 / sizeof(struct grant_entry_v1))

static struct grant_entry_v1 table[BK_GNTTAB_FRAMES][ENTRIES]
	__attribute__((aligned(4096), section(".bss.page_aligned")));

int gnttab_init(void)
{
	struct gnttab_setup_table st = { .dom = DOMID_SELF, .nr_frames = BK_GNTTAB_FRAMES };
	xen_pfn_t frames[BK_GNTTAB_FRAMES];
	unsigned int i;
	long rc;

	set_xen_guest_handle(st.frame_list, frames);
	rc = HYPERVISOR_grant_table_op(GNTTABOP_setup_table, &st, 1);
	if (rc || st.status != GNTST_okay)
		return rc ? (int)rc : st.status;
	for (i = 0; i < BK_GNTTAB_FRAMES; i++) {
		struct xen_add_to_physmap xatp = {
			.domid = DOMID_SELF,
			.space = XENMAPSPACE_grant_table,
			.idx = i,
			.gpfn = (uintptr_t)table[i] >> 12,
		};

		rc = HYPERVISOR_memory_op(XENMEM_add_to_physmap, &xatp);
		if (rc)
			return (int)rc;
	}
	return 0;
}

void gnttab_grant(grant_ref_t ref, domid_t dom, uint64_t gfn, bool readonly)
{
	struct grant_entry_v1 *e = &table[ref / ENTRIES][ref % ENTRIES];

	e->frame = (uint32_t)gfn;
	e->domid = dom;
	/* The frame and domid must be visible before the permission. */
	__atomic_store_n(&e->flags, GTF_permit_access | (readonly ? GTF_readonly : 0),
			 __ATOMIC_SEQ_CST);
}

int gnttab_end(grant_ref_t ref)
{
	uint16_t *flags = &table[ref / ENTRIES][ref % ENTRIES].flags;
	uint16_t old = __atomic_load_n(flags, __ATOMIC_SEQ_CST);

	do {
		if (old & (GTF_reading | GTF_writing))
			return -XEN_EBUSY;
	} while (!__atomic_compare_exchange_n(flags, &old, 0, false, __ATOMIC_SEQ_CST,
					      __ATOMIC_SEQ_CST));
	return 0;
}

uint16_t gnttab_flags(grant_ref_t ref)
{
	return __atomic_load_n(&table[ref / ENTRIES][ref % ENTRIES].flags, __ATOMIC_SEQ_CST);
}

int gnttab_map(domid_t dom, grant_ref_t ref, uint64_t gpa, bool readonly, grant_handle_t *handle)
{
	struct gnttab_map_grant_ref op = {
		.host_addr = gpa,
		.flags = GNTMAP_host_map | (readonly ? GNTMAP_readonly : 0),
		.ref = ref,
		.dom = dom,
	};
	long rc = HYPERVISOR_grant_table_op(GNTTABOP_map_grant_ref, &op, 1);

	if (rc)
		return (int)rc;
	*handle = op.handle;
	return op.status;
}

int gnttab_unmap(uint64_t gpa, grant_handle_t handle)
{
	struct gnttab_unmap_grant_ref op = { .host_addr = gpa, .handle = handle };
	long rc = HYPERVISOR_grant_table_op(GNTTABOP_unmap_grant_ref, &op, 1);

	return rc ? (int)rc : op.status;
}

long gnttab_copy(struct gnttab_copy *ops, unsigned int n)
{
	return HYPERVISOR_grant_table_op(GNTTABOP_copy, ops, n);
}

uint64_t ram_end(void)
{
	const struct hvm_memmap_table_entry *map =
		(const void *)(uintptr_t)start_info->memmap_paddr;
	uint64_t end = 0;
	unsigned int i;

	for (i = 0; i < start_info->memmap_entries; i++)
		if (map[i].type == XEN_HVM_MEMMAP_TYPE_RAM && map[i].addr + map[i].size > end)
			end = map[i].addr + map[i].size;
	return end;
}
