/*
 * Grant tables v1 (GNTTABOP_*) with hostile input, without KVM.
 *
 * Each test gets a fresh domain built by hand, as in test_hypercall_args.c:
 * vm_fd is -1 and vCPUs have no KVM fd. Guest RAM is a memfd (as in a real
 * domain, so map_grant_ref's mmap of the granter's page works) mapped
 * between two PROT_NONE guard pages, so any access past either end of RAM
 * faults. With no VM, every map that passes its checks must fail at the
 * memslot step and leave nothing behind.
 *
 * The domain is not in the registry, so every grant is to itself: the
 * granter is the caller, and entries name the caller's own domid. Paging is
 * off, so a guest-virtual address is the guest-physical one.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include <xen/xen.h>
#include <xen/grant_table.h>
#include <xen/memory.h>

#include "flask.h"
#include "domain.h"
#include "grant_table.h"
#include "service.h"
#include "hypercall.h"
#include "log.h"
#include "vcpu.h"
#include "fake_domain.h"

#define RAM_SIZE (4ull << 20)
#define PAGE GUEST_PAGE_SIZE
#define RAM_PAGES (RAM_SIZE / PAGE)
#define DOM_ID 7
#define OTHER_DOM 3           /* a domain id that exists nowhere */
#define NR_MEMSLOTS 32        /* what the fake VM claims KVM allows */
#define EPF ((unsigned int)GNTTAB_ENTRIES_PER_FRAME)
#define MMIO_HOLE 0xF0000000ull
#define MEMFD_NAME "bh-test-gnttab"

/* Guest-physical layout used by the tests. */
#define ARG 0x10000ull        /* op arrays (up to 512 copies: 20 KiB) */
#define XATP 0x1f000ull       /* struct xen_add_to_physmap */
#define BUF 0x20000ull        /* frame lists */
#define GT_GPFN 0x40ull       /* where grant frame 0 goes */
#define GT_GPFN2 0x48ull      /* where it moves to */
#define DATA_PFN 0x100ull     /* data pages: 0x100-0x3ff */
#define SRC_PFN 0x100ull
#define DST_PFN 0x101ull
#define RO_PFN 0x102ull
#define DST2_PFN 0x103ull

#define GTF_BUSY (GTF_reading | GTF_writing)
#define NOT_WRITTEN ((int16_t)0x5a5a) /* a status bulkhead never writes */
#define NO_HANDLE ((grant_handle_t)~0u)

static struct domain *d;
static void *ram_area; /* guard page, RAM, guard page */

/* ---- the fake domain ----------------------------------------------------- */

static int group_setup(void **state)
{
	(void)state;
	bh_log_init("test_grant_table", BH_LOG_ERR);
	return 0;
}

