/*
 * Grant tables v1: setup_table, query_size, map_grant_ref, unmap_grant_ref
 * and copy, with Xen's GNTST_* results. One static function per operation.
 */
#include "grant_table.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>

#include <xen/hvm/e820.h>
#include <xen/memory.h>

#include "hypercall.h"
#include "service.h"
#include "vcpu.h"
#include "xsm.h"

#define PAGE GUEST_PAGE_SIZE
#define GNTTAB_COPY_BATCH_MAX 512 /* ops per call; Xen would continue, we refuse more */

/* The first word of a v1 entry: flags in the low half, domid in the high. */
#define ENTRY_WORD(flags, domid) ((uint32_t)(flags) | ((uint32_t)(domid) << 16))

int grant_table_init(struct domain *d)
{
	struct grant_table *gt = &d->gnttab;
	unsigned int i;

	pthread_mutex_init(&gt->lock, NULL);
	for (i = 0; i < GNTTAB_MAX_FRAMES; i++)
		gt->frame_gpfn[i] = ~0ull;
	gt->map = calloc(GNTTAB_MAX_MAPS, sizeof(*gt->map));
	return gt->map ? 0 : -1;
}

void grant_table_fini(struct domain *d)
{
	struct grant_table *gt = &d->gnttab;
	unsigned int i;

	for (i = 0; i < GNTTAB_MAX_FRAMES; i++)
		free(gt->private_frame[i]);
	free(gt->pin);
	free(gt->map);
	pthread_mutex_destroy(&gt->lock);
}

/* Grow the table to n frames. Called with gt->lock held. */
static int grow_table(struct grant_table *gt, unsigned int n)
{
	struct grant_pin *pin;
	unsigned int i;

	if (n > GNTTAB_MAX_FRAMES)
		return -1;
	if (n <= gt->nr_frames)
		return 0;
	pin = realloc(gt->pin, n * GNTTAB_ENTRIES_PER_FRAME * sizeof(*pin));
	if (!pin)
		return -1;
	gt->pin = pin;
	for (i = gt->nr_frames; i < n; i++) {
		gt->private_frame[i] = aligned_alloc(PAGE, PAGE);
		if (!gt->private_frame[i])
			return -1;
		memset(gt->private_frame[i], 0, PAGE);
		memset(&pin[i * GNTTAB_ENTRIES_PER_FRAME], 0,
		       GNTTAB_ENTRIES_PER_FRAME * sizeof(*pin));
		gt->frame[i] = gt->private_frame[i];
		gt->nr_frames = i + 1;
	}
	return 0;
}

long grant_table_map_frame(struct domain *d, uint64_t idx, uint64_t gpfn)
{
	struct grant_table *gt = &d->gnttab;
	void *to;
	long rc = 0;

	/* Version 1 has no status frames. */
	if (idx & XENMAPIDX_grant_table_status)
		return -XEN_EINVAL;
	if (idx >= GNTTAB_MAX_FRAMES || gpfn > UINT64_MAX / PAGE)
		return -XEN_EINVAL;
	to = gpa_to_host(&d->ram, gpfn * PAGE, PAGE);
	if (!to)
		return -XEN_EINVAL;
	pthread_mutex_lock(&gt->lock);
	if (grow_table(gt, idx + 1)) {
		rc = -XEN_ENOMEM;
	} else if ((void *)gt->frame[idx] != to) {
		unsigned int j;

		/*
		 * A frame already at gpfn leaves the physmap, as in Xen: its
		 * entries go back to its private page, intact.
		 */
		for (j = 0; j < gt->nr_frames; j++) {
			if (j != idx && gt->frame_gpfn[j] == gpfn) {
				memcpy(gt->private_frame[j], gt->frame[j], PAGE);
				gt->frame[j] = gt->private_frame[j];
				gt->frame_gpfn[j] = ~0ull;
			}
		}
		memmove(to, gt->frame[idx], PAGE);
		gt->frame[idx] = to;
		gt->frame_gpfn[idx] = gpfn;
	}
	pthread_mutex_unlock(&gt->lock);
	return rc;
}

