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
	static bool ready;
	unsigned int i;
	long rc;

	if (ready)
		return 0;

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
	ready = true;
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

/* ---- allocators for libraries ------------------------------------------------ */

static uint8_t ref_used[BK_GNTTAB_FRAMES * ENTRIES];
static uint8_t area_used[BK_MAP_AREA_PAGES];
static volatile int alloc_lock;

static void lock(void)
{
	while (__atomic_exchange_n(&alloc_lock, 1, __ATOMIC_ACQUIRE))
		cpu_relax();
}

static void unlock(void)
{
	__atomic_store_n(&alloc_lock, 0, __ATOMIC_RELEASE);
}

grant_ref_t gnttab_alloc_ref(void)
{
	grant_ref_t r;

	lock();
	for (r = BK_GNTTAB_REF_FIRST; r < ARRAY_SIZE(ref_used) && ref_used[r]; r++)
		;
	if (r < ARRAY_SIZE(ref_used))
		ref_used[r] = 1;
	unlock();
	return r < ARRAY_SIZE(ref_used) ? r : 0;
}

void gnttab_free_ref(grant_ref_t ref)
{
	if (ref >= BK_GNTTAB_REF_FIRST && ref < ARRAY_SIZE(ref_used))
		__atomic_store_n(&ref_used[ref], 0, __ATOMIC_RELEASE);
}

uint64_t map_area_alloc(unsigned int pages)
{
	unsigned int i, run = 0;
	uint64_t gpa = 0;

	if (!pages || pages > BK_MAP_AREA_PAGES)
		return 0;
	lock();
	for (i = 0; i < BK_MAP_AREA_PAGES; i++) {
		run = area_used[i] ? 0 : run + 1;
		if (run == pages) {
			memset(&area_used[i + 1 - pages], 1, pages);
			gpa = ram_end() + BK_MAP_AREA_OFFSET + (uint64_t)(i + 1 - pages) * 4096;
			break;
		}
	}
	unlock();
	return gpa;
}

void map_area_free(uint64_t gpa, unsigned int pages)
{
	uint64_t first = (gpa - ram_end() - BK_MAP_AREA_OFFSET) / 4096;

	if (gpa < ram_end() + BK_MAP_AREA_OFFSET || first + pages > BK_MAP_AREA_PAGES)
		return;
	lock();
	memset(&area_used[first], 0, pages);
	unlock();
}