static int setup(void **state)
{
	void *ram;

	(void)state;
	d = calloc(1, sizeof(*d));
	assert_non_null(d);
	d->id = DOM_ID;
	d->mem_fd = memfd_create(MEMFD_NAME, MFD_CLOEXEC);
	assert_true(d->mem_fd >= 0);
	assert_int_equal(ftruncate(d->mem_fd, RAM_SIZE), 0);
	ram_area = mmap(NULL, RAM_SIZE + 2 * PAGE, PROT_NONE,
			MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	assert_true(ram_area != MAP_FAILED);
	ram = mmap((uint8_t *)ram_area + PAGE, RAM_SIZE, PROT_READ | PROT_WRITE,
		   MAP_SHARED | MAP_FIXED, d->mem_fd, 0);
	assert_true(ram == (uint8_t *)ram_area + PAGE);
	d->ram.base = ram;
	d->ram.size = RAM_SIZE;
	d->nr_memslots = NR_MEMSLOTS;
	assert_int_equal(fake_domain_init(d, 1, false), 0);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	fake_domain_fini(d);
	munmap(ram_area, RAM_SIZE + 2 * PAGE);
	close(d->mem_fd);
	free(d);
	d = NULL;
	return 0;
}

/* ---- helpers ------------------------------------------------------------- */

static long hc(uint64_t nr, uint64_t a0, uint64_t a1, uint64_t a2)
{
	const uint64_t a[5] = { a0, a1, a2, 0, 0 };

	return hypercall_dispatch(&d->vcpu[0], nr, a, 0);
}

static long gnttab(uint64_t cmd, uint64_t gva, uint64_t count)
{
	return hc(__HYPERVISOR_grant_table_op, cmd, gva, count);
}

static void *gp(uint64_t gpa)
{
	assert_true(gpa < RAM_SIZE);
	return d->ram.base + gpa;
}

static void put(uint64_t gpa, const void *p, size_t n)
{
	assert_true(gpa + n <= RAM_SIZE);
	memcpy(gp(gpa), p, n);
}

static void get(void *p, uint64_t gpa, size_t n)
{
	assert_true(gpa + n <= RAM_SIZE);
	memcpy(p, gp(gpa), n);
}

static long physmap_gt(xen_ulong_t idx, xen_pfn_t gpfn)
{
	struct xen_add_to_physmap x;

	memset(&x, 0, sizeof(x));
	x.domid = DOMID_SELF;
	x.space = XENMAPSPACE_grant_table;
	x.idx = idx;
	x.gpfn = gpfn;
	put(XATP, &x, sizeof(x));
	return hc(__HYPERVISOR_memory_op, XENMEM_add_to_physmap, XATP, 0);
}

/* One setup_table at ARG with the frame list at fl; returns the status. */
static int16_t setup_table(domid_t dom, uint32_t nr, uint64_t fl)
{
	struct gnttab_setup_table op;

	memset(&op, 0, sizeof(op));
	op.dom = dom;
	op.nr_frames = nr;
	op.status = NOT_WRITTEN;
	op.frame_list.p = (xen_pfn_t *)(uintptr_t)fl;
	put(ARG, &op, sizeof(op));
	assert_int_equal(gnttab(GNTTABOP_setup_table, ARG, 1), 0);
	get(&op, ARG, sizeof(op));
	assert_int_equal(op.dom, dom);
	assert_int_equal(op.nr_frames, nr);
	return op.status;
}

static struct gnttab_query_size query_size(domid_t dom)
{
	struct gnttab_query_size op;

	memset(&op, 0, sizeof(op));
	op.dom = dom;
	op.nr_frames = op.max_nr_frames = 0xdeadbeef;
	op.status = NOT_WRITTEN;
	put(ARG, &op, sizeof(op));
	assert_int_equal(gnttab(GNTTABOP_query_size, ARG, 1), 0);
	get(&op, ARG, sizeof(op));
	return op;
}

/* Place grant frame idx at gpfn, as a guest does after setup_table. */
static void place(unsigned int idx, uint64_t gpfn)
{
	assert_int_equal(physmap_gt(idx, gpfn), 0);
	assert_int_equal(d->gnttab.frame_gpfn[idx], gpfn);
	assert_ptr_equal((void *)d->gnttab.frame[idx], gp(gpfn * PAGE));
}

/* The guest writes entry ref into its (placed) grant frame in RAM. */
static void grant(grant_ref_t ref, uint16_t flags, domid_t domid, uint32_t frame)
{
	struct grant_entry_v1 e = { .flags = flags, .domid = domid, .frame = frame };
	uint64_t gpfn;

	assert_true(ref / EPF < d->gnttab.nr_frames);
	gpfn = d->gnttab.frame_gpfn[ref / EPF];
	assert_true(gpfn != ~0ull);
	put(gpfn * PAGE + (ref % EPF) * sizeof(e), &e, sizeof(e));
}

/* The guest reads entry ref back from RAM. */
static struct grant_entry_v1 entry(grant_ref_t ref)
{
	struct grant_entry_v1 e;
	uint64_t gpfn = d->gnttab.frame_gpfn[ref / EPF];

	assert_true(gpfn != ~0ull);
	get(&e, gpfn * PAGE + (ref % EPF) * sizeof(e), sizeof(e));
	return e;
}

static struct gnttab_copy_ptr gref(grant_ref_t ref, domid_t dom, uint16_t off)
{
	struct gnttab_copy_ptr p;

	memset(&p, 0, sizeof(p));
	p.u.ref = ref;
	p.domid = dom;
	p.offset = off;
	return p;
}

static struct gnttab_copy_ptr gmfn(xen_pfn_t f, domid_t dom, uint16_t off)
{
	struct gnttab_copy_ptr p;

	memset(&p, 0, sizeof(p));
	p.u.gmfn = f;
	p.domid = dom;
	p.offset = off;
	return p;
}

static struct gnttab_copy copy_op(struct gnttab_copy_ptr src, struct gnttab_copy_ptr dst,
				  uint16_t len, uint16_t flags)
{
	struct gnttab_copy op;

	memset(&op, 0, sizeof(op));
	op.source = src;
	op.dest = dst;
	op.len = len;
	op.flags = flags;
	op.status = NOT_WRITTEN;
	return op;
}

/*
 * Nothing pinned, no GTF_reading/GTF_writing left in any entry, no map
 * handle in use, and the domain's reference count back where it was.
 */
static void assert_quiescent(void)
{
	struct grant_table *gt = &d->gnttab;
	unsigned int i;

	assert_true(gt->nr_frames <= GNTTAB_MAX_FRAMES);
	for (i = 0; i < gt->nr_frames * EPF; i++) {
		if (gt->pin[i].readers || gt->pin[i].writers || (gt->frame[i / EPF][i % EPF].flags & GTF_BUSY))
			print_error("ref %u: readers %u writers %u flags %#x\n", i, gt->pin[i].readers,
				    gt->pin[i].writers, gt->frame[i / EPF][i % EPF].flags);
		assert_int_equal(gt->pin[i].readers, 0);
		assert_int_equal(gt->pin[i].writers, 0);
		assert_int_equal(gt->frame[i / EPF][i % EPF].flags & GTF_BUSY, 0);
	}
	for (i = 0; i < GNTTAB_MAX_MAPS; i++)
		assert_null(gt->map[i].granter);
	assert_int_equal(atomic_load(&d->refcnt), 1);
}

/* One copy op at ARG; returns its status after checking the table is quiescent. */
static int16_t copy1(struct gnttab_copy op)
{
	put(ARG, &op, sizeof(op));
	assert_int_equal(gnttab(GNTTABOP_copy, ARG, 1), 0);
	get(&op, ARG, sizeof(op));
	assert_quiescent();
	return op.status;
}

static void fill(uint64_t pfn, uint8_t seed)
{
	uint8_t *p = gp(pfn * PAGE);
	unsigned int i;

	for (i = 0; i < PAGE; i++)
		p[i] = (uint8_t)(seed + i * 7);
}

static bool page_is(uint64_t pfn, const uint8_t *want)
{
	return memcmp(gp(pfn * PAGE), want, PAGE) == 0;
}

/* A table of one frame at GT_GPFN, with data pages filled. */
static void one_frame(void)
{
	assert_int_equal(setup_table(DOMID_SELF, 1, BUF), GNTST_okay);
	place(0, GT_GPFN);
	fill(SRC_PFN, 0x11);
	fill(DST_PFN, 0x22);
	fill(RO_PFN, 0x33);
	fill(DST2_PFN, 0x44);
}

static struct gnttab_map_grant_ref map_op(uint64_t host_addr, uint32_t flags, grant_ref_t ref,
					  domid_t dom)
{
	struct gnttab_map_grant_ref op;

	memset(&op, 0, sizeof(op));
	op.host_addr = host_addr;
	op.flags = flags;
	op.ref = ref;
	op.dom = dom;
	op.status = NOT_WRITTEN;
	op.handle = 0x1234;
	return op;
}

/* One map op at ARG; a failed map always hands back no handle. */
static int16_t map1(uint64_t host_addr, uint32_t flags, grant_ref_t ref, domid_t dom)
{
	struct gnttab_map_grant_ref op = map_op(host_addr, flags, ref, dom);

	put(ARG, &op, sizeof(op));
	assert_int_equal(gnttab(GNTTABOP_map_grant_ref, ARG, 1), 0);
	get(&op, ARG, sizeof(op));
	assert_int_not_equal(op.status, NOT_WRITTEN);
	assert_int_not_equal(op.status, GNTST_okay); /* no VM: nothing can be mapped */
	assert_int_equal(op.handle, NO_HANDLE);
	assert_int_equal(op.host_addr, host_addr);
	assert_int_equal(op.ref, ref);
	assert_quiescent();
	return op.status;
}

static int16_t unmap1(uint64_t host_addr, grant_handle_t handle)
{
	struct gnttab_unmap_grant_ref op;

	memset(&op, 0, sizeof(op));
	op.host_addr = host_addr;
	op.handle = handle;
	op.status = NOT_WRITTEN;
	put(ARG, &op, sizeof(op));
	assert_int_equal(gnttab(GNTTABOP_unmap_grant_ref, ARG, 1), 0);
	get(&op, ARG, sizeof(op));
	assert_quiescent();
	return op.status;
}

/* Mappings of guest RAM in this process: a map that fails must not leave one. */
static unsigned int ram_mappings(void)
{
	char line[512];
	unsigned int n = 0;
	FILE *f = fopen("/proc/self/maps", "r");

	assert_non_null(f);
	while (fgets(line, sizeof(line), f))
		n += strstr(line, "memfd:" MEMFD_NAME) != NULL;
	fclose(f);
	return n;
}

/* ---- setup_table and query_size ------------------------------------------ */

static void test_setup_table_sizes(void **state)
{
	xen_pfn_t fl[GNTTAB_MAX_FRAMES + 1];
	struct gnttab_query_size q;
	unsigned int n, i;

	(void)state;
	q = query_size(DOMID_SELF);
	assert_int_equal(q.status, GNTST_okay);
	assert_int_equal(q.nr_frames, 0);
	assert_int_equal(q.max_nr_frames, GNTTAB_MAX_FRAMES);
	/* No frames: a NULL list is never touched. */
	assert_int_equal(setup_table(DOMID_SELF, 0, 0), GNTST_okay);
	for (n = 0; n <= GNTTAB_MAX_FRAMES; n++) {
		memset(gp(BUF), 0xaa, sizeof(fl));
		assert_int_equal(setup_table(n % 2 ? DOMID_SELF : DOM_ID, n, BUF), GNTST_okay);
		get(fl, BUF, sizeof(fl));
		for (i = 0; i < n; i++)
			assert_int_equal(fl[i], (xen_pfn_t)~0ull); /* not in the physmap yet */
		for (i = n; i <= GNTTAB_MAX_FRAMES; i++)
			assert_int_equal(fl[i], 0xaaaaaaaaaaaaaaaaull); /* nothing past nr_frames */
		assert_int_equal(d->gnttab.nr_frames, n);
		q = query_size(n % 2 ? DOM_ID : DOMID_SELF);
		assert_int_equal(q.status, GNTST_okay);
		assert_int_equal(q.nr_frames, n);
		assert_int_equal(q.max_nr_frames, GNTTAB_MAX_FRAMES);
	}
	/* Placed frames report their gpfn; the others still ~0. */
	place(0, GT_GPFN);
	place(5, GT_GPFN + 5);
	place(GNTTAB_MAX_FRAMES - 1, RAM_PAGES - 1);
	memset(gp(BUF), 0xaa, sizeof(fl));
	assert_int_equal(setup_table(DOMID_SELF, GNTTAB_MAX_FRAMES, BUF), GNTST_okay);
	get(fl, BUF, sizeof(fl));
	for (i = 0; i < GNTTAB_MAX_FRAMES; i++) {
		xen_pfn_t want = i == 0 ? GT_GPFN : i == 5 ? GT_GPFN + 5 :
				 i == GNTTAB_MAX_FRAMES - 1 ? RAM_PAGES - 1 : (xen_pfn_t)~0ull;

		assert_int_equal(fl[i], want);
	}
	assert_int_equal(fl[GNTTAB_MAX_FRAMES], 0xaaaaaaaaaaaaaaaaull);
	/* A smaller request reports fewer frames but never shrinks the table. */
	memset(gp(BUF), 0xaa, sizeof(fl));
	assert_int_equal(setup_table(DOMID_SELF, 1, BUF), GNTST_okay);
	get(fl, BUF, sizeof(fl));
	assert_int_equal(fl[0], GT_GPFN);
	assert_int_equal(fl[1], 0xaaaaaaaaaaaaaaaaull);
	q = query_size(DOMID_SELF);
	assert_int_equal(q.nr_frames, GNTTAB_MAX_FRAMES);
	assert_quiescent();
}

static void test_setup_table_errors(void **state)
{
	static const uint32_t too_many[] = { GNTTAB_MAX_FRAMES + 1, 1000, 0x80000000u, UINT32_MAX };
	static const domid_t others[] = { 0, 1, OTHER_DOM, DOM_ID + 1, DOMID_FIRST_RESERVED - 1,
					  DOMID_IO, DOMID_XEN, DOMID_INVALID, 0xffff };
	static const uint64_t bad_lists[] = {
		RAM_SIZE, RAM_SIZE + 8, MMIO_HOLE, 1ull << 32, 0x0000800000000000ull,
		0xffff800000000000ull, UINT64_MAX, UINT64_MAX - 7, UINT64_MAX - 15,
	};
	struct gnttab_setup_table ops[3];
	xen_pfn_t f;
	unsigned int i;

	(void)state;
	for (i = 0; i < sizeof(too_many) / sizeof(too_many[0]); i++)
		assert_int_equal(setup_table(DOMID_SELF, too_many[i], BUF), GNTST_general_error);
	assert_int_equal(d->gnttab.nr_frames, 0);
	for (i = 0; i < sizeof(others) / sizeof(others[0]); i++) {
		assert_int_equal(setup_table(others[i], 1, BUF), GNTST_permission_denied);
		assert_int_equal(query_size(others[i]).status, GNTST_permission_denied);
	}
	assert_int_equal(d->gnttab.nr_frames, 0);
	for (i = 0; i < sizeof(bad_lists) / sizeof(bad_lists[0]); i++)
		assert_int_equal(setup_table(DOMID_SELF, 2, bad_lists[i]), GNTST_bad_virt_addr);
	/* A list that runs off the end of RAM: the part inside is written. */
	memset(gp(RAM_SIZE - 8), 0xaa, 8);
	assert_int_equal(setup_table(DOMID_SELF, 2, RAM_SIZE - 8), GNTST_bad_virt_addr);
	get(&f, RAM_SIZE - 8, sizeof(f));
	assert_int_equal(f, (xen_pfn_t)~0ull);
	assert_int_equal(setup_table(DOMID_SELF, 2, RAM_SIZE - 12), GNTST_bad_virt_addr);
	assert_int_equal(setup_table(DOMID_SELF, 1, RAM_SIZE - 8), GNTST_okay);
	/* The table grew regardless: setup_table sizes it before writing the list. */
	assert_int_equal(query_size(DOMID_SELF).nr_frames, 2);

	/* A batch: every op gets its own status. */
	memset(ops, 0, sizeof(ops));
	ops[0].dom = DOMID_SELF, ops[0].nr_frames = 3, ops[0].frame_list.p = (xen_pfn_t *)(uintptr_t)BUF;
	ops[1].dom = OTHER_DOM, ops[1].nr_frames = 3, ops[1].frame_list.p = (xen_pfn_t *)(uintptr_t)BUF;
	ops[2].dom = DOMID_SELF, ops[2].nr_frames = 99, ops[2].frame_list.p = (xen_pfn_t *)(uintptr_t)BUF;
	for (i = 0; i < 3; i++)
		ops[i].status = NOT_WRITTEN;
	put(ARG, ops, sizeof(ops));
	assert_int_equal(gnttab(GNTTABOP_setup_table, ARG, 3), 0);
	get(ops, ARG, sizeof(ops));
	assert_int_equal(ops[0].status, GNTST_okay);
	assert_int_equal(ops[1].status, GNTST_permission_denied);
	assert_int_equal(ops[2].status, GNTST_general_error);
	assert_int_equal(d->gnttab.nr_frames, 3);

	/* The op itself outside RAM, or running off its end. */
	assert_int_equal(gnttab(GNTTABOP_setup_table, RAM_SIZE, 1), -XEN_EFAULT);
	assert_int_equal(gnttab(GNTTABOP_setup_table, RAM_SIZE - sizeof(ops[0]) + 1, 1), -XEN_EFAULT);
	assert_int_equal(gnttab(GNTTABOP_setup_table, UINT64_MAX, 1), -XEN_EFAULT);
	assert_int_equal(gnttab(GNTTABOP_query_size, RAM_SIZE - 4, 1), -XEN_EFAULT);
	assert_quiescent();
}

/* ---- placing frames ------------------------------------------------------- */

static void test_place_frames(void **state)
{
	uint8_t frame0[PAGE];
	struct grant_entry_v1 e;
	unsigned int i;

	(void)state;
	/* The idx and gpfn are checked; v1 has no status frames. */
	assert_int_equal(physmap_gt(XENMAPIDX_grant_table_status, GT_GPFN), -XEN_EINVAL);
	assert_int_equal(physmap_gt(XENMAPIDX_grant_table_status | 1, GT_GPFN), -XEN_EINVAL);
	assert_int_equal(physmap_gt(GNTTAB_MAX_FRAMES, GT_GPFN), -XEN_EINVAL);
	assert_int_equal(physmap_gt(UINT64_MAX, GT_GPFN), -XEN_EINVAL);
	assert_int_equal(physmap_gt(0, RAM_PAGES), -XEN_EINVAL);
	assert_int_equal(physmap_gt(0, UINT64_MAX), -XEN_EINVAL);
	assert_int_equal(physmap_gt(0, UINT64_MAX / PAGE + 1), -XEN_EINVAL);
	assert_int_equal(d->gnttab.nr_frames, 0);

	/* Placing frame 0 grows the table; the page shows the frame's (empty) entries. */
	memset(gp(GT_GPFN * PAGE), 0x5a, PAGE);
	place(0, GT_GPFN);
	assert_int_equal(d->gnttab.nr_frames, 1);
	assert_true(memcmp(gp(GT_GPFN * PAGE), (uint8_t[PAGE]){ 0 }, PAGE) == 0);
	/* Placing again where it already is changes nothing. */
	place(0, GT_GPFN);

	/* What the guest writes into that page is what bulkhead acts on. */
	fill(SRC_PFN, 0x11);
	fill(DST_PFN, 0x22);
	grant(3, GTF_permit_access, DOM_ID, SRC_PFN);
	grant(EPF - 1, GTF_permit_access | GTF_readonly, DOM_ID, SRC_PFN);
	assert_int_equal(copy1(copy_op(gref(3, DOMID_SELF, 100), gmfn(DST_PFN, DOMID_SELF, 200), 50,
				       GNTCOPY_source_gref)),
			 GNTST_okay);
	assert_memory_equal(gp(DST_PFN * PAGE + 200), gp(SRC_PFN * PAGE + 100), 50);
	assert_int_equal(copy1(copy_op(gref(EPF - 1, DOMID_SELF, 0), gmfn(DST_PFN, DOMID_SELF, 0), 8,
				       GNTCOPY_source_gref)),
			 GNTST_okay);
	/* Entry 4 was never written: zero, no access. */
	assert_int_equal(copy1(copy_op(gref(4, DOMID_SELF, 0), gmfn(DST_PFN, DOMID_SELF, 0), 8,
				       GNTCOPY_source_gref)),
			 GNTST_permission_denied);
	e = entry(3);
	assert_int_equal(e.flags, GTF_permit_access);
	assert_int_equal(e.domid, DOM_ID);
	assert_int_equal(e.frame, SRC_PFN);

	/* Move the frame: its entries move with it. */
	memcpy(frame0, gp(GT_GPFN * PAGE), PAGE);
	memset(gp(GT_GPFN2 * PAGE), 0x77, PAGE);
	place(0, GT_GPFN2);
	assert_int_equal(d->gnttab.nr_frames, 1);
	assert_true(page_is(GT_GPFN2, frame0));
	assert_int_equal(setup_table(DOMID_SELF, 1, BUF), GNTST_okay);
	assert_int_equal(*(xen_pfn_t *)gp(BUF), GT_GPFN2);
	fill(DST_PFN, 0x22);
	assert_int_equal(copy1(copy_op(gref(3, DOMID_SELF, 100), gmfn(DST_PFN, DOMID_SELF, 200), 50,
				       GNTCOPY_source_gref)),
			 GNTST_okay);
	assert_memory_equal(gp(DST_PFN * PAGE + 200), gp(SRC_PFN * PAGE + 100), 50);
	/* The old page is ordinary memory again: entries written there count for nothing. */
	e = (struct grant_entry_v1){ .flags = GTF_permit_access, .domid = DOM_ID, .frame = SRC_PFN };
	put(GT_GPFN * PAGE + 4 * sizeof(e), &e, sizeof(e));
	assert_int_equal(copy1(copy_op(gref(4, DOMID_SELF, 0), gmfn(DST_PFN, DOMID_SELF, 0), 8,
				       GNTCOPY_source_gref)),
			 GNTST_permission_denied);
	/* Withdrawing access in the new page is seen at once. */
	grant(3, GTF_invalid, DOM_ID, SRC_PFN);
	assert_int_equal(copy1(copy_op(gref(3, DOMID_SELF, 0), gmfn(DST_PFN, DOMID_SELF, 0), 8,
				       GNTCOPY_source_gref)),
			 GNTST_permission_denied);

	/* A higher idx grows the table to idx + 1; the frames in between stay private. */
	place(3, GT_GPFN + 3);
	assert_int_equal(d->gnttab.nr_frames, 4);
	assert_int_equal(query_size(DOMID_SELF).nr_frames, 4);
	for (i = 1; i < 3; i++)
		assert_int_equal(d->gnttab.frame_gpfn[i], ~0ull);
	/* The last page of RAM is a valid place. */
	place(1, RAM_PAGES - 1);
	grant(EPF + 7, GTF_permit_access, DOM_ID, SRC_PFN);
	assert_int_equal(copy1(copy_op(gref(EPF + 7, DOM_ID, 0), gmfn(DST_PFN, DOM_ID, 0), PAGE,
				       GNTCOPY_source_gref)),
			 GNTST_okay);
	assert_true(page_is(DST_PFN, gp(SRC_PFN * PAGE)));
	/* Refs in a private frame: all-zero entries, no access. */
	assert_int_equal(copy1(copy_op(gref(2 * EPF, DOM_ID, 0), gmfn(DST_PFN, DOM_ID, 0), 8,
				       GNTCOPY_source_gref)),
			 GNTST_permission_denied);
	assert_quiescent();
}

/* ---- copy ---------------------------------------------------------------- */

/*
 * Placing a second frame on the gpfn of the first takes the first out of
 * the physmap, as in Xen: its entries stay intact in a private page, and
 * refs r and r + 512 stay two entries.
 */
static void test_place_frame_over_frame(void **state)
{
	(void)state;
	assert_int_equal(setup_table(DOMID_SELF, 2, BUF), GNTST_okay);
	place(0, 0x40);
	grant(0, GTF_permit_access, DOM_ID, 0x100);
	place(1, 0x40);
	assert_int_equal(d->gnttab.frame_gpfn[0], ~0ull);
	assert_ptr_not_equal((void *)d->gnttab.frame[0], (void *)d->gnttab.frame[1]);
	assert_int_equal(d->gnttab.frame[0][0].flags, GTF_permit_access);
	assert_int_equal(d->gnttab.frame[0][0].frame, 0x100);
	assert_int_equal(d->gnttab.frame[1][0].flags, 0);
	/* Frame 0 goes back into the physmap elsewhere, entries and all. */
	place(0, 0x41);
	assert_int_equal(entry(0).flags, GTF_permit_access);
	assert_int_equal(entry(0).frame, 0x100);
	assert_quiescent();
}

static void test_copy_batch(void **state)
{
	uint8_t src[PAGE], dst[PAGE], dst2[PAGE], ro[PAGE];
	struct gnttab_copy ops[5];
	unsigned int i;

	(void)state;
	one_frame();
	grant(1, GTF_permit_access, DOM_ID, SRC_PFN);
	grant(2, GTF_permit_access, DOM_ID, DST_PFN);
	grant(3, GTF_permit_access | GTF_readonly, DOM_ID, RO_PFN);
	grant(4, GTF_permit_access, DOM_ID, DST2_PFN);
	memcpy(src, gp(SRC_PFN * PAGE), PAGE);
	memcpy(dst, gp(DST_PFN * PAGE), PAGE);
	memcpy(dst2, gp(DST2_PFN * PAGE), PAGE);
	memcpy(ro, gp(RO_PFN * PAGE), PAGE);

	/* gref -> local, local -> gref, gref -> gref, a read-only source, local -> local. */
	ops[0] = copy_op(gref(1, DOMID_SELF, 10), gmfn(DST_PFN, DOMID_SELF, 1000), 300, GNTCOPY_source_gref);
	ops[1] = copy_op(gmfn(SRC_PFN, DOM_ID, 4000), gref(2, DOM_ID, 0), 96, GNTCOPY_dest_gref);
	ops[2] = copy_op(gref(1, DOMID_SELF, 0), gref(4, DOMID_SELF, 2048), 2048,
			 GNTCOPY_source_gref | GNTCOPY_dest_gref);
	ops[3] = copy_op(gref(3, DOMID_SELF, 4095), gref(4, DOMID_SELF, 0), 1,
			 GNTCOPY_source_gref | GNTCOPY_dest_gref);
	ops[4] = copy_op(gmfn(RO_PFN, DOMID_SELF, 0), gmfn(DST_PFN, DOM_ID, 3000), 1096, 0);
	put(ARG, ops, sizeof(ops));
	assert_int_equal(gnttab(GNTTABOP_copy, ARG, 5), 0);
	get(ops, ARG, sizeof(ops));
	for (i = 0; i < 5; i++)
		assert_int_equal(ops[i].status, GNTST_okay);
	memcpy(dst + 1000, src + 10, 300);
	memcpy(dst, src + 4000, 96);
	memcpy(dst2 + 2048, src, 2048);
	memcpy(dst2, ro + 4095, 1);
	memcpy(dst + 3000, ro, 1096);
	assert_true(page_is(DST_PFN, dst));
	assert_true(page_is(DST2_PFN, dst2));
	assert_true(page_is(SRC_PFN, src));
	assert_true(page_is(RO_PFN, ro));
	/* The guest's entries are as it wrote them. */
	assert_int_equal(entry(1).flags, GTF_permit_access);
	assert_int_equal(entry(3).flags, GTF_permit_access | GTF_readonly);
	assert_int_equal(entry(3).domid, DOM_ID);
	assert_int_equal(entry(3).frame, RO_PFN);
	assert_quiescent();

	/* Zero bytes, a whole page, and a copy within one grant (memmove semantics). */
	assert_int_equal(copy1(copy_op(gref(1, DOMID_SELF, 4096), gref(2, DOMID_SELF, 4096), 0,
				       GNTCOPY_source_gref | GNTCOPY_dest_gref)),
			 GNTST_okay);
	assert_int_equal(copy1(copy_op(gref(1, DOMID_SELF, 0), gref(2, DOMID_SELF, 0), PAGE,
				       GNTCOPY_source_gref | GNTCOPY_dest_gref)),
			 GNTST_okay);
	assert_true(page_is(DST_PFN, src));
	assert_int_equal(copy1(copy_op(gref(1, DOMID_SELF, 0), gref(1, DOMID_SELF, 100), 1000,
				       GNTCOPY_source_gref | GNTCOPY_dest_gref)),
			 GNTST_okay);
	memmove(src + 100, src, 1000);
	assert_true(page_is(SRC_PFN, src));
	assert_int_equal(copy1(copy_op(gmfn(SRC_PFN, DOMID_SELF, 50), gref(1, DOMID_SELF, 0), 1000,
				       GNTCOPY_dest_gref)),
			 GNTST_okay);
	memmove(src, src + 50, 1000);
	assert_true(page_is(SRC_PFN, src));
}

static void test_copy_bad_args(void **state)
{
	static const struct {
		uint16_t soff, doff, len;
	} bad[] = {
		{ 4000, 0, 97 }, { 0, 4000, 97 }, { 4096, 0, 1 }, { 0, 4096, 1 }, { 1, 0, 4096 },
		{ 0, 1, 4096 }, { 0, 0, 4097 }, { 0xffff, 0, 1 }, { 0, 0xffff, 0 }, { 0, 0, 0xffff },
		{ 0xffff, 0xffff, 0xffff }, { 0x8000, 0x8000, 0x8000 },
	};
	uint8_t dst[PAGE];
	unsigned int i, kind;

	(void)state;
	one_frame();
	grant(1, GTF_permit_access, DOM_ID, SRC_PFN);
	grant(2, GTF_permit_access, DOM_ID, DST_PFN);
	memcpy(dst, gp(DST_PFN * PAGE), PAGE);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		for (kind = 0; kind < 4; kind++) {
			struct gnttab_copy_ptr s = kind & 1 ? gref(1, DOMID_SELF, bad[i].soff) :
							      gmfn(SRC_PFN, DOMID_SELF, bad[i].soff);
			struct gnttab_copy_ptr t = kind & 2 ? gref(2, DOMID_SELF, bad[i].doff) :
							      gmfn(DST_PFN, DOMID_SELF, bad[i].doff);

			assert_int_equal(copy1(copy_op(s, t, bad[i].len,
						       (kind & 1 ? GNTCOPY_source_gref : 0) |
						       (kind & 2 ? GNTCOPY_dest_gref : 0))),
					 GNTST_bad_copy_arg);
			assert_true(page_is(DST_PFN, dst));
		}
	/* Right at the end of the page is fine. */
	assert_int_equal(copy1(copy_op(gref(1, DOMID_SELF, 4095), gref(2, DOMID_SELF, 4095), 1,
				       GNTCOPY_source_gref | GNTCOPY_dest_gref)),
			 GNTST_okay);
	assert_int_equal(copy1(copy_op(gref(1, DOMID_SELF, 96), gmfn(DST_PFN, DOMID_SELF, 0), 4000,
				       GNTCOPY_source_gref)),
			 GNTST_okay);
}

static void test_copy_bad_refs_and_entries(void **state)
{
	static const grant_ref_t bad_refs[] = { EPF, EPF + 1, 2 * EPF, GNTTAB_MAX_FRAMES * EPF,
						0x7fffffff, 0x80000000u, UINT32_MAX };
	static const uint16_t no_access[] = {
		GTF_invalid, GTF_accept_transfer, GTF_transitive, GTF_readonly,
		GTF_accept_transfer | GTF_readonly, GTF_transitive | GTF_PCD,
		(uint16_t)(0xfffc & ~GTF_BUSY), (uint16_t)(0xfffe & ~GTF_BUSY), (uint16_t)(0xffff & ~GTF_BUSY),
	};
	static const domid_t wrong_dom[] = { 0, 1, OTHER_DOM, DOM_ID + 1, DOMID_SELF, DOMID_INVALID, 0xffff };
	static const uint32_t bad_frames[] = { RAM_PAGES, RAM_PAGES + 1, 0x100000, 0x80000000u, UINT32_MAX };
	uint8_t src[PAGE], dst[PAGE];
	unsigned int i;

	(void)state;
	one_frame();
	memcpy(src, gp(SRC_PFN * PAGE), PAGE);
	memcpy(dst, gp(DST_PFN * PAGE), PAGE);
	grant(1, GTF_permit_access, DOM_ID, SRC_PFN);
	grant(2, GTF_permit_access, DOM_ID, DST_PFN);

	/* A ref beyond the table, on either side. */
	for (i = 0; i < sizeof(bad_refs) / sizeof(bad_refs[0]); i++) {
		assert_int_equal(copy1(copy_op(gref(bad_refs[i], DOMID_SELF, 0), gmfn(DST_PFN, DOMID_SELF, 0), 8,
					       GNTCOPY_source_gref)),
				 GNTST_bad_gntref);
		assert_int_equal(copy1(copy_op(gmfn(SRC_PFN, DOMID_SELF, 0), gref(bad_refs[i], DOMID_SELF, 0), 8,
					       GNTCOPY_dest_gref)),
				 GNTST_bad_gntref);
		assert_int_equal(copy1(copy_op(gref(1, DOMID_SELF, 0), gref(bad_refs[i], DOMID_SELF, 0), 8,
					       GNTCOPY_source_gref | GNTCOPY_dest_gref)),
				 GNTST_bad_gntref);
	}
	assert_true(page_is(DST_PFN, dst));

	/* An entry that does not permit access, or permits it to someone else. */
	for (i = 0; i < sizeof(no_access) / sizeof(no_access[0]); i++) {
		grant(5, no_access[i], DOM_ID, SRC_PFN);
		assert_int_equal(copy1(copy_op(gref(5, DOMID_SELF, 0), gmfn(DST_PFN, DOMID_SELF, 0), 8,
					       GNTCOPY_source_gref)),
				 GNTST_permission_denied);
		assert_int_equal(copy1(copy_op(gmfn(SRC_PFN, DOMID_SELF, 0), gref(5, DOMID_SELF, 0), 8,
					       GNTCOPY_dest_gref)),
				 GNTST_permission_denied);
		/* A denied entry is left exactly as the guest wrote it. */
		assert_int_equal(entry(5).flags, no_access[i]);
	}
	assert_true(page_is(DST_PFN, dst));
	for (i = 0; i < sizeof(wrong_dom) / sizeof(wrong_dom[0]); i++) {
		grant(5, GTF_permit_access, wrong_dom[i], DST_PFN);
		assert_int_equal(copy1(copy_op(gref(5, DOMID_SELF, 0), gmfn(SRC_PFN, DOMID_SELF, 0), 8,
					       GNTCOPY_source_gref)),
				 GNTST_permission_denied);
		assert_int_equal(copy1(copy_op(gmfn(SRC_PFN, DOMID_SELF, 0), gref(5, DOMID_SELF, 0), 8,
					       GNTCOPY_dest_gref)),
				 GNTST_permission_denied);
		assert_int_equal(entry(5).domid, wrong_dom[i]);
		assert_int_equal(entry(5).flags, GTF_permit_access);
	}
	assert_true(page_is(DST_PFN, dst));
	assert_true(page_is(SRC_PFN, src));

	/* Writing through a read-only grant: refused, not a byte written. */
	grant(6, GTF_permit_access | GTF_readonly, DOM_ID, DST_PFN);
	assert_int_equal(copy1(copy_op(gmfn(SRC_PFN, DOMID_SELF, 0), gref(6, DOMID_SELF, 0), PAGE,
				       GNTCOPY_dest_gref)),
			 GNTST_permission_denied);
	assert_int_equal(copy1(copy_op(gref(1, DOMID_SELF, 0), gref(6, DOMID_SELF, 0), PAGE,
				       GNTCOPY_source_gref | GNTCOPY_dest_gref)),
			 GNTST_permission_denied);
	assert_int_equal(copy1(copy_op(gref(6, DOMID_SELF, 0), gref(6, DOMID_SELF, 1), 10,
				       GNTCOPY_source_gref | GNTCOPY_dest_gref)),
			 GNTST_permission_denied);
	assert_true(page_is(DST_PFN, dst));
	assert_int_equal(entry(6).flags, GTF_permit_access | GTF_readonly);
	/* Reading through it is fine. */
	assert_int_equal(copy1(copy_op(gref(6, DOMID_SELF, 0), gmfn(DST2_PFN, DOMID_SELF, 0), PAGE,
				       GNTCOPY_source_gref)),
			 GNTST_okay);
	assert_true(page_is(DST2_PFN, dst));

	/* A frame beyond the granter's RAM, either side. */
	for (i = 0; i < sizeof(bad_frames) / sizeof(bad_frames[0]); i++) {
		grant(7, GTF_permit_access, DOM_ID, bad_frames[i]);
		grant(8, GTF_permit_access | GTF_readonly, DOM_ID, bad_frames[i]);
		assert_int_equal(copy1(copy_op(gref(7, DOMID_SELF, 0), gmfn(DST_PFN, DOMID_SELF, 0), 8,
					       GNTCOPY_source_gref)),
				 GNTST_bad_page);
		assert_int_equal(copy1(copy_op(gref(8, DOMID_SELF, 0), gmfn(DST_PFN, DOMID_SELF, 0), 8,
					       GNTCOPY_source_gref)),
				 GNTST_bad_page);
		assert_int_equal(copy1(copy_op(gmfn(SRC_PFN, DOMID_SELF, 0), gref(7, DOMID_SELF, 0), 8,
					       GNTCOPY_dest_gref)),
				 GNTST_bad_page);
		assert_int_equal(copy1(copy_op(gref(1, DOMID_SELF, 0), gref(7, DOMID_SELF, 0), 8,
					       GNTCOPY_source_gref | GNTCOPY_dest_gref)),
				 GNTST_bad_page);
		assert_int_equal(entry(7).flags, GTF_permit_access);
		assert_int_equal(entry(8).flags, GTF_permit_access | GTF_readonly);
	}
	assert_true(page_is(DST_PFN, dst));
	/* The last frame of RAM is fine. */
	grant(7, GTF_permit_access, DOM_ID, RAM_PAGES - 1);
	assert_int_equal(copy1(copy_op(gmfn(SRC_PFN, DOMID_SELF, 0), gref(7, DOMID_SELF, 0), PAGE,
				       GNTCOPY_dest_gref)),
			 GNTST_okay);
	assert_true(page_is(RAM_PAGES - 1, src));

	/* A guest that sets GTF_reading/GTF_writing itself: they are clear after a copy. */
	grant(9, GTF_permit_access | GTF_BUSY, DOM_ID, DST2_PFN);
	assert_int_equal(copy1(copy_op(gmfn(SRC_PFN, DOMID_SELF, 0), gref(9, DOMID_SELF, 0), 16,
				       GNTCOPY_dest_gref)),
			 GNTST_okay);
	assert_int_equal(entry(9).flags, GTF_permit_access);
}

static void test_copy_local_and_domain_errors(void **state)
{
	static const xen_pfn_t bad_gmfns[] = { RAM_PAGES, RAM_PAGES + 1, 1ull << 32,
					       UINT64_MAX / PAGE, UINT64_MAX / PAGE + 1,
					       (UINT64_MAX >> 1) + 1, UINT64_MAX };
	static const domid_t others[] = { 0, 1, OTHER_DOM, DOM_ID + 1, DOMID_FIRST_RESERVED - 1,
					  DOMID_IO, DOMID_XEN, DOMID_COW, DOMID_INVALID, DOMID_IDLE,
					  0xffff };
	uint8_t dst[PAGE];
	unsigned int i;

	(void)state;
	one_frame();
	grant(1, GTF_permit_access, DOM_ID, SRC_PFN);
	grant(2, GTF_permit_access, DOM_ID, DST_PFN);
	memcpy(dst, gp(DST_PFN * PAGE), PAGE);

	/* A local frame outside RAM. */
	for (i = 0; i < sizeof(bad_gmfns) / sizeof(bad_gmfns[0]); i++) {
		assert_int_equal(copy1(copy_op(gmfn(bad_gmfns[i], DOMID_SELF, 0), gmfn(DST_PFN, DOMID_SELF, 0), 8, 0)),
				 GNTST_bad_page);
		assert_int_equal(copy1(copy_op(gmfn(SRC_PFN, DOMID_SELF, 0), gmfn(bad_gmfns[i], DOMID_SELF, 0), 8, 0)),
				 GNTST_bad_page);
		assert_int_equal(copy1(copy_op(gref(1, DOMID_SELF, 0), gmfn(bad_gmfns[i], DOM_ID, 0), 8,
					       GNTCOPY_source_gref)),
				 GNTST_bad_page);
		assert_int_equal(copy1(copy_op(gmfn(bad_gmfns[i], DOM_ID, 0), gref(2, DOMID_SELF, 0), 8,
					       GNTCOPY_dest_gref)),
				 GNTST_bad_page);
	}
	assert_true(page_is(DST_PFN, dst));
	/* The last frame of RAM is fine. */
	assert_int_equal(copy1(copy_op(gmfn(RAM_PAGES - 1, DOMID_SELF, 0), gmfn(DST_PFN, DOMID_SELF, 0), 8, 0)),
			 GNTST_okay);
	memcpy(dst, gp(DST_PFN * PAGE), PAGE);

	for (i = 0; i < sizeof(others) / sizeof(others[0]); i++) {
		/* A local frame of another domain. */
		assert_int_equal(copy1(copy_op(gmfn(SRC_PFN, others[i], 0), gmfn(DST_PFN, DOMID_SELF, 0), 8, 0)),
				 GNTST_permission_denied);
		assert_int_equal(copy1(copy_op(gmfn(SRC_PFN, DOMID_SELF, 0), gmfn(DST_PFN, others[i], 0), 8, 0)),
				 GNTST_permission_denied);
		assert_int_equal(copy1(copy_op(gref(1, DOMID_SELF, 0), gmfn(DST_PFN, others[i], 0), 8,
					       GNTCOPY_source_gref)),
				 GNTST_permission_denied);
		/* A grant of a domain that does not exist. */
		assert_int_equal(copy1(copy_op(gref(1, others[i], 0), gmfn(DST_PFN, DOMID_SELF, 0), 8,
					       GNTCOPY_source_gref)),
				 GNTST_bad_domain);
		assert_int_equal(copy1(copy_op(gmfn(SRC_PFN, DOMID_SELF, 0), gref(2, others[i], 0), 8,
					       GNTCOPY_dest_gref)),
				 GNTST_bad_domain);
		assert_int_equal(copy1(copy_op(gref(1, DOMID_SELF, 0), gref(2, others[i], 0), 8,
					       GNTCOPY_source_gref | GNTCOPY_dest_gref)),
				 GNTST_bad_domain);
	}
	assert_true(page_is(DST_PFN, dst));
}

static void test_copy_batch_limits(void **state)
{
	static struct gnttab_copy ops[513];
	uint8_t src[PAGE], dst[PAGE];
	unsigned int i;

	(void)state;
	one_frame();
	grant(1, GTF_permit_access, DOM_ID, SRC_PFN);
	grant(2, GTF_permit_access, DOM_ID, DST_PFN);
	memcpy(src, gp(SRC_PFN * PAGE), PAGE);
	memcpy(dst, gp(DST_PFN * PAGE), PAGE);

	/* 512 ops, every one a byte: alternately gref->gref and local->local. */
	for (i = 0; i < 513; i++)
		ops[i] = copy_op(i % 2 ? gref(1, DOMID_SELF, i % 4096) : gmfn(SRC_PFN, DOMID_SELF, i % 4096),
				 i % 2 ? gref(2, DOMID_SELF, 4095 - i % 4096) : gmfn(DST_PFN, DOMID_SELF, 4095 - i % 4096),
				 1, i % 2 ? GNTCOPY_source_gref | GNTCOPY_dest_gref : 0);
	put(ARG, ops, sizeof(ops));
	/* Too many: refused before any op runs. */
	assert_int_equal(gnttab(GNTTABOP_copy, ARG, 513), -XEN_EINVAL);
	assert_int_equal(gnttab(GNTTABOP_copy, ARG, UINT32_MAX), -XEN_EINVAL);
	assert_int_equal(gnttab(GNTTABOP_copy, ARG, 0x80000000u), -XEN_EINVAL);
	assert_int_equal(gnttab(GNTTABOP_copy, RAM_SIZE, 513), -XEN_EINVAL);
	assert_true(page_is(DST_PFN, dst));
	get(ops, ARG, sizeof(ops));
	for (i = 0; i < 513; i++)
		assert_int_equal(ops[i].status, NOT_WRITTEN);
	/* 512: all done. */
	assert_int_equal(gnttab(GNTTABOP_copy, ARG, 512), 0);
	get(ops, ARG, sizeof(ops));
	for (i = 0; i < 512; i++) {
		assert_int_equal(ops[i].status, GNTST_okay);
		dst[4095 - i] = src[i];
	}
	assert_int_equal(ops[512].status, NOT_WRITTEN);
	assert_true(page_is(DST_PFN, dst));
	assert_quiescent();

	/* None: nothing happens, wherever the array is. */
	assert_int_equal(gnttab(GNTTABOP_copy, ARG, 0), 0);
	assert_int_equal(gnttab(GNTTABOP_copy, RAM_SIZE, 0), 0);
	assert_int_equal(gnttab(GNTTABOP_copy, UINT64_MAX, 0), 0);
	assert_int_equal(gnttab(GNTTABOP_copy, 0, 0), 0);

	/* The array outside RAM. */
	assert_int_equal(gnttab(GNTTABOP_copy, RAM_SIZE, 1), -XEN_EFAULT);
	assert_int_equal(gnttab(GNTTABOP_copy, RAM_SIZE + PAGE, 512), -XEN_EFAULT);
	assert_int_equal(gnttab(GNTTABOP_copy, MMIO_HOLE, 1), -XEN_EFAULT);
	assert_int_equal(gnttab(GNTTABOP_copy, 0xffff800000000000ull, 1), -XEN_EFAULT);
	assert_int_equal(gnttab(GNTTABOP_copy, UINT64_MAX, 1), -XEN_EFAULT);
	assert_int_equal(gnttab(GNTTABOP_copy, UINT64_MAX - sizeof(ops[0]) + 1, 2), -XEN_EFAULT);
	assert_int_equal(gnttab(GNTTABOP_copy, RAM_SIZE - sizeof(ops[0]) + 1, 1), -XEN_EFAULT);
	assert_int_equal(gnttab(GNTTABOP_copy, RAM_SIZE - 1, 1), -XEN_EFAULT);
	/* An array that runs off the end: the ops inside RAM run, then -EFAULT. */
	fill(DST_PFN, 0x22);
	memcpy(dst, gp(DST_PFN * PAGE), PAGE);
	ops[0] = copy_op(gref(1, DOMID_SELF, 0), gmfn(DST_PFN, DOMID_SELF, 0), 64, GNTCOPY_source_gref);
	ops[1] = copy_op(gmfn(SRC_PFN, DOMID_SELF, 64), gref(2, DOMID_SELF, 64), 64, GNTCOPY_dest_gref);
	put(RAM_SIZE - 2 * sizeof(ops[0]), ops, 2 * sizeof(ops[0]));
	assert_int_equal(gnttab(GNTTABOP_copy, RAM_SIZE - 2 * sizeof(ops[0]), 3), -XEN_EFAULT);
	get(ops, RAM_SIZE - 2 * sizeof(ops[0]), 2 * sizeof(ops[0]));
	assert_int_equal(ops[0].status, GNTST_okay);
	assert_int_equal(ops[1].status, GNTST_okay);
	memcpy(dst, src, 128);
	assert_true(page_is(DST_PFN, dst));
	assert_quiescent();
}

static void test_copy_mixed_batch(void **state)
{
	struct gnttab_copy ops[10];
	static const int16_t want[10] = {
		GNTST_okay, GNTST_bad_copy_arg, GNTST_okay, GNTST_bad_gntref, GNTST_permission_denied,
		GNTST_okay, GNTST_bad_page, GNTST_bad_domain, GNTST_permission_denied, GNTST_okay,
	};
	uint8_t src[PAGE], dst[PAGE];
	unsigned int i;

	(void)state;
	one_frame();
	grant(1, GTF_permit_access, DOM_ID, SRC_PFN);
	grant(2, GTF_permit_access, DOM_ID, DST_PFN);
	grant(3, GTF_permit_access | GTF_readonly, DOM_ID, DST_PFN);
	grant(4, GTF_permit_access, DOM_ID, RAM_PAGES);
	memcpy(src, gp(SRC_PFN * PAGE), PAGE);
	memcpy(dst, gp(DST_PFN * PAGE), PAGE);
	ops[0] = copy_op(gref(1, DOMID_SELF, 0), gref(2, DOMID_SELF, 0), 10, GNTCOPY_source_gref | GNTCOPY_dest_gref);
	ops[1] = copy_op(gref(1, DOMID_SELF, 4090), gref(2, DOMID_SELF, 20), 10, GNTCOPY_source_gref | GNTCOPY_dest_gref);
	ops[2] = copy_op(gref(1, DOMID_SELF, 40), gref(2, DOMID_SELF, 40), 10, GNTCOPY_source_gref | GNTCOPY_dest_gref);
	ops[3] = copy_op(gref(EPF, DOMID_SELF, 60), gref(2, DOMID_SELF, 60), 10, GNTCOPY_source_gref | GNTCOPY_dest_gref);
	ops[4] = copy_op(gref(1, DOMID_SELF, 80), gref(3, DOMID_SELF, 80), 10, GNTCOPY_source_gref | GNTCOPY_dest_gref);
	ops[5] = copy_op(gmfn(SRC_PFN, DOMID_SELF, 100), gref(2, DOMID_SELF, 100), 10, GNTCOPY_dest_gref);
	ops[6] = copy_op(gref(4, DOMID_SELF, 120), gref(2, DOMID_SELF, 120), 10, GNTCOPY_source_gref | GNTCOPY_dest_gref);
	ops[7] = copy_op(gref(1, OTHER_DOM, 140), gref(2, DOMID_SELF, 140), 10, GNTCOPY_source_gref | GNTCOPY_dest_gref);
	ops[8] = copy_op(gmfn(SRC_PFN, OTHER_DOM, 160), gref(2, DOMID_SELF, 160), 10, GNTCOPY_dest_gref);
	ops[9] = copy_op(gref(3, DOMID_SELF, 0), gmfn(DST2_PFN, DOMID_SELF, 0), 200, GNTCOPY_source_gref);
	put(ARG, ops, sizeof(ops));
	assert_int_equal(gnttab(GNTTABOP_copy, ARG, 10), 0);
	get(ops, ARG, sizeof(ops));
	for (i = 0; i < 10; i++) {
		if (ops[i].status != want[i])
			print_error("op %u: status %d, want %d\n", i, ops[i].status, want[i]);
		assert_int_equal(ops[i].status, want[i]);
	}
	memcpy(dst, src, 10);
	memcpy(dst + 40, src + 40, 10);
	memcpy(dst + 100, src + 100, 10);
	assert_true(page_is(DST_PFN, dst));
	assert_memory_equal(gp(DST2_PFN * PAGE), dst, 200);
	assert_quiescent();
}

/* ---- map and unmap ------------------------------------------------------- */

static void test_map_bad_flags(void **state)
{
	static const uint32_t bad[] = {
		0, GNTMAP_readonly, GNTMAP_device_map, GNTMAP_device_map | GNTMAP_host_map,
		GNTMAP_device_map | GNTMAP_host_map | GNTMAP_readonly, GNTMAP_contains_pte,
		GNTMAP_contains_pte | GNTMAP_host_map, GNTMAP_application_map, UINT32_MAX,
		UINT32_MAX & ~GNTMAP_host_map,
	};
	unsigned int i;

	(void)state;
	one_frame();
	grant(1, GTF_permit_access, DOM_ID, SRC_PFN);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(map1(RAM_SIZE, bad[i], 1, DOMID_SELF), GNTST_general_error);
		assert_int_equal(entry(1).flags, GTF_permit_access);
	}
}