/* ---- the granter's side: entries and pins -------------------------------- */

static uint32_t *entry_word(struct grant_table *gt, grant_ref_t ref)
{
	return (uint32_t *)&gt->frame[ref / GNTTAB_ENTRIES_PER_FRAME][ref % GNTTAB_ENTRIES_PER_FRAME];
}

/* Clear GTF_writing when no writer pins the entry, GTF_reading when nothing does. */
static void grant_clear_unpinned(struct grant_table *gt, grant_ref_t ref)
{
	const struct grant_pin *p = &gt->pin[ref];
	uint32_t clear = 0;

	if (!p->writers)
		clear |= GTF_writing;
	if (!p->writers && !p->readers)
		clear |= GTF_reading;
	__atomic_fetch_and(entry_word(gt, ref), ~clear, __ATOMIC_SEQ_CST);
}

/*
 * Check that `ref` lets domain `who` in (for writing unless readonly), and
 * mark it GTF_reading / GTF_writing, as Xen's _set_status_v1. Returns the
 * frame it names, or a GNTST_* error. Called with the granter's lock held.
 */
static int64_t grant_acquire(struct domain *g, grant_ref_t ref, domid_t who, bool readonly)
{
	struct grant_table *gt = &g->gnttab;
	struct grant_entry_v1 *e;
	uint32_t *word, old, new;
	uint32_t frame;
	int tries;

	if (ref >= gt->nr_frames * GNTTAB_ENTRIES_PER_FRAME)
		return GNTST_bad_gntref;
	/* A pin count must not wrap (Xen refuses the same). */
	if (gt->pin[ref].readers == UINT16_MAX || gt->pin[ref].writers == UINT16_MAX)
		return GNTST_no_space;
	word = entry_word(gt, ref);
	e = &gt->frame[ref / GNTTAB_ENTRIES_PER_FRAME][ref % GNTTAB_ENTRIES_PER_FRAME];
	/* The granter may change the entry under us: retry a bounded number of times. */
	for (tries = 0; tries < 16; tries++) {
		old = __atomic_load_n(word, __ATOMIC_SEQ_CST);
		if ((old & GTF_type_mask) != GTF_permit_access || (old >> 16) != who)
			return GNTST_permission_denied;
		if (!readonly && (old & GTF_readonly))
			return GNTST_permission_denied;
		new = old | GTF_reading | (readonly ? 0 : GTF_writing);
		if (__atomic_compare_exchange_n(word, &old, new, false, __ATOMIC_SEQ_CST,
						__ATOMIC_SEQ_CST))
			break;
	}
	if (tries == 16)
		return GNTST_general_error;
	/* Read the frame once, after the flags: the entry is now pinned. */
	frame = __atomic_load_n(&e->frame, __ATOMIC_SEQ_CST);
	if ((uint64_t)frame * PAGE >= g->ram.size) {
		grant_clear_unpinned(gt, ref);
		return GNTST_bad_page;
	}
	if (readonly)
		gt->pin[ref].readers++;
	else
		gt->pin[ref].writers++;
	return frame;
}

/* Drop a pin taken by grant_acquire; the last one clears the GTF bits. */
static void grant_release(struct domain *g, grant_ref_t ref, bool readonly)
{
	struct grant_table *gt = &g->gnttab;

	if (readonly)
		gt->pin[ref].readers--;
	else
		gt->pin[ref].writers--;
	grant_clear_unpinned(gt, ref);
}

/* ---- map and unmap ------------------------------------------------------- */

static bool map_used(const struct grant_map *m)
{
	return m->granter || m->arena;
}

/* A mapping must land outside RAM, below the MMIO hole, on no other mapping. */
static bool map_addr_ok(struct domain *d, uint64_t gpa)
{
	unsigned int i;

	if ((gpa & (PAGE - 1)) || gpa < d->ram.size || gpa >= HVM_BELOW_4G_MMIO_START)
		return false;
	for (i = 0; i < GNTTAB_MAX_MAPS; i++)
		if (map_used(&d->gnttab.map[i]) && d->gnttab.map[i].gpa == gpa)
			return false;
	return true;
}