static void test_map_bad_addresses(void **state)
{
	static const uint64_t bad[] = {
		0, PAGE, GT_GPFN * PAGE, RAM_SIZE - PAGE, RAM_SIZE - 1, RAM_SIZE + 1,
		RAM_SIZE + PAGE / 2, RAM_SIZE + PAGE - 1, MMIO_HOLE - 1, MMIO_HOLE, MMIO_HOLE + PAGE,
		0xfee00000ull, 1ull << 32, 0x0000800000000000ull, 0xffff800000000000ull,
		UINT64_MAX & ~(PAGE - 1), UINT64_MAX,
	};
	unsigned int i;

	(void)state;
	one_frame();
	grant(1, GTF_permit_access, DOM_ID, SRC_PFN);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(map1(bad[i], GNTMAP_host_map, 1, DOMID_SELF), GNTST_bad_virt_addr);
		assert_int_equal(map1(bad[i], GNTMAP_host_map | GNTMAP_readonly, 1, DOM_ID),
				 GNTST_bad_virt_addr);
		assert_int_equal(entry(1).flags, GTF_permit_access);
	}
}

static void test_map_bad_grants(void **state)
{
	static const grant_ref_t bad_refs[] = { EPF, 2 * EPF, 0x80000000u, UINT32_MAX };
	static const domid_t others[] = { OTHER_DOM, DOM_ID + 1, DOMID_IO, DOMID_INVALID, 0xffff };
	unsigned int i;

	(void)state;
	/* No table at all yet. */
	assert_int_equal(map1(RAM_SIZE, GNTMAP_host_map, 0, DOMID_SELF), GNTST_bad_gntref);
	one_frame();
	grant(1, GTF_permit_access, DOM_ID, SRC_PFN);
	grant(2, GTF_permit_access | GTF_readonly, DOM_ID, SRC_PFN);
	grant(3, GTF_permit_access, DOM_ID + 1, SRC_PFN);
	grant(4, GTF_accept_transfer, DOM_ID, SRC_PFN);
	grant(5, GTF_permit_access, DOM_ID, RAM_PAGES);
	grant(6, GTF_permit_access | GTF_readonly, DOM_ID, UINT32_MAX);
	for (i = 0; i < sizeof(bad_refs) / sizeof(bad_refs[0]); i++)
		assert_int_equal(map1(RAM_SIZE, GNTMAP_host_map, bad_refs[i], DOMID_SELF), GNTST_bad_gntref);
	/* Write map of a read-only grant. */
	assert_int_equal(map1(RAM_SIZE, GNTMAP_host_map, 2, DOMID_SELF), GNTST_permission_denied);
	assert_int_equal(entry(2).flags, GTF_permit_access | GTF_readonly);
	/* Granted to someone else, or not a grant of access. */
	assert_int_equal(map1(RAM_SIZE, GNTMAP_host_map | GNTMAP_readonly, 3, DOMID_SELF),
			 GNTST_permission_denied);
	assert_int_equal(map1(RAM_SIZE, GNTMAP_host_map | GNTMAP_readonly, 4, DOMID_SELF),
			 GNTST_permission_denied);
	assert_int_equal(map1(RAM_SIZE, GNTMAP_host_map, 0, DOMID_SELF), GNTST_permission_denied);
	/* A frame beyond RAM. */
	assert_int_equal(map1(RAM_SIZE, GNTMAP_host_map, 5, DOMID_SELF), GNTST_bad_page);
	assert_int_equal(map1(RAM_SIZE, GNTMAP_host_map | GNTMAP_readonly, 6, DOMID_SELF), GNTST_bad_page);
	assert_int_equal(entry(5).flags, GTF_permit_access);
	assert_int_equal(entry(6).flags, GTF_permit_access | GTF_readonly);
	/* A granter that does not exist. */
	for (i = 0; i < sizeof(others) / sizeof(others[0]); i++)
		assert_int_equal(map1(RAM_SIZE, GNTMAP_host_map, 1, others[i]), GNTST_bad_domain);
	/* dom0's grants are the services' (service_grant.c): none names this domain. */
	assert_int_equal(map1(RAM_SIZE, GNTMAP_host_map, 1, 0), GNTST_permission_denied);
	assert_int_equal(map1(RAM_SIZE, GNTMAP_host_map, DOM0_GRANT_FIRST, 0), GNTST_permission_denied);
	assert_int_equal(map1(RAM_SIZE, GNTMAP_host_map, DOM0_GRANT_MAX, 0), GNTST_bad_gntref);
	/* No memslot left for a mapping. */
	d->nr_memslots = 1;
	assert_int_equal(map1(RAM_SIZE, GNTMAP_host_map, 1, DOMID_SELF), GNTST_no_space);
	d->nr_memslots = 0;
	assert_int_equal(map1(RAM_SIZE, GNTMAP_host_map, 1, DOMID_SELF), GNTST_no_space);
	d->nr_memslots = NR_MEMSLOTS;
	assert_int_equal(entry(1).flags, GTF_permit_access);
}