/* A free handle, reserved at gpa; GNTST_* on failure. Called with mt->lock held. */
static int16_t reserve_handle(struct domain *m, uint64_t gpa, unsigned int *h)
{
	struct grant_table *mt = &m->gnttab;

	for (*h = 0; *h < GNTTAB_MAX_MAPS && map_used(&mt->map[*h]); (*h)++)
		;
	if (*h == GNTTAB_MAX_MAPS || *h + 1 >= (unsigned int)m->nr_memslots)
		return GNTST_no_space;
	if (!map_addr_ok(m, gpa))
		return GNTST_bad_virt_addr;
	return GNTST_okay;
}

static int set_slot(struct domain *d, uint32_t slot, uint64_t gpa, void *host, bool readonly)
{
	struct kvm_userspace_memory_region r = {
		.slot = slot,
		.flags = readonly ? KVM_MEM_READONLY : 0,
		.guest_phys_addr = gpa,
		.memory_size = host ? PAGE : 0,
		.userspace_addr = (uintptr_t)host,
	};

	return ioctl(d->vm_fd, KVM_SET_USER_MEMORY_REGION, &r);
}

/* A page a host service granted (dom 0): from its arena, as service_grant.c keeps it. */
static void map_dom0_ref(struct vcpu *v, struct gnttab_map_grant_ref *op)
{
	struct domain *m = v->d;
	struct grant_table *mt = &m->gnttab;
	bool ro = op->flags & GNTMAP_readonly;
	struct arena *a;
	unsigned int h;
	uint32_t sid;
	void *host;

	op->status = dom0_grant_sid(op->ref, &sid);
	if (op->status != GNTST_okay)
		return;
	if (xsm_grant_mapref_service(v, sid, !ro)) {
		op->status = GNTST_permission_denied;
		return;
	}
	op->status = dom0_grant_map(op->ref, m, ro, sid, &host, &a);
	if (op->status != GNTST_okay)
		return;
	pthread_mutex_lock(&mt->lock);
	op->status = reserve_handle(m, op->host_addr, &h);
	if (op->status == GNTST_okay && set_slot(m, h + 1, op->host_addr, host, ro))
		op->status = GNTST_general_error;
	if (op->status == GNTST_okay)
		mt->map[h] = (struct grant_map){ .arena = a, .sid = sid, .ref = op->ref,
						 .gpa = op->host_addr, .host = host,
						 .slot = h + 1, .readonly = ro };
	pthread_mutex_unlock(&mt->lock);
	if (op->status != GNTST_okay) {
		dom0_grant_unmap(op->ref, a);
		return;
	}
	op->handle = h;
	op->dev_bus_addr = 0;
}