static void test_map_fails_cleanly(void **state)
{
	static struct gnttab_map_grant_ref ops[64];
	unsigned int maps = ram_mappings(), i;

	(void)state;
	assert_int_equal(maps, 1);
	one_frame();
	grant(1, GTF_permit_access, DOM_ID, SRC_PFN);
	grant(2, GTF_permit_access | GTF_readonly, DOM_ID, DST_PFN);
	grant(EPF - 1, GTF_permit_access, DOM_ID, RAM_PAGES - 1);
	/*
	 * Every check passes: the page is mmap'd from the memfd, then the memslot
	 * cannot be set (no VM). Far more tries than there are memslots, so a
	 * handle or a pin kept by a failure would show.
	 */
	for (i = 0; i < 4 * NR_MEMSLOTS; i++) {
		uint64_t at = i % 2 ? RAM_SIZE + (i % NR_MEMSLOTS) * PAGE : MMIO_HOLE - PAGE;

		assert_int_equal(map1(at, GNTMAP_host_map, 1, DOMID_SELF), GNTST_general_error);
		assert_int_equal(map1(at, GNTMAP_host_map | GNTMAP_readonly, 1, DOM_ID), GNTST_general_error);
		assert_int_equal(map1(at, GNTMAP_host_map | GNTMAP_readonly, 2, DOMID_SELF), GNTST_general_error);
		assert_int_equal(map1(at, GNTMAP_host_map | GNTMAP_application_map, EPF - 1, DOMID_SELF),
				 GNTST_general_error);
	}
	assert_int_equal(entry(1).flags, GTF_permit_access);
	assert_int_equal(entry(2).flags, GTF_permit_access | GTF_readonly);
	assert_int_equal(entry(EPF - 1).flags, GTF_permit_access);
	assert_int_equal(ram_mappings(), maps);

	/* A batch of them, all at the same address. */
	for (i = 0; i < 64; i++)
		ops[i] = map_op(RAM_SIZE, GNTMAP_host_map | (i % 2 ? GNTMAP_readonly : 0), 1, DOMID_SELF);
	put(ARG, ops, sizeof(ops));
	assert_int_equal(gnttab(GNTTABOP_map_grant_ref, ARG, 64), 0);
	get(ops, ARG, sizeof(ops));
	for (i = 0; i < 64; i++) {
		assert_int_equal(ops[i].status, GNTST_general_error);
		assert_int_equal(ops[i].handle, NO_HANDLE);
	}
	assert_quiescent();
	assert_int_equal(ram_mappings(), maps);

	/* Granter memory that cannot be mapped at all fails just as cleanly. */
	{
		int fd = d->mem_fd;

		d->mem_fd = -1;
		assert_int_equal(map1(RAM_SIZE, GNTMAP_host_map, 1, DOMID_SELF), GNTST_general_error);
		assert_int_equal(map1(RAM_SIZE, GNTMAP_host_map | GNTMAP_readonly, 2, DOMID_SELF),
				 GNTST_general_error);
		d->mem_fd = fd;
	}
	/* The failed handles are free: nothing to unmap. */
	for (i = 0; i < GNTTAB_MAX_MAPS; i += 97)
		assert_int_equal(unmap1(RAM_SIZE, i), GNTST_bad_handle);
	assert_int_equal(unmap1(RAM_SIZE, 0), GNTST_bad_handle);
	/* Copies through the same grants still work. */
	assert_int_equal(copy1(copy_op(gref(1, DOMID_SELF, 0), gmfn(DST2_PFN, DOMID_SELF, 0), PAGE,
				       GNTCOPY_source_gref)),
			 GNTST_okay);
	assert_true(page_is(DST2_PFN, gp(SRC_PFN * PAGE)));
	/* A dying domain with no mappings: nothing to undo. */
	grant_table_release_maps(d);
	assert_quiescent();
}

static void test_unmap_bad_handles(void **state)
{
	static const grant_handle_t bad[] = { 0, 1, 5, NR_MEMSLOTS, GNTTAB_MAX_MAPS - 1, GNTTAB_MAX_MAPS,
					      GNTTAB_MAX_MAPS + 1, 0x7fffffff, 0x80000000u, UINT32_MAX - 1,
					      UINT32_MAX };
	struct gnttab_unmap_grant_ref ops[sizeof(bad) / sizeof(bad[0])];
	unsigned int i;

	(void)state;
	/* Before any table exists, and after. */
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(unmap1(RAM_SIZE, bad[i]), GNTST_bad_handle);
	one_frame();
	grant(1, GTF_permit_access, DOM_ID, SRC_PFN);
	assert_int_equal(map1(RAM_SIZE, GNTMAP_host_map, 1, DOMID_SELF), GNTST_general_error);
	memset(ops, 0, sizeof(ops));
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ops[i].host_addr = i % 2 ? RAM_SIZE : 0;
		ops[i].handle = bad[i];
		ops[i].status = NOT_WRITTEN;
	}
	put(ARG, ops, sizeof(ops));
	assert_int_equal(gnttab(GNTTABOP_unmap_grant_ref, ARG, sizeof(bad) / sizeof(bad[0])), 0);
	get(ops, ARG, sizeof(ops));
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(ops[i].status, GNTST_bad_handle);
	assert_int_equal(gnttab(GNTTABOP_unmap_grant_ref, RAM_SIZE, 1), -XEN_EFAULT);
	assert_int_equal(gnttab(GNTTABOP_unmap_grant_ref, ARG, 513), -XEN_EINVAL);
	assert_quiescent();
}