static void map_grant_ref(struct vcpu *v, struct gnttab_map_grant_ref *op)
{
	struct domain *m = v->d, *g;
	struct grant_table *mt = &m->gnttab;
	bool ro = op->flags & GNTMAP_readonly;
	int64_t frame;
	unsigned int h;
	void *host;

	op->handle = ~0u;
	if (!(op->flags & GNTMAP_host_map) || (op->flags & (GNTMAP_device_map | GNTMAP_contains_pte))) {
		op->status = GNTST_general_error;
		return;
	}
	if (op->dom == 0 && m->id != 0) {
		map_dom0_ref(v, op);
		return;
	}
	/* A reference on the granter, which a successful mapping keeps. */
	g = op->dom == DOMID_SELF || op->dom == m->id ? m : domain_get(op->dom);
	if (!g) {
		op->status = GNTST_bad_domain;
		return;
	}
	if (g == m)
		domain_hold(m);
	if (xsm_grant_mapref(v, g, !ro)) {
		op->status = GNTST_permission_denied;
		domain_put(g);
		return;
	}
	pthread_mutex_lock(&mt->lock);
	op->status = reserve_handle(m, op->host_addr, &h);
	if (op->status != GNTST_okay)
		goto out_unlock;
	/* Reserve the handle before dropping our lock for the granter's. */
	mt->map[h].granter = g;
	mt->map[h].gpa = op->host_addr;
	pthread_mutex_unlock(&mt->lock);

	pthread_mutex_lock(&g->gnttab.lock);
	frame = grant_acquire(g, op->ref, m->id, ro);
	pthread_mutex_unlock(&g->gnttab.lock);
	if (frame < 0) {
		op->status = (int16_t)frame;
		goto out_free_handle;
	}
	host = mmap(NULL, PAGE, PROT_READ | (ro ? 0 : PROT_WRITE), MAP_SHARED, g->mem_fd,
		    (off_t)frame * PAGE);
	if (host == MAP_FAILED || set_slot(m, h + 1, op->host_addr, host, ro)) {
		if (host != MAP_FAILED)
			munmap(host, PAGE);
		pthread_mutex_lock(&g->gnttab.lock);
		grant_release(g, op->ref, ro);
		pthread_mutex_unlock(&g->gnttab.lock);
		op->status = GNTST_general_error;
		goto out_free_handle;
	}
	pthread_mutex_lock(&mt->lock);
	mt->map[h].ref = op->ref;
	mt->map[h].host = host;
	mt->map[h].slot = h + 1;
	mt->map[h].readonly = ro;
	pthread_mutex_unlock(&mt->lock);
	op->handle = h;
	op->dev_bus_addr = (uint64_t)frame * PAGE;
	op->status = GNTST_okay;
	return;

out_free_handle:
	pthread_mutex_lock(&mt->lock);
	mt->map[h].granter = NULL;
out_unlock:
	pthread_mutex_unlock(&mt->lock);
	domain_put(g);
}

/*
 * Undo mapping h of m. Called with m's map lock not held. v is the vCPU
 * asking, or NULL when bulkhead tears m down (no check).
 */
static int16_t unmap_handle(struct vcpu *v, struct domain *m, unsigned int h, uint64_t gpa,
			    bool check_gpa)
{
	struct grant_table *mt = &m->gnttab;
	struct grant_map mp;

	pthread_mutex_lock(&mt->lock);
	if (h >= GNTTAB_MAX_MAPS || !map_used(&mt->map[h]) || !mt->map[h].host) {
		pthread_mutex_unlock(&mt->lock);
		return GNTST_bad_handle;
	}
	if (check_gpa && mt->map[h].gpa != gpa) {
		pthread_mutex_unlock(&mt->lock);
		return GNTST_bad_virt_addr;
	}
	if (v && (mt->map[h].arena ? xsm_grant_unmapref_service(v, mt->map[h].sid) :
				     xsm_grant_unmapref(v, mt->map[h].granter))) {
		pthread_mutex_unlock(&mt->lock);
		return GNTST_permission_denied;
	}
	mp = mt->map[h];
	/* Gone from the guest before the page goes from us. */
	set_slot(m, mp.slot, mp.gpa, NULL, mp.readonly);
	memset(&mt->map[h], 0, sizeof(mt->map[h]));
	pthread_mutex_unlock(&mt->lock);
	if (mp.arena) {
		dom0_grant_unmap(mp.ref, mp.arena); /* the page is bulkhead's mapping of the arena */
		return GNTST_okay;
	}

	munmap(mp.host, PAGE);
	pthread_mutex_lock(&mp.granter->gnttab.lock);
	grant_release(mp.granter, mp.ref, mp.readonly);
	pthread_mutex_unlock(&mp.granter->gnttab.lock);
	domain_put(mp.granter);
	return GNTST_okay;
}

static void unmap_grant_ref(struct vcpu *v, struct gnttab_unmap_grant_ref *op)
{
	op->status = unmap_handle(v, v->d, op->handle, op->host_addr, true);
}

void grant_table_release_maps(struct domain *d)
{
	unsigned int h;

	if (!d->gnttab.map)
		return;
	for (h = 0; h < GNTTAB_MAX_MAPS; h++)
		if (map_used(&d->gnttab.map[h]))
			unmap_handle(NULL, d, h, 0, false);
}

/* ---- copy ---------------------------------------------------------------- */