static void test_unknown_ops(void **state)
{
	static const uint64_t unknown[] = {
		GNTTABOP_dump_table, GNTTABOP_transfer, GNTTABOP_unmap_and_replace,
		GNTTABOP_set_version, GNTTABOP_get_status_frames, GNTTABOP_get_version,
		GNTTABOP_swap_grant_ref, GNTTABOP_cache_flush, 13, 99, 0x7fffffff, UINT32_MAX,
	};
	unsigned int i;

	(void)state;
	one_frame();
	memset(gp(ARG), 0, PAGE);
	for (i = 0; i < sizeof(unknown) / sizeof(unknown[0]); i++) {
		assert_int_equal(gnttab(unknown[i], ARG, 1), -XEN_ENOSYS);
		assert_int_equal(gnttab(unknown[i], RAM_SIZE, 1), -XEN_ENOSYS);
	}
	for (i = 0; i < PAGE; i++)
		assert_int_equal(((uint8_t *)gp(ARG))[i], 0); /* nothing written */
	assert_quiescent();
}

/* ---- two vCPUs and a guest that keeps rewriting its entries -------------- */

#define CONC_REFS 8            /* the guest rewrites refs 0-7 and leaves 8-15 alone */
#define CONC_OPS 20000

struct conc_arg {
	struct vcpu *v;
	uint64_t arg;          /* this vCPU's op array */
	uint64_t seed;
	unsigned int okay;
	long bad_rc;
};

static atomic_bool conc_stop;

static uint64_t conc_rnd(uint64_t *st)
{
	*st ^= *st >> 12;
	*st ^= *st << 25;
	*st ^= *st >> 27;
	return *st * 2685821657736338717ull;
}

/* Copies and maps on a few refs, from one vCPU thread. */
static void *conc_vcpu(void *p)
{
	struct conc_arg *c = p;
	unsigned int i;

	for (i = 0; i < CONC_OPS; i++) {
		uint64_t r = conc_rnd(&c->seed);
		const uint64_t a[5] = { r % 4 ? GNTTABOP_copy : GNTTABOP_map_grant_ref, c->arg, 1, 0, 0 };
		struct gnttab_copy op;
		struct gnttab_map_grant_ref m;
		long rc;

		if (a[0] == GNTTABOP_copy) {
			bool to_gref = r & 16;

			op = copy_op(to_gref ? gmfn(SRC_PFN, DOMID_SELF, 0) : gref(r >> 8 & (2 * CONC_REFS - 1), DOMID_SELF, 0),
				     to_gref ? gref(r >> 12 & (2 * CONC_REFS - 1), DOMID_SELF, 64) :
					       gmfn(DST_PFN + c->v->id, DOMID_SELF, 64),
				     (r >> 20) % 1024, to_gref ? GNTCOPY_dest_gref : GNTCOPY_source_gref);
			memcpy(d->ram.base + c->arg, &op, sizeof(op));
		} else {
			m = map_op(RAM_SIZE + (r >> 32 & 7) * PAGE, GNTMAP_host_map | (r & 32 ? GNTMAP_readonly : 0),
				   r >> 8 & (2 * CONC_REFS - 1), DOMID_SELF);
			memcpy(d->ram.base + c->arg, &m, sizeof(m));
		}
		rc = hypercall_dispatch(c->v, __HYPERVISOR_grant_table_op, a, 0);
		if (rc)
			c->bad_rc = rc;
		if (a[0] == GNTTABOP_copy) {
			memcpy(&op, d->ram.base + c->arg, sizeof(op));
			c->okay += op.status == GNTST_okay;
		} else {
			memcpy(&m, d->ram.base + c->arg, sizeof(m));
			if (m.status == GNTST_okay || m.handle != NO_HANDLE)
				c->bad_rc = -1000 - m.status;
		}
	}
	return NULL;
}

/* The guest: rewrites entries 0..CONC_REFS-1 as a guest would, with plain 32-bit stores. */
static void *conc_guest(void *p)
{
	uint64_t st = 0x1234567;
	uint32_t *words = p;

	while (!atomic_load(&conc_stop)) {
		uint64_t r = conc_rnd(&st);
		unsigned int ref = r % CONC_REFS;
		uint16_t flags = r & 0x100 ? GTF_permit_access : r & 0x200 ? GTF_permit_access | GTF_readonly :
										 GTF_invalid;
		domid_t dom = r & 0x400 ? DOM_ID : DOM_ID + 1;
		uint32_t frame = r & 0x800 ? RAM_PAGES + 1 : (uint32_t)(DST2_PFN + (r >> 16) % 4);

		__atomic_store_n(&words[2 * ref + 1], frame, __ATOMIC_SEQ_CST);
		__atomic_store_n(&words[2 * ref], (uint32_t)flags | (uint32_t)dom << 16, __ATOMIC_SEQ_CST);
	}
	return NULL;
}

static void test_concurrent_copies(void **state)
{
	struct conc_arg args[2];
	pthread_t vt[2], gt;
	unsigned int i;

	(void)state;
	one_frame();
	fake_vcpu_init(d, 1, false);
	d->nr_vcpus = 2;
	atomic_store(&d->vcpu[1].online, true);
	/* Valid grants, of which the guest thread keeps rewriting the first half. */
	for (i = 0; i < 2 * CONC_REFS; i++)
		grant(i, GTF_permit_access, DOM_ID, DST2_PFN);
	atomic_store(&conc_stop, false);
	assert_int_equal(pthread_create(&gt, NULL, conc_guest, gp(GT_GPFN * PAGE)), 0);
	for (i = 0; i < 2; i++) {
		args[i] = (struct conc_arg){ .v = &d->vcpu[i], .arg = ARG + i * PAGE, .seed = 0xabcdef + i };
		assert_int_equal(pthread_create(&vt[i], NULL, conc_vcpu, &args[i]), 0);
	}
	for (i = 0; i < 2; i++)
		assert_int_equal(pthread_join(vt[i], NULL), 0);
	atomic_store(&conc_stop, true);
	assert_int_equal(pthread_join(gt, NULL), 0);
	for (i = 0; i < 2; i++) {
		assert_int_equal(args[i].bad_rc, 0);
		assert_true(args[i].okay > 0);
	}
	assert_quiescent();
}

/* ---- fuzz ---------------------------------------------------------------- */

/*
 * Random grant_table_op calls on random entries, with an oracle.
 *
 * Most iterations are "tame": every byte bulkhead may write (copy
 * destinations through any writable grant or local frame, frame lists) lies
 * in the data pages or outside RAM, never in the grant frames or the op
 * array, so entries only change when the fuzzer writes them and every op's
 * status can be predicted from what it names. The rest are "wild": entries
 * with any bits, frames anywhere, op arrays anywhere (even in the grant
 * frames), raw random op bytes. Both check that nothing stays pinned.
 */

#define FUZZ_ITERS 100000
#define FUZZ_ARG 0x10000ull       /* tame op arrays: 0x10000-0x1ffff */
#define FUZZ_GT1_GPFNS 3          /* frame 1 moves among GT_GPFN+1 .. +3 */
#define ST(s) (1u << -(s))        /* a set of GNTST_* values */

static uint8_t ops_buf[512 * sizeof(struct gnttab_copy)]; /* the ops of one call */

static uint64_t rng_state;

static uint64_t rnd(void)
{
	return xorshift64s(&rng_state);
}

static unsigned int fuzz_iter;
static uint64_t fuzz_seed;

#define FZ(cond, ...)                                                                       \
	do {                                                                                \
		if (!(cond)) {                                                              \
			print_error("fuzz seed %#llx iteration %u: ", (unsigned long long)fuzz_seed, \
				    fuzz_iter);                                             \
			print_error(__VA_ARGS__);                                           \
			print_error("\n");                                                  \
			fail();                                                             \
		}                                                                           \
	} while (0)

static bool is_self(domid_t dom)
{
	return dom == DOMID_SELF || dom == DOM_ID;
}

static domid_t fuzz_domid(void)
{
	static const domid_t others[] = { 0, OTHER_DOM, DOM_ID + 1, DOMID_IO, DOMID_INVALID };

	switch (rnd() % 8) {
	case 0:
		return others[rnd() % 5];
	case 1:
		return (domid_t)rnd();
	case 2: case 3: case 4:
		return DOM_ID;
	default:
		return DOMID_SELF;
	}
}

/* A frame number: writable ones only in the data pages or outside RAM unless wild. */
static uint64_t fuzz_pfn(bool writable, bool wild, bool wide)
{
	switch (rnd() % 10) {
	case 0:
		return RAM_PAGES + rnd() % 4;
	case 1:
		return wide ? RAM_PAGES + rnd() % (UINT64_MAX - RAM_PAGES) :
			      RAM_PAGES + rnd() % (UINT32_MAX - RAM_PAGES + 1ull);
	case 2:
		if (!writable || wild)
			return rnd() % RAM_PAGES; /* anywhere: grant frames, op arrays */
		/* fall through */
	default:
		return DATA_PFN + rnd() % (RAM_PAGES - DATA_PFN);
	}
}