struct copy_side {
	struct domain *g; /* with a reference; NULL for a local frame */
	grant_ref_t ref;
	bool pinned;
	uint8_t *page;
};

static int16_t copy_side_get(struct vcpu *v, const struct gnttab_copy_ptr *p, bool is_gref,
			     bool write, struct copy_side *s)
{
	struct domain *d = v->d;
	int64_t frame;

	memset(s, 0, sizeof(*s));
	if (!is_gref) {
		/* A frame of the caller's own. */
		if (p->domid != DOMID_SELF && p->domid != d->id)
			return GNTST_permission_denied;
		if (xsm_grant_copy(v, d))
			return GNTST_permission_denied;
		if (p->u.gmfn > UINT64_MAX / PAGE)
			return GNTST_bad_page;
		s->page = gpa_to_host(&d->ram, p->u.gmfn * PAGE, PAGE);
		return s->page ? GNTST_okay : GNTST_bad_page;
	}
	s->g = p->domid == DOMID_SELF || p->domid == d->id ? d : domain_get(p->domid);
	if (!s->g)
		return GNTST_bad_domain;
	if (s->g == d)
		domain_hold(d);
	if (xsm_grant_copy(v, s->g)) {
		domain_put(s->g);
		s->g = NULL;
		return GNTST_permission_denied;
	}
	pthread_mutex_lock(&s->g->gnttab.lock);
	frame = grant_acquire(s->g, p->u.ref, d->id, !write);
	pthread_mutex_unlock(&s->g->gnttab.lock);
	if (frame < 0)
		return (int16_t)frame;
	s->ref = p->u.ref;
	s->pinned = true;
	s->page = s->g->ram.base + (uint64_t)frame * PAGE;
	return GNTST_okay;
}

static void copy_side_put(struct copy_side *s, bool write)
{
	if (s->pinned) {
		pthread_mutex_lock(&s->g->gnttab.lock);
		grant_release(s->g, s->ref, !write);
		pthread_mutex_unlock(&s->g->gnttab.lock);
	}
	if (s->g)
		domain_put(s->g);
}

static void grant_copy_one(struct vcpu *v, struct gnttab_copy *op)
{
	struct copy_side src, dst;

	/* Each side must stay inside its page. */
	if ((uint32_t)op->source.offset + op->len > PAGE || (uint32_t)op->dest.offset + op->len > PAGE) {
		op->status = GNTST_bad_copy_arg;
		return;
	}
	op->status = copy_side_get(v, &op->source, op->flags & GNTCOPY_source_gref, false, &src);
	if (op->status == GNTST_okay)
		op->status = copy_side_get(v, &op->dest, op->flags & GNTCOPY_dest_gref, true, &dst);
	else
		memset(&dst, 0, sizeof(dst));
	if (op->status == GNTST_okay)
		memmove(dst.page + op->dest.offset, src.page + op->source.offset, op->len);
	copy_side_put(&dst, true);
	copy_side_put(&src, false);
}

int16_t grant_copy_for_dom0(struct domain *g, grant_ref_t ref, uint16_t offset, uint16_t len,
			    void *buf, bool to_guest)
{
	uint8_t *page;
	int64_t frame;

	if ((uint32_t)offset + len > PAGE)
		return GNTST_bad_copy_arg;
	pthread_mutex_lock(&g->gnttab.lock);
	frame = grant_acquire(g, ref, 0, !to_guest);
	pthread_mutex_unlock(&g->gnttab.lock);
	if (frame < 0)
		return (int16_t)frame;
	page = g->ram.base + (uint64_t)frame * PAGE;
	if (to_guest)
		memcpy(page + offset, buf, len);
	else
		memcpy(buf, page + offset, len);
	pthread_mutex_lock(&g->gnttab.lock);
	grant_release(g, ref, !to_guest);
	pthread_mutex_unlock(&g->gnttab.lock);
	return GNTST_okay;
}

/* ---- setup and query ----------------------------------------------------- */

static void setup_table(struct vcpu *v, struct gnttab_setup_table *op)
{
	struct grant_table *gt = &v->d->gnttab;
	xen_pfn_t gpfn[GNTTAB_MAX_FRAMES];
	unsigned int i;

	if (op->dom != DOMID_SELF && op->dom != v->d->id) {
		op->status = GNTST_permission_denied;
		return;
	}
	if (op->nr_frames > GNTTAB_MAX_FRAMES) {
		op->status = GNTST_general_error;
		return;
	}
	if (xsm_grant_setup(v, v->d)) {
		op->status = GNTST_permission_denied;
		return;
	}
	pthread_mutex_lock(&gt->lock);
	op->status = grow_table(gt, op->nr_frames) ? GNTST_no_space : GNTST_okay;
	memcpy(gpfn, gt->frame_gpfn, sizeof(gpfn));
	pthread_mutex_unlock(&gt->lock);
	/* Frame numbers: the guest-physical frame of each placed one, else ~0. */
	for (i = 0; op->status == GNTST_okay && i < op->nr_frames; i++)
		if (guest_copy_to(v, (uintptr_t)op->frame_list.p + i * sizeof(gpfn[i]), &gpfn[i],
				  sizeof(gpfn[i])))
			op->status = GNTST_bad_virt_addr;
}

static void query_size(struct vcpu *v, struct gnttab_query_size *op)
{
	if (op->dom != DOMID_SELF && op->dom != v->d->id) {
		op->status = GNTST_permission_denied;
		return;
	}
	if (xsm_grant_query_size(v, v->d)) {
		op->status = GNTST_permission_denied;
		return;
	}
	pthread_mutex_lock(&v->d->gnttab.lock);
	op->nr_frames = v->d->gnttab.nr_frames;
	pthread_mutex_unlock(&v->d->gnttab.lock);
	op->max_nr_frames = GNTTAB_MAX_FRAMES;
	op->status = GNTST_okay;
}

/*
 * ---- dispatch: count operations of one type, each copied in and out ------
 *
 * Each op reports in its status. One that succeeds must have passed its
 * hook; one refused by its own checks before the hook needs none.
 */

#define GNTTAB_BATCH(type, fn)                                                    \
	do {                                                                      \
		uint64_t i_;                                                      \
		for (i_ = 0; i_ < count; i_++) {                                  \
			type op_;                                                 \
			uint64_t at_ = arg + i_ * sizeof(op_), hooks_;            \
			int rc_;                                                  \
			if (vcpu_should_stop(v))                                  \
				return -XEN_EAGAIN;                               \
			if ((rc_ = guest_copy_from(v, &op_, at_, sizeof(op_))))   \
				return rc_;                                       \
			hooks_ = xsm_hook_calls;                                  \
			fn(v, &op_);                                              \
			if (op_.status == GNTST_okay && xsm_hook_calls == hooks_) \
				hypercall_note_unhooked("grant_table_op", cmd);   \
			if ((rc_ = guest_copy_to(v, at_, &op_, sizeof(op_))))     \
				return rc_;                                       \
		}                                                                 \
		return 0;                                                         \
	} while (0)

long do_grant_table_op(struct vcpu *v, const uint64_t a[5])
{
	unsigned int cmd = (unsigned int)a[0];
	uint64_t arg = a[1];
	uint32_t count = (uint32_t)a[2];

	if (count > GNTTAB_COPY_BATCH_MAX)
		return -XEN_EINVAL;
	switch (cmd) {
	case GNTTABOP_map_grant_ref:
		GNTTAB_BATCH(struct gnttab_map_grant_ref, map_grant_ref);
	case GNTTABOP_unmap_grant_ref:
		GNTTAB_BATCH(struct gnttab_unmap_grant_ref, unmap_grant_ref);
	case GNTTABOP_setup_table:
		GNTTAB_BATCH(struct gnttab_setup_table, setup_table);
	case GNTTABOP_copy:
		GNTTAB_BATCH(struct gnttab_copy, grant_copy_one);
	case GNTTABOP_query_size:
		GNTTAB_BATCH(struct gnttab_query_size, query_size);
	default:
		return -XEN_ENOSYS;
	}
}