static uint16_t fuzz_flags(bool wild)
{
	uint16_t f;

	switch (rnd() % 8) {
	case 0: case 1: case 2:
		f = GTF_permit_access;
		break;
	case 3: case 4:
		f = GTF_permit_access | GTF_readonly;
		break;
	case 5:
		f = rnd() % 4 | (rnd() % 2 ? GTF_readonly : 0);
		break;
	default:
		f = (uint16_t)rnd();
		break;
	}
	if (!wild)
		f &= ~GTF_BUSY;
	return f;
}

static struct grant_entry_v1 *placed_frame(unsigned int i)
{
	return gp(d->gnttab.frame_gpfn[i] * PAGE);
}

static void fuzz_entry(struct grant_entry_v1 *e, bool wild)
{
	e->flags = fuzz_flags(wild);
	e->domid = rnd() % 8 ? DOM_ID : fuzz_domid();
	e->frame = (uint32_t)fuzz_pfn(!(e->flags & GTF_readonly), wild, false);
}

/* The guest rewrites all the entries of its two placed frames, or `some` of them. */
static void fuzz_entries(bool wild, unsigned int some)
{
	unsigned int f, i;

	for (f = 0; f < 2; f++) {
		struct grant_entry_v1 *e = placed_frame(f);

		if (!some)
			for (i = 0; i < EPF; i++)
				fuzz_entry(&e[i], wild);
		for (i = 0; i < some; i++)
			fuzz_entry(&e[rnd() % EPF], wild);
	}
}

static grant_ref_t fuzz_ref(void)
{
	switch (rnd() % 16) {
	case 0:
		return (grant_ref_t)rnd();
	case 1:
		return d->gnttab.nr_frames * EPF + rnd() % 4; /* just past the table */
	case 2:
		return rnd() % (GNTTAB_MAX_FRAMES * EPF);
	case 3:
		return rnd() % 2 ? EPF - 1 : EPF;
	default:
		return rnd() % (2 * EPF); /* the placed frames */
	}
}

static uint16_t fuzz_off(void)
{
	switch (rnd() % 8) {
	case 0:
		return (uint16_t)rnd();
	case 1:
		return rnd() % 4097;
	case 2:
		return 4096 - rnd() % 8;
	default:
		return rnd() % 256;
	}
}

static uint16_t fuzz_len(void)
{
	switch (rnd() % 8) {
	case 0:
		return (uint16_t)rnd();
	case 1: case 2:
		return rnd() % 4097;
	case 3:
		return 4096 - rnd() % 4;
	default:
		return rnd() % 512;
	}
}

static void fuzz_copy_ptr(struct gnttab_copy_ptr *p, bool is_gref, bool is_dest, bool wild)
{
	memset(p, 0, sizeof(*p));
	if (is_gref)
		p->u.ref = fuzz_ref();
	else
		p->u.gmfn = fuzz_pfn(is_dest, wild, true);
	p->domid = fuzz_domid();
	p->offset = fuzz_off();
}

static uint64_t fuzz_host_addr(void)
{
	switch (rnd() % 10) {
	case 0:
		return rnd() % RAM_SIZE;
	case 1:
		return rnd();
	case 2:
		return MMIO_HOLE - PAGE * (rnd() % 2) + rnd() % 2 * PAGE;
	case 3:
		return RAM_SIZE + rnd() % (64 * PAGE); /* mostly unaligned */
	default:
		return RAM_SIZE + rnd() % 256 * PAGE;
	}
}

/* Where tame ops may point bulkhead's writes (frame lists). */
static uint64_t fuzz_list(bool wild)
{
	switch (rnd() % 8) {
	case 0:
		return RAM_SIZE - rnd() % 64;
	case 1:
		return rnd();
	case 2:
		if (wild)
			return rnd() % RAM_SIZE;
		/* fall through */
	default:
		return DATA_PFN * PAGE + rnd() % (RAM_SIZE - DATA_PFN * PAGE);
	}
}

static void fuzz_op(unsigned int cmd, void *op, bool wild)
{
	switch (cmd) {
	case GNTTABOP_copy: {
		struct gnttab_copy *c = op;

		c->flags = rnd() % 8 ? rnd() % 4 : (uint16_t)rnd();
		fuzz_copy_ptr(&c->source, c->flags & GNTCOPY_source_gref, false, wild);
		fuzz_copy_ptr(&c->dest, c->flags & GNTCOPY_dest_gref, true, wild);
		c->len = fuzz_len();
		c->status = NOT_WRITTEN;
		break;
	}
	case GNTTABOP_map_grant_ref: {
		struct gnttab_map_grant_ref *m = op;

		m->host_addr = fuzz_host_addr();
		m->flags = rnd() % 4 ? GNTMAP_host_map | (rnd() % 2 ? GNTMAP_readonly : 0) :
				       (uint32_t)rnd() & (rnd() % 2 ? 0x1f : UINT32_MAX);
		m->ref = fuzz_ref();
		m->dom = fuzz_domid();
		m->status = NOT_WRITTEN;
		m->handle = (grant_handle_t)rnd();
		m->dev_bus_addr = rnd();
		break;
	}
	case GNTTABOP_unmap_grant_ref: {
		struct gnttab_unmap_grant_ref *u = op;

		u->host_addr = fuzz_host_addr();
		u->dev_bus_addr = rnd();
		u->handle = rnd() % 2 ? rnd() % (GNTTAB_MAX_MAPS + 2) : (grant_handle_t)rnd();
		u->status = NOT_WRITTEN;
		break;
	}
	case GNTTABOP_setup_table: {
		struct gnttab_setup_table *s = op;

		s->dom = fuzz_domid();
		s->nr_frames = rnd() % 16 ? rnd() % 4 : rnd() % 8 ? rnd() % 40 : (uint32_t)rnd();
		s->status = NOT_WRITTEN;
		s->frame_list.p = (xen_pfn_t *)(uintptr_t)fuzz_list(wild);
		break;
	}
	case GNTTABOP_query_size: {
		struct gnttab_query_size *q = op;

		q->dom = fuzz_domid();
		q->nr_frames = q->max_nr_frames = (uint32_t)rnd();
		q->status = NOT_WRITTEN;
		break;
	}
	}
}

static size_t op_size(unsigned int cmd)
{
	switch (cmd) {
	case GNTTABOP_copy:
		return sizeof(struct gnttab_copy);
	case GNTTABOP_map_grant_ref:
		return sizeof(struct gnttab_map_grant_ref);
	case GNTTABOP_unmap_grant_ref:
		return sizeof(struct gnttab_unmap_grant_ref);
	case GNTTABOP_setup_table:
		return sizeof(struct gnttab_setup_table);
	case GNTTABOP_query_size:
		return sizeof(struct gnttab_query_size);
	default:
		return 0;
	}
}

static bool in_ram(uint64_t gpa, uint64_t len)
{
	return gpa <= RAM_SIZE && len <= RAM_SIZE - gpa;
}

/* The entry bulkhead would read for ref, or NULL past the table. */
static const struct grant_entry_v1 *model_entry(grant_ref_t ref)
{
	if (ref >= d->gnttab.nr_frames * EPF)
		return NULL;
	return &d->gnttab.frame[ref / EPF][ref % EPF];
}

/* Errors one grant can give (for access `write`), and its page if it names one in RAM. */
static unsigned int model_grant(grant_ref_t ref, bool write, uint64_t *pfn)
{
	const struct grant_entry_v1 *e = model_entry(ref);
	unsigned int errs = 0;

	if (!e)
		return ST(GNTST_bad_gntref);
	if ((e->flags & GTF_type_mask) != GTF_permit_access || e->domid != DOM_ID ||
	    (write && (e->flags & GTF_readonly)))
		errs |= ST(GNTST_permission_denied);
	if (e->frame >= RAM_PAGES)
		errs |= ST(GNTST_bad_page);
	else
		*pfn = e->frame;
	return errs;
}

static unsigned int model_copy_side(const struct gnttab_copy_ptr *p, bool is_gref, bool write,
				    uint64_t *pfn)
{
	unsigned int errs = 0;

	*pfn = ~0ull;
	if (!is_gref) {
		if (!is_self(p->domid))
			errs |= ST(GNTST_permission_denied);
		if (p->u.gmfn >= RAM_PAGES)
			errs |= ST(GNTST_bad_page);
		else
			*pfn = p->u.gmfn;
		return errs;
	}
	if (!is_self(p->domid))
		return ST(GNTST_bad_domain);
	return model_grant(p->u.ref, write, pfn);
}

/* The statuses an op may end with, given the table as it is now. */
static unsigned int model(unsigned int cmd, const void *op, uint64_t *src_pfn, uint64_t *dst_pfn)
{
	unsigned int errs = 0;
	uint64_t pfn;

	switch (cmd) {
	case GNTTABOP_copy: {
		const struct gnttab_copy *c = op;

		if (c->source.offset + c->len > PAGE || c->dest.offset + c->len > PAGE)
			errs |= ST(GNTST_bad_copy_arg);
		errs |= model_copy_side(&c->source, c->flags & GNTCOPY_source_gref, false, src_pfn);
		errs |= model_copy_side(&c->dest, c->flags & GNTCOPY_dest_gref, true, dst_pfn);
		return errs ? errs : ST(GNTST_okay);
	}
	case GNTTABOP_map_grant_ref: {
		const struct gnttab_map_grant_ref *m = op;

		if (!(m->flags & GNTMAP_host_map) || (m->flags & (GNTMAP_device_map | GNTMAP_contains_pte)))
			errs |= ST(GNTST_general_error);
		if (m->dom == 0) /* dom0's grants: the fixture has none */
			return errs ? errs : ST(GNTST_permission_denied) | ST(GNTST_bad_gntref);
		if (!is_self(m->dom))
			return errs | ST(GNTST_bad_domain);
		if ((m->host_addr & (PAGE - 1)) || m->host_addr < RAM_SIZE || m->host_addr >= MMIO_HOLE)
			errs |= ST(GNTST_bad_virt_addr);
		errs |= model_grant(m->ref, !(m->flags & GNTMAP_readonly), &pfn);
		/* Everything right: it fails at the memslot. */
		return errs ? errs : ST(GNTST_general_error);
	}
	case GNTTABOP_unmap_grant_ref:
		return ST(GNTST_bad_handle); /* no handle is ever in use */
	case GNTTABOP_setup_table: {
		const struct gnttab_setup_table *s = op;

		if (!is_self(s->dom))
			errs |= ST(GNTST_permission_denied);
		if (s->nr_frames > GNTTAB_MAX_FRAMES)
			errs |= ST(GNTST_general_error);
		else if (s->nr_frames && !in_ram((uintptr_t)s->frame_list.p, s->nr_frames * sizeof(xen_pfn_t)))
			errs |= ST(GNTST_bad_virt_addr);
		return errs ? errs : ST(GNTST_okay);
	}
	case GNTTABOP_query_size:
		return is_self(((const struct gnttab_query_size *)op)->dom) ? ST(GNTST_okay) :
									       ST(GNTST_permission_denied);
	}
	return 0;
}

static inline void fuzz_check_ref(grant_ref_t ref, bool wild)
{
	struct grant_table *gt = &d->gnttab;

	if (ref >= gt->nr_frames * EPF)
		return;
	if (!gt->pin[ref].readers && !gt->pin[ref].writers &&
	    (wild || !(gt->frame[ref / EPF][ref % EPF].flags & GTF_BUSY)))
		return; /* the common case, quickly */
	FZ(!gt->pin[ref].readers && !gt->pin[ref].writers, "ref %u pinned: %u readers, %u writers", ref,
	   gt->pin[ref].readers, gt->pin[ref].writers);
	FZ(wild || !(gt->frame[ref / EPF][ref % EPF].flags & GTF_BUSY), "ref %u left with flags %#x", ref,
	   gt->frame[ref / EPF][ref % EPF].flags);
}

/*
 * No pins, no handles, no lost references; tame: no GTF_reading/GTF_writing.
 * Every ref of the table when `full`, else those of the placed frames and
 * those the ops named (a 32-frame table is 16,384 refs).
 */
static void fuzz_check_quiescent(bool wild, bool full, unsigned int cmd, uint32_t n)
{
	struct grant_table *gt = &d->gnttab;
	unsigned int i, limit;

	FZ(gt->nr_frames <= GNTTAB_MAX_FRAMES, "nr_frames %u", gt->nr_frames);
	limit = full || gt->nr_frames < 2 ? gt->nr_frames * EPF : 2 * EPF;
	for (i = 0; i < limit; i++)
		fuzz_check_ref(i, wild);
	if (!full && n <= 512) {
		for (i = 0; i < n && cmd == GNTTABOP_copy; i++) {
			const struct gnttab_copy *c = (const void *)(ops_buf + i * sizeof(*c));

			fuzz_check_ref(c->source.u.ref, wild);
			fuzz_check_ref(c->dest.u.ref, wild);
		}
		for (i = 0; i < n && cmd == GNTTABOP_map_grant_ref; i++)
			fuzz_check_ref(((const struct gnttab_map_grant_ref *)(const void *)ops_buf)[i].ref, wild);
	}
	for (i = 0; i < GNTTAB_MAX_MAPS; i++)
		FZ(!gt->map[i].granter, "map handle %u in use", i);
	FZ(atomic_load(&d->refcnt) == 1, "refcnt %d", atomic_load(&d->refcnt));
}

static unsigned int fuzz_cmd(void)
{
	static const unsigned int known[] = {
		GNTTABOP_copy, GNTTABOP_copy, GNTTABOP_copy, GNTTABOP_map_grant_ref,
		GNTTABOP_map_grant_ref, GNTTABOP_unmap_grant_ref, GNTTABOP_setup_table,
		GNTTABOP_query_size,
	};

	switch (rnd() % 16) {
	case 0:
		return rnd() % 16;
	case 1:
		return (unsigned int)rnd();
	default:
		return known[rnd() % (sizeof(known) / sizeof(known[0]))];
	}
}

static uint64_t fuzz_count(void)
{
	switch (rnd() % 32) {
	case 0:
		return 0;
	case 1:
		return 500 + rnd() % 20;   /* around the limit */
	case 2:
		return rnd();              /* mostly far too many; upper bits ignored */
	case 3: case 4:
		return 1 + rnd() % 64;
	default:
		return 1 + rnd() % 4;
	}
}

static uint64_t fuzz_array(bool wild, size_t size)
{
	switch (rnd() % 16) {
	case 0:
		return RAM_SIZE + rnd() % 64; /* just outside */
	case 1:
		return rnd();
	case 2:
		return RAM_SIZE - size + 1 + rnd() % (size - 1); /* the first op runs off the end */
	default:
		if (wild)
			return rnd() % 2 ? GT_GPFN * PAGE + rnd() % (4 * PAGE) : rnd() % RAM_SIZE;
		return FUZZ_ARG + rnd() % 0x8000;
	}
}

/* Move frame 1 to another gpfn: its entries (and their bits) go with it. */
static void fuzz_move_frame1(void)
{
	uint8_t before[PAGE];
	uint64_t to = GT_GPFN + 1 + rnd() % FUZZ_GT1_GPFNS;

	memcpy(before, placed_frame(1), PAGE);
	FZ(physmap_gt(1, to) == 0, "moving frame 1 to %#llx", (unsigned long long)to);
	FZ(d->gnttab.frame_gpfn[1] == to && (void *)d->gnttab.frame[1] == gp(to * PAGE), "frame 1 not at %#llx",
	   (unsigned long long)to);
	FZ(memcmp(before, placed_frame(1), PAGE) == 0, "frame 1 contents changed by the move");
}

static void test_fuzz(void **state)
{
	static uint8_t page_before[PAGE], src_before[PAGE], tame_frames[2][PAGE];
	unsigned int iters = FUZZ_ITERS, stats[4] = { 0 }, ok = 0, tame_checked = 0;
	const char *env;
	bool wild = false;
	struct timespec t0, t1;

	(void)state;
	fuzz_seed = 0x9e3779b97f4a7c15ull;
	if ((env = getenv("BH_FUZZ_SEED")))
		fuzz_seed = strtoull(env, NULL, 0);
	if ((env = getenv("BH_FUZZ_ITERS")))
		iters = (unsigned int)strtoul(env, NULL, 0);
	rng_state = fuzz_seed ? fuzz_seed : 1;
	clock_gettime(CLOCK_MONOTONIC, &t0);

	/* Two frames placed, the rest of the table private until setup_table grows it. */
	assert_int_equal(setup_table(DOMID_SELF, 2, BUF), GNTST_okay);
	place(0, GT_GPFN);
	place(1, GT_GPFN + 1);
	for (fuzz_iter = 0; fuzz_iter < iters; fuzz_iter++) {
		unsigned int cmd = fuzz_cmd(), i, n_fit = 0;
		uint64_t count = fuzz_count(), arr, src_pfn = ~0ull, dst_pfn = ~0ull;
		uint32_t n = (uint32_t)count;
		unsigned int want[512];
		size_t size = op_size(cmd);
		long rc, want_rc;
		bool raw;

		wild = rnd() % 8 == 0;
		if (fuzz_iter % 64 == 0)
			fuzz_entries(false, 0);
		if (wild) {
			/* Wild entries and ops may scribble on the frames: put them back after. */
			memcpy(tame_frames[0], placed_frame(0), PAGE);
			memcpy(tame_frames[1], placed_frame(1), PAGE);
			fuzz_entries(true, 64);
		} else {
			fuzz_entries(false, 8);
		}
		if (fuzz_iter % 2048 == 1)
			fuzz_move_frame1();
		raw = wild && rnd() % 2;
		arr = fuzz_array(wild, size ? size : 8);

		/* Build the ops and predict what each one gives. */
		if (size && n <= 512) {
			for (i = 0; i < n; i++) {
				uint8_t *op = ops_buf + i * size;

				if (raw) {
					unsigned int k;

					for (k = 0; k < size; k++)
						op[k] = (uint8_t)rnd();
				} else {
					memset(op, 0, size);
					fuzz_op(cmd, op, wild);
				}
			}
			/* The ops wholly in RAM run; the first that is not ends the call. */
			while (n_fit < n && in_ram(arr + n_fit * size, size))
				n_fit++;
			for (i = 0; i < n && in_ram(arr, 1) && arr + i * size < RAM_SIZE; i++) {
				uint64_t at = arr + i * size;

				put(at, ops_buf + i * size, RAM_SIZE - at < size ? RAM_SIZE - at : size);
			}
			if (!wild)
				for (i = 0; i < n_fit; i++)
					want[i] = model(cmd, ops_buf + i * size, &src_pfn, &dst_pfn);
		}
		if (n > 512)
			want_rc = -XEN_EINVAL;
		else if (!size)
			want_rc = -XEN_ENOSYS;
		else if (n == 0)
			want_rc = 0;
		else
			want_rc = n_fit == n ? 0 : -XEN_EFAULT;

		/* One tame copy: remember both pages to check the bytes after. */
		if (!wild && cmd == GNTTABOP_copy && n == 1 && n_fit == 1) {
			if (dst_pfn != ~0ull)
				memcpy(page_before, gp(dst_pfn * PAGE), PAGE);
			if (src_pfn != ~0ull)
				memcpy(src_before, gp(src_pfn * PAGE), PAGE);
		}

		rc = gnttab(cmd, arr, count);
		FZ(rc == want_rc, "cmd %u count %#llx at %#llx: rc %ld, want %ld", cmd,
		   (unsigned long long)count, (unsigned long long)arr, rc, want_rc);
		stats[want_rc == 0 ? 0 : want_rc == -XEN_EFAULT ? 1 : want_rc == -XEN_EINVAL ? 2 : 3]++;

		if (!wild && size && n <= 512) {
			for (i = 0; i < n_fit; i++) {
				int16_t st;

				memcpy(&st, gp(arr + i * size + (cmd == GNTTABOP_copy ? offsetof(struct gnttab_copy, status) :
							 cmd == GNTTABOP_map_grant_ref ? offsetof(struct gnttab_map_grant_ref, status) :
							 cmd == GNTTABOP_unmap_grant_ref ? offsetof(struct gnttab_unmap_grant_ref, status) :
							 cmd == GNTTABOP_setup_table ? offsetof(struct gnttab_setup_table, status) :
							 offsetof(struct gnttab_query_size, status))),
				       sizeof(st));
				FZ(st <= 0 && st >= -31 && (want[i] & ST(st)), "cmd %u op %u/%u: status %d, allowed set %#x",
				   cmd, i, n, st, want[i]);
				ok += st == GNTST_okay;
				tame_checked++;
				if (cmd == GNTTABOP_map_grant_ref) {
					grant_handle_t h;

					memcpy(&h, gp(arr + i * size + offsetof(struct gnttab_map_grant_ref, handle)),
					       sizeof(h));
					FZ(h == NO_HANDLE, "failed map %u returned handle %u", i, h);
				}
				if (cmd == GNTTABOP_query_size && st == GNTST_okay) {
					struct gnttab_query_size q;

					get(&q, arr + i * size, sizeof(q));
					FZ(q.nr_frames == d->gnttab.nr_frames && q.max_nr_frames == GNTTAB_MAX_FRAMES,
					   "query_size %u/%u", q.nr_frames, q.max_nr_frames);
				}
				if (cmd == GNTTABOP_setup_table && st == GNTST_okay && n == 1) {
					struct gnttab_setup_table s;
					unsigned int k;

					get(&s, arr, sizeof(s));
					for (k = 0; k < s.nr_frames; k++) {
						xen_pfn_t f;

						get(&f, (uintptr_t)s.frame_list.p + k * sizeof(f), sizeof(f));
						FZ(f == (k < 2 ? d->gnttab.frame_gpfn[k] : (xen_pfn_t)~0ull),
						   "frame_list[%u] = %#llx", k, (unsigned long long)f);
					}
				}
			}
			if (cmd == GNTTABOP_copy && n == 1 && n_fit == 1) {
				struct gnttab_copy c;

				get(&c, arr, sizeof(c));
				if (c.status == GNTST_okay) {
					memcpy(page_before + c.dest.offset, src_before + c.source.offset, c.len);
					FZ(memcmp(gp(dst_pfn * PAGE), page_before, PAGE) == 0, "copy landed wrong");
				} else if (dst_pfn != ~0ull && (dst_pfn + 1) * PAGE > arr && dst_pfn * PAGE < arr + size) {
					/* A read-only grant of the op's own page: the status was written there. */
				} else if (dst_pfn != ~0ull) {
					FZ(memcmp(gp(dst_pfn * PAGE), page_before, PAGE) == 0,
					   "failed copy (status %d) wrote to its destination", c.status);
				}
			}
		}
		fuzz_check_quiescent(wild, fuzz_iter % 256 == 0, cmd, n);
		if (wild) {
			memcpy(placed_frame(0), tame_frames[0], PAGE);
			memcpy(placed_frame(1), tame_frames[1], PAGE);
		}
		if (atomic_load(&d->state) != DOMAIN_RUNNING)
			atomic_store(&d->state, DOMAIN_RUNNING);
	}
	fuzz_check_quiescent(false, true, 0, 0);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	print_message("fuzz: seed %#llx, %u iterations in %.2fs: rc 0 %u, -EFAULT %u, -EINVAL %u, "
		      "-ENOSYS %u; %u tame ops checked, %u okay; %u frames\n",
		      (unsigned long long)fuzz_seed, iters,
		      (double)(t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9, stats[0], stats[1],
		      stats[2], stats[3], tame_checked, ok, d->gnttab.nr_frames);
	if (iters == FUZZ_ITERS) {
		assert_true(tame_checked > iters);
		assert_true(ok > iters / 20);
	}
}

int main(void)
{
	/*
	 * These tests drive the handlers' own logic; Flask's decisions are
	 * test_xsm_*'s business, so no hook checks anything here.
	 */
	flask_init(FLASK_DISABLED, 16);
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_setup_table_sizes),
		T(test_setup_table_errors),
		T(test_place_frames),
		T(test_place_frame_over_frame),
		T(test_copy_batch),
		T(test_copy_bad_args),
		T(test_copy_bad_refs_and_entries),
		T(test_copy_local_and_domain_errors),
		T(test_copy_batch_limits),
		T(test_copy_mixed_batch),
		T(test_map_bad_flags),
		T(test_map_bad_addresses),
		T(test_map_bad_grants),
		T(test_map_fails_cleanly),
		T(test_unmap_bad_handles),
		T(test_unknown_ops),
		T(test_concurrent_copies),
		T(test_fuzz),
	};
#undef T

	return cmocka_run_group_tests(tests, group_setup, NULL);
}
