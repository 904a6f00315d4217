/*
 * XSM hook coverage (DESIGN.md 5: "A test walks the dispatch tables and
 * fails on any operation that has no hook").
 *
 * The test keeps its own table of every (hypercall, sub-op) Bulkhead
 * implements, each with a fixture that builds valid arguments and the
 * state the operation needs (a bound channel, a grant entry, a mapping).
 * Then:
 *  - every entry, run by a domain labelled dom0_t, passes at least one
 *    hook (xsm_hook_calls, hypervisor/xsm.h) and does what it should;
 *  - every (hypercall, sub-op) not in the table returns -XEN_ENOSYS, so a
 *    new case in a switch fails here until it is added, with its hook;
 *  - every entry again, by a domain with no permission at all (the
 *    unlabeled initial SID): a checked operation is refused and leaves no
 *    state behind; a "self" one (xsm.h) still passes its hook, unchecked;
 *  - hypercall_unhooked (hypercall.h) stays 0 throughout;
 *  - every control operation (control.h) with a handler is refused to a
 *    subject without permissions, and served to dom0_t.
 *
 * Domains are built by hand, as in test_hypercall_args.c, with Flask
 * enforcing and the shipped policy. They are not in the domain registry
 * (only domain_create adds to it), so domain_get finds neither: a
 * channel between the two is made by hand, labelled as xsm.c labels one,
 * and operations that name the other domain by id reach it only that way.
 * With no VM, a grant map fails at the memslot step, after its hook.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <unistd.h>

#include <xen/xen.h>
#include <xen/event_channel.h>
#include <xen/grant_table.h>
#include <xen/hvm/hvm_op.h>
#include <xen/hvm/params.h>
#include <xen/memory.h>
#include <xen/sched.h>
#include <xen/vcpu.h>
#include <xen/version.h>
#include <xen/xsm/flask_op.h>

#include <bulkhead/abi.h>
#include <bulkhead/control.h>

#include "console.h"
#include "control.h"
#include "domain.h"
#include "evtchn.h"
#include "grant_table.h"
#include "hypercall.h"
#include "log.h"
#include "vcpu.h"
#include "service.h"
#include "xsm.h"
#include "fake_domain.h"
#include "xsm_fixture.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

#define RAM_SIZE (1ull << 20)
#define PAGE GUEST_PAGE_SIZE
#define DOM_A 7
#define DOM_B 9
#define MAX_PORTS 32
#define NR_VCPUS 2

/* Guest-physical layout, the same in both domains. */
#define PML4_GPA 0x1000ull    /* a valid CR3 for VCPUOP_initialise */
#define ARG 0x10000ull        /* the hypercall's argument structure */
#define ARG2 0x11000ull       /* fixtures' own calls */
#define BUF 0x20000ull        /* what arguments point to */
#define SHINFO_GPFN 0x30ull
#define VCPU_INFO_GPFN 0x31ull
#define GT_GPFN 0x40ull       /* grant frame 0 */
#define DATA_PFN 0x50ull      /* the granted page */
#define DST_PFN 0x51ull
#define POLICY_GPA 0x80000ull /* FLASK_LOAD's buffer */
#define MAP_GPA (RAM_SIZE + 0x10000ull) /* where a grant map lands: outside RAM */
#define GREF 1                /* the grant reference fixtures use */
#define A_PORT 3              /* the hand-made channel: A's end... */
#define B_PORT 5              /* ...and B's */

#define CTX_DOM0 XSM_DOMAIN_CTX("dom0_t")
/* Initial SID unlabeled: no rule names unlabeled_t as a source. */
#define CTX_NONE XSM_DOMAIN_CTX("unlabeled_t")

static char *policy;
static size_t policy_len;
static char log_dir[] = "/tmp/bh-test-xsm-cov-XXXXXX";

/* ---- two fake domains ------------------------------------------------------ */

struct world {
	struct domain *a, *b; /* a makes the calls */
};

static struct domain *dom_new(domid_t id, const char *name)
{
	struct domain *d = calloc(1, sizeof(*d));
	char err[256];

	assert_non_null(d);
	d->id = id;
	d->mem_fd = -1;
	d->ram.base = calloc(1, RAM_SIZE);
	assert_non_null(d->ram.base);
	d->ram.size = RAM_SIZE;
	d->nr_memslots = 8;
	assert_int_equal(fake_domain_init(d, NR_VCPUS, true), 0);
	snprintf(d->name, sizeof(d->name), "%s", name);
	assert_int_equal(evtchn_domain_init(d, MAX_PORTS - 1), 0);
	assert_int_equal(console_open(d, err, sizeof(err)), 0);
	return d;
}

static void label(struct domain *d, const char *ctx)
{
	char err[256];

	if (xsm_domain_label(d, ctx, err, sizeof(err)))
		print_error("%s\n", err);
	assert_int_equal(xsm_domain_label(d, ctx, err, sizeof(err)), 0);
}

static void world_new(struct world *w)
{
	w->a = dom_new(DOM_A, "cov-a");
	w->b = dom_new(DOM_B, "cov-b");
	label(w->a, CTX_DOM0);
	label(w->b, CTX_DOM0);
}

/* Close what is open, check that no reference leaked, free. */
static void world_free(struct world *w)
{
	struct domain *d[2] = { w->a, w->b };

	evtchn_close_all(w->a);
	evtchn_close_all(w->b);
	grant_table_release_maps(w->a);
	grant_table_release_maps(w->b);
	for (int i = 0; i < 2; i++) {
		if (atomic_load(&d[i]->refcnt) != 1)
			print_error("domain %u: %d references left\n", d[i]->id,
				    atomic_load(&d[i]->refcnt));
		assert_int_equal(atomic_load(&d[i]->refcnt), 1);
	}
	for (int i = 0; i < 2; i++) {
		console_close(d[i]);
		evtchn_domain_fini(d[i]);
		fake_domain_fini(d[i]);
		free(d[i]->ram.base);
		free(d[i]);
	}
}

static void *gp(struct domain *d, uint64_t gpa)
{
	assert_true(gpa < RAM_SIZE);
	return d->ram.base + gpa;
}

static void put(struct domain *d, uint64_t gpa, const void *p, size_t n)
{
	assert_true(gpa + n <= RAM_SIZE);
	memcpy(gp(d, gpa), p, n);
}

static long hc(struct domain *d, uint64_t nr, const uint64_t a[5])
{
	return hypercall_dispatch(&d->vcpu[0], nr, a, 0);
}

/* A fixture's own call, as the domain's current label; it must work. */
static void must(struct domain *d, uint64_t nr, uint64_t a0, uint64_t a1, uint64_t a2)
{
	const uint64_t a[5] = { a0, a1, a2, 0, 0 };
	long rc = hc(d, nr, a);

	if (rc != 0)
		print_error("fixture call %llu/%llu: %ld\n", (unsigned long long)nr,
			    (unsigned long long)a0, rc);
	assert_int_equal(rc, 0);
}

static void set_args(uint64_t a[5], uint64_t a0, uint64_t a1, uint64_t a2)
{
	a[0] = a0;
	a[1] = a1;
	a[2] = a2;
	a[3] = a[4] = 0;
}

/* ---- fixtures --------------------------------------------------------------- */

/* Grant frame 0 of a placed at GT_GPFN, entry GREF granting DATA_PFN to a itself. */
static void grant_entry(struct world *w)
{
	struct xen_add_to_physmap x = { .domid = DOMID_SELF, .space = XENMAPSPACE_grant_table,
					.idx = 0, .gpfn = GT_GPFN };
	struct grant_entry_v1 e = { .flags = GTF_permit_access, .domid = DOM_A,
				    .frame = DATA_PFN };

	put(w->a, ARG2, &x, sizeof(x));
	must(w->a, __HYPERVISOR_memory_op, XENMEM_add_to_physmap, ARG2, 0);
	put(w->a, GT_GPFN * PAGE + GREF * sizeof(e), &e, sizeof(e));
	for (unsigned int i = 0; i < PAGE; i++)
		((uint8_t *)gp(w->a, DATA_PFN * PAGE))[i] = (uint8_t)(i * 7 + 1);
}

static uint16_t entry_flags(struct domain *d)
{
	return ((struct grant_entry_v1 *)gp(d, GT_GPFN * PAGE))[GREF].flags;
}

/*
 * A's port A_PORT bound to B's port B_PORT, labelled as
 * xsm_evtchn_interdomain labels the ends (type_transition of each owner
 * towards the other), each end holding its peer.
 */
static void channel(struct world *w)
{
	struct evtchn *la = &w->a->evtchn.port[A_PORT], *lb = &w->b->evtchn.port[B_PORT];
	uint32_t sa, sb;

	assert_int_equal(ss_transition_sid(w->a->sid, w->b->sid, SECCLASS_EVENT, &sa), 0);
	assert_int_equal(ss_transition_sid(w->b->sid, w->a->sid, SECCLASS_EVENT, &sb), 0);
	*la = (struct evtchn){ .state = ECS_INTERDOMAIN, .remote_dom = DOM_B,
			       .remote_port = B_PORT, .remote = w->b, .sid = sa };
	*lb = (struct evtchn){ .state = ECS_INTERDOMAIN, .remote_dom = DOM_A,
			       .remote_port = A_PORT, .remote = w->a, .sid = sb };
	domain_hold(w->a);
	domain_hold(w->b);
}

static bool pending(struct domain *d, unsigned int port)
{
	const xen_ulong_t *p = atomic_load(&d->shared_info)->evtchn_pending;

	return p[port / (8 * sizeof(*p))] & (1ull << (port % (8 * sizeof(*p))));
}

static evtchn_port_t fixture_ipi(struct world *w)
{
	struct evtchn_bind_ipi b = { .vcpu = 0 };

	put(w->a, ARG2, &b, sizeof(b));
	must(w->a, __HYPERVISOR_event_channel_op, EVTCHNOP_bind_ipi, ARG2, 0);
	return ((struct evtchn_bind_ipi *)gp(w->a, ARG2))->port;
}

/* xsm_op: the op at ARG, cmd and interface version set, the rest zero. */
static xen_flask_op_t *flask_op(struct world *w, uint64_t a[5], uint32_t cmd)
{
	xen_flask_op_t *op = gp(w->a, ARG);

	memset(op, 0, sizeof(*op));
	op->cmd = cmd;
	op->interface_version = XEN_FLASK_INTERFACE_VERSION;
	set_args(a, ARG, 0, 0);
	return op;
}

static struct vcpu_hvm_context good_ctx(void)
{
	struct vcpu_hvm_context ctx;

	memset(&ctx, 0, sizeof(ctx));
	ctx.mode = VCPU_HVM_MODE_64B;
	ctx.cpu_regs.x86_64.cr0 = 1ull | 1ull << 31;   /* PE, PG */
	ctx.cpu_regs.x86_64.cr3 = PML4_GPA;
	ctx.cpu_regs.x86_64.cr4 = 1ull << 5;           /* PAE */
	ctx.cpu_regs.x86_64.efer = 1ull << 8 | 1ull << 10; /* LME, LMA */
	ctx.cpu_regs.x86_64.rip = 0xffffffff80001000ull;
	ctx.cpu_regs.x86_64.rsp = 0x200000ull;
	return ctx;
}

/* One fixture per entry: state in w, arguments in a (and guest memory). */

static void p_set_timer(struct world *w, uint64_t a[5])
{
	(void)w;
	set_args(a, bh_now_ns() + 10000000000ull, 0, 0);
}

static void p_ver_version(struct world *w, uint64_t a[5])
{
	(void)w;
	set_args(a, XENVER_version, 0, 0);
}

static void p_ver_extraversion(struct world *w, uint64_t a[5])
{
	(void)w;
	set_args(a, XENVER_extraversion, BUF, 0);
}

static void p_ver_get_features(struct world *w, uint64_t a[5])
{
	struct xen_feature_info fi = { .submap_idx = 0 };

	put(w->a, ARG, &fi, sizeof(fi));
	set_args(a, XENVER_get_features, ARG, 0);
}

static void p_ver_pagesize(struct world *w, uint64_t a[5])
{
	(void)w;
	set_args(a, XENVER_pagesize, 0, 0);
}

static void p_console_write(struct world *w, uint64_t a[5])
{
	put(w->a, BUF, "hello\n", 6);
	set_args(a, CONSOLEIO_write, 6, BUF);
}

static void p_physmap_shared_info(struct world *w, uint64_t a[5])
{
	struct xen_add_to_physmap x = { .domid = DOMID_SELF, .space = XENMAPSPACE_shared_info,
					.idx = 0, .gpfn = SHINFO_GPFN };

	put(w->a, ARG, &x, sizeof(x));
	set_args(a, XENMEM_add_to_physmap, ARG, 0);
}

static void p_physmap_grant_table(struct world *w, uint64_t a[5])
{
	struct xen_add_to_physmap x = { .domid = DOM_A, .space = XENMAPSPACE_grant_table,
					.idx = 0, .gpfn = GT_GPFN };

	put(w->a, ARG, &x, sizeof(x));
	set_args(a, XENMEM_add_to_physmap, ARG, 0);
}

static void p_memory_map(struct world *w, uint64_t a[5])
{
	struct xen_memory_map mm = { .nr_entries = 4 };

	mm.buffer.p = (void *)(uintptr_t)BUF;
	put(w->a, ARG, &mm, sizeof(mm));
	set_args(a, XENMEM_memory_map, ARG, 0);
}

static void p_vcpu_initialise(struct world *w, uint64_t a[5])
{
	struct vcpu_hvm_context ctx = good_ctx();

	put(w->a, ARG, &ctx, sizeof(ctx));
	set_args(a, VCPUOP_initialise, 1, ARG);
}

/* vCPU 1 has no context: refused after the hook, before a thread would start. */
static void p_vcpu_up(struct world *w, uint64_t a[5])
{
	(void)w;
	set_args(a, VCPUOP_up, 1, 0);
}

static void p_vcpu_down(struct world *w, uint64_t a[5])
{
	(void)w;
	set_args(a, VCPUOP_down, 1, 0);
}

static void p_vcpu_is_up(struct world *w, uint64_t a[5])
{
	(void)w;
	set_args(a, VCPUOP_is_up, 0, 0);
}

static void p_vcpu_stop_periodic(struct world *w, uint64_t a[5])
{
	(void)w;
	set_args(a, VCPUOP_stop_periodic_timer, 0, 0);
}

static void p_vcpu_singleshot(struct world *w, uint64_t a[5])
{
	struct vcpu_set_singleshot_timer st = { .timeout_abs_ns = bh_now_ns() + 10000000000ull };

	put(w->a, ARG, &st, sizeof(st));
	set_args(a, VCPUOP_set_singleshot_timer, 0, ARG);
}

static void p_vcpu_stop_singleshot(struct world *w, uint64_t a[5])
{
	(void)w;
	set_args(a, VCPUOP_stop_singleshot_timer, 0, 0);
}

static void p_vcpu_register_info(struct world *w, uint64_t a[5])
{
	struct vcpu_register_vcpu_info r = { .mfn = VCPU_INFO_GPFN, .offset = 0 };

	put(w->a, ARG, &r, sizeof(r));
	set_args(a, VCPUOP_register_vcpu_info, 1, ARG);
}

static void p_sched_yield(struct world *w, uint64_t a[5])
{
	(void)w;
	set_args(a, SCHEDOP_yield, 0, 0);
}

/* An upcall already pending: returns at once. */
static void p_sched_block(struct world *w, uint64_t a[5])
{
	vcpu_info_of(&w->a->vcpu[0])->evtchn_upcall_pending = 1;
	set_args(a, SCHEDOP_block, 0, 0);
}

static void p_sched_shutdown(struct world *w, uint64_t a[5])
{
	struct sched_shutdown s = { .reason = SHUTDOWN_poweroff };

	put(w->a, ARG, &s, sizeof(s));
	set_args(a, SCHEDOP_shutdown, ARG, 0);
}

/* A deadline long past: returns at once. */
static void p_sched_poll(struct world *w, uint64_t a[5])
{
	const evtchn_port_t port = 1;
	struct sched_poll sp;

	memset(&sp, 0, sizeof(sp));
	sp.ports.p = (evtchn_port_t *)(uintptr_t)BUF;
	sp.nr_ports = 1;
	sp.timeout = 1;
	put(w->a, BUF, &port, sizeof(port));
	put(w->a, ARG, &sp, sizeof(sp));
	set_args(a, SCHEDOP_poll, ARG, 0);
}

static void p_ev_alloc_unbound(struct world *w, uint64_t a[5])
{
	struct evtchn_alloc_unbound u = { .dom = DOMID_SELF, .remote_dom = DOMID_SELF };

	put(w->a, ARG, &u, sizeof(u));
	set_args(a, EVTCHNOP_alloc_unbound, ARG, 0);
}

/* A remote that does not exist yet: xsm.h defers the check to its bind. */
static void p_ev_alloc_unbound_absent(struct world *w, uint64_t a[5])
{
	struct evtchn_alloc_unbound u = { .dom = DOMID_SELF, .remote_dom = 4321 };

	put(w->a, ARG, &u, sizeof(u));
	set_args(a, EVTCHNOP_alloc_unbound, ARG, 0);
}

/* A loopback: a binds to its own unbound port (the other domain is out of reach). */
static void p_ev_bind_interdomain(struct world *w, uint64_t a[5])
{
	struct evtchn_alloc_unbound u = { .dom = DOMID_SELF, .remote_dom = DOMID_SELF };
	struct evtchn_bind_interdomain b = { .remote_dom = DOMID_SELF };

	put(w->a, ARG2, &u, sizeof(u));
	must(w->a, __HYPERVISOR_event_channel_op, EVTCHNOP_alloc_unbound, ARG2, 0);
	b.remote_port = ((struct evtchn_alloc_unbound *)gp(w->a, ARG2))->port;
	assert_int_equal(w->a->evtchn.port[b.remote_port].state, ECS_UNBOUND);
	assert_int_not_equal(w->a->evtchn.port[b.remote_port].sid, 0);
	put(w->a, ARG, &b, sizeof(b));
	set_args(a, EVTCHNOP_bind_interdomain, ARG, 0);
}

static void p_ev_bind_virq(struct world *w, uint64_t a[5])
{
	struct evtchn_bind_virq b = { .virq = VIRQ_TIMER, .vcpu = 0 };

	put(w->a, ARG, &b, sizeof(b));
	set_args(a, EVTCHNOP_bind_virq, ARG, 0);
}

static void p_ev_close(struct world *w, uint64_t a[5])
{
	struct evtchn_close c = { .port = A_PORT };

	channel(w);
	put(w->a, ARG, &c, sizeof(c));
	set_args(a, EVTCHNOP_close, ARG, 0);
}

static void p_ev_send(struct world *w, uint64_t a[5])
{
	struct evtchn_send s = { .port = A_PORT };

	channel(w);
	put(w->a, ARG, &s, sizeof(s));
	set_args(a, EVTCHNOP_send, ARG, 0);
}

static void p_ev_status(struct world *w, uint64_t a[5])
{
	struct evtchn_status s = { .dom = DOMID_SELF, .port = A_PORT };

	channel(w);
	put(w->a, ARG, &s, sizeof(s));
	set_args(a, EVTCHNOP_status, ARG, 0);
}

static void p_ev_bind_ipi(struct world *w, uint64_t a[5])
{
	struct evtchn_bind_ipi b = { .vcpu = 0 };

	put(w->a, ARG, &b, sizeof(b));
	set_args(a, EVTCHNOP_bind_ipi, ARG, 0);
}

/* An unbound port moves; a per-vCPU IPI or VIRQ_TIMER would not (as in Xen). */
static void p_ev_bind_vcpu(struct world *w, uint64_t a[5])
{
	struct evtchn_alloc_unbound u = { .dom = DOMID_SELF, .remote_dom = DOMID_SELF };
	struct evtchn_bind_vcpu b = { .vcpu = 1 };

	put(w->a, ARG2, &u, sizeof(u));
	must(w->a, __HYPERVISOR_event_channel_op, EVTCHNOP_alloc_unbound, ARG2, 0);
	b.port = ((struct evtchn_alloc_unbound *)gp(w->a, ARG2))->port;
	put(w->a, ARG, &b, sizeof(b));
	set_args(a, EVTCHNOP_bind_vcpu, ARG, 0);
}

static void p_ev_unmask(struct world *w, uint64_t a[5])
{
	struct evtchn_unmask u = { .port = 1 };

	put(w->a, ARG, &u, sizeof(u));
	set_args(a, EVTCHNOP_unmask, ARG, 0);
}

static void p_ev_reset(struct world *w, uint64_t a[5])
{
	struct evtchn_reset r = { .dom = DOMID_SELF };

	fixture_ipi(w);
	put(w->a, ARG, &r, sizeof(r));
	set_args(a, EVTCHNOP_reset, ARG, 0);
}

static void p_hvm_set_param(struct world *w, uint64_t a[5])
{
	struct xen_hvm_param p = { .domid = DOMID_SELF, .index = HVM_PARAM_CALLBACK_IRQ,
				   .value = (uint64_t)HVM_PARAM_CALLBACK_TYPE_VECTOR << 56 | 0xf3 };

	put(w->a, ARG, &p, sizeof(p));
	set_args(a, HVMOP_set_param, ARG, 0);
}

static void p_hvm_get_param(struct world *w, uint64_t a[5])
{
	struct xen_hvm_param p = { .domid = DOMID_SELF, .index = HVM_PARAM_CALLBACK_IRQ };

	put(w->a, ARG, &p, sizeof(p));
	set_args(a, HVMOP_get_param, ARG, 0);
}

static void p_hvm_upcall_vector(struct world *w, uint64_t a[5])
{
	struct xen_hvm_evtchn_upcall_vector uv = { .vcpu = 0, .vector = 0xf3 };

	put(w->a, ARG, &uv, sizeof(uv));
	set_args(a, HVMOP_set_evtchn_upcall_vector, ARG, 0);
}

static void p_gnt_setup(struct world *w, uint64_t a[5])
{
	struct gnttab_setup_table op;

	memset(&op, 0, sizeof(op));
	op.dom = DOMID_SELF;
	op.nr_frames = 1;
	op.frame_list.p = (xen_pfn_t *)(uintptr_t)BUF;
	put(w->a, ARG, &op, sizeof(op));
	set_args(a, GNTTABOP_setup_table, ARG, 1);
}

static void p_gnt_query(struct world *w, uint64_t a[5])
{
	struct gnttab_query_size op = { .dom = DOMID_SELF };

	put(w->a, ARG, &op, sizeof(op));
	set_args(a, GNTTABOP_query_size, ARG, 1);
}

static void p_gnt_map(struct world *w, uint64_t a[5])
{
	struct gnttab_map_grant_ref op = { .host_addr = MAP_GPA, .flags = GNTMAP_host_map,
					   .ref = GREF, .dom = DOMID_SELF };

	grant_entry(w);
	put(w->a, ARG, &op, sizeof(op));
	set_args(a, GNTTABOP_map_grant_ref, ARG, 1);
}

/* A mapping as map_grant_ref leaves one: handle 0, a pin, the entry busy, a reference. */
static void p_gnt_unmap(struct world *w, uint64_t a[5])
{
	struct gnttab_unmap_grant_ref op = { .host_addr = MAP_GPA, .handle = 0 };
	struct grant_table *gt = &w->a->gnttab;
	void *host;

	grant_entry(w);
	host = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	assert_true(host != MAP_FAILED);
	gt->map[0] = (struct grant_map){ .granter = w->a, .ref = GREF, .gpa = MAP_GPA,
					 .host = host, .slot = 1 };
	domain_hold(w->a);
	gt->pin[GREF].writers = 1;
	((struct grant_entry_v1 *)gp(w->a, GT_GPFN * PAGE))[GREF].flags |= GTF_reading | GTF_writing;
	put(w->a, ARG, &op, sizeof(op));
	set_args(a, GNTTABOP_unmap_grant_ref, ARG, 1);
}

static void p_gnt_copy(struct world *w, uint64_t a[5])
{
	struct gnttab_copy op;

	grant_entry(w);
	memset(&op, 0, sizeof(op));
	op.source.u.ref = GREF;
	op.source.domid = DOMID_SELF;
	op.dest.u.gmfn = DST_PFN;
	op.dest.domid = DOMID_SELF;
	op.len = 64;
	op.flags = GNTCOPY_source_gref;
	put(w->a, ARG, &op, sizeof(op));
	set_args(a, GNTTABOP_copy, ARG, 1);
}

static void p_flask_load(struct world *w, uint64_t a[5])
{
	xen_flask_op_t *op = flask_op(w, a, FLASK_LOAD);

	assert_true(policy_len <= RAM_SIZE - POLICY_GPA);
	put(w->a, POLICY_GPA, policy, policy_len);
	op->u.load.buffer.p = (char *)(uintptr_t)POLICY_GPA;
	op->u.load.size = policy_len;
}

static void p_flask_getenforce(struct world *w, uint64_t a[5])
{
	flask_op(w, a, FLASK_GETENFORCE);
}

static void p_flask_setenforce(struct world *w, uint64_t a[5])
{
	flask_op(w, a, FLASK_SETENFORCE)->u.enforce.enforcing = 1;
}

static void p_flask_context_to_sid(struct world *w, uint64_t a[5])
{
	xen_flask_op_t *op = flask_op(w, a, FLASK_CONTEXT_TO_SID);

	put(w->a, BUF, CTX_DOM0, strlen(CTX_DOM0));
	op->u.sid_context.size = strlen(CTX_DOM0);
	op->u.sid_context.context.p = (char *)(uintptr_t)BUF;
}

static void p_flask_sid_to_context(struct world *w, uint64_t a[5])
{
	xen_flask_op_t *op = flask_op(w, a, FLASK_SID_TO_CONTEXT);

	op->u.sid_context.sid = SECINITSID_DOM0;
	op->u.sid_context.size = 256;
	op->u.sid_context.context.p = (char *)(uintptr_t)BUF;
}

static void p_flask_access(struct world *w, uint64_t a[5])
{
	xen_flask_op_t *op = flask_op(w, a, FLASK_ACCESS);

	op->u.access.ssid = SECINITSID_DOM0;
	op->u.access.tsid = SECINITSID_SECURITY;
	op->u.access.tclass = 1;
}

static void p_flask_create(struct world *w, uint64_t a[5])
{
	xen_flask_op_t *op = flask_op(w, a, FLASK_CREATE);

	op->u.transition.ssid = op->u.transition.tsid = SECINITSID_DOM0;
	op->u.transition.tclass = 1;
}

static void p_flask_member(struct world *w, uint64_t a[5])
{
	xen_flask_op_t *op = flask_op(w, a, FLASK_MEMBER);

	op->u.transition.ssid = op->u.transition.tsid = SECINITSID_DOM0;
	op->u.transition.tclass = 1;
}

static void p_flask_policyvers(struct world *w, uint64_t a[5])
{
	flask_op(w, a, FLASK_POLICYVERS);
}

static void p_flask_getbool(struct world *w, uint64_t a[5])
{
	flask_op(w, a, FLASK_GETBOOL)->u.boolean.bool_id = 0;
}

/* Bool 0 to its current value, committed: the call works and changes nothing. */
static void p_flask_setbool(struct world *w, uint64_t a[5])
{
	xen_flask_op_t *op = flask_op(w, a, FLASK_SETBOOL);
	int cur, pend;

	assert_int_equal(ss_bool_get(0, NULL, &cur, &pend), 0);
	op->u.boolean.bool_id = 0;
	op->u.boolean.new_value = cur;
	op->u.boolean.commit = 1;
}

static void p_flask_commitbools(struct world *w, uint64_t a[5])
{
	flask_op(w, a, FLASK_COMMITBOOLS);
}

static void p_flask_mls(struct world *w, uint64_t a[5])
{
	flask_op(w, a, FLASK_MLS);
}

static void p_flask_cachestats(struct world *w, uint64_t a[5])
{
	flask_op(w, a, FLASK_AVC_CACHESTATS)->u.cache_stats.cpu = 0;
}

/* ---- what an allowed call did ------------------------------------------------ */

static void c_shared_info(struct world *w)
{
	assert_int_equal(w->a->shared_info_gpa, SHINFO_GPFN * PAGE);
}

static void c_grant_table(struct world *w)
{
	assert_int_equal(w->a->gnttab.nr_frames, 1);
	assert_int_equal(w->a->gnttab.frame_gpfn[0], GT_GPFN);
}

static void c_shutdown(struct world *w)
{
	assert_int_equal(atomic_load(&w->a->state), DOMAIN_SHUTDOWN);
	assert_int_equal(w->a->shutdown_reason, SHUTDOWN_poweroff);
}

static void c_alloc_unbound(struct world *w)
{
	evtchn_port_t p = ((struct evtchn_alloc_unbound *)gp(w->a, ARG))->port;

	assert_int_equal(w->a->evtchn.port[p].state, ECS_UNBOUND);
	assert_int_not_equal(w->a->evtchn.port[p].sid, 0);
}

static void c_alloc_unbound_absent(struct world *w)
{
	evtchn_port_t p = ((struct evtchn_alloc_unbound *)gp(w->a, ARG))->port;

	assert_int_equal(w->a->evtchn.port[p].state, ECS_UNBOUND);
	assert_int_equal(w->a->evtchn.port[p].sid, 0); /* labelled when the remote binds */
}

static void c_bind_interdomain(struct world *w)
{
	const struct evtchn_bind_interdomain *b = gp(w->a, ARG);

	assert_int_equal(w->a->evtchn.port[b->local_port].state, ECS_INTERDOMAIN);
	assert_int_equal(w->a->evtchn.port[b->remote_port].state, ECS_INTERDOMAIN);
	assert_int_not_equal(w->a->evtchn.port[b->local_port].sid, 0);
}

static void c_close(struct world *w)
{
	assert_int_equal(w->a->evtchn.port[A_PORT].state, ECS_FREE);
	assert_int_equal(w->b->evtchn.port[B_PORT].state, ECS_UNBOUND);
}

static void c_send(struct world *w)
{
	assert_true(pending(w->b, B_PORT));
}

static void c_status(struct world *w)
{
	const struct evtchn_status *s = gp(w->a, ARG);

	assert_int_equal(s->status, EVTCHNSTAT_interdomain);
	assert_int_equal(s->u.interdomain.dom, DOM_B);
	assert_int_equal(s->u.interdomain.port, B_PORT);
}

static void c_reset(struct world *w)
{
	for (unsigned int p = 0; p < w->a->evtchn.max_ports; p++)
		assert_int_equal(w->a->evtchn.port[p].state, ECS_FREE);
}

static void c_set_param(struct world *w)
{
	assert_int_equal(atomic_load(&w->a->callback_vector), 0xf3);
}

static void c_gnt_map(struct world *w)
{
	/* No VM: refused at the memslot, with nothing held. */
	assert_null(w->a->gnttab.map[0].granter);
	assert_int_equal(w->a->gnttab.pin[GREF].writers, 0);
	assert_int_equal(entry_flags(w->a) & (GTF_reading | GTF_writing), 0);
}

static void c_gnt_unmap(struct world *w)
{
	assert_null(w->a->gnttab.map[0].granter);
	assert_int_equal(w->a->gnttab.pin[GREF].writers, 0);
	assert_int_equal(entry_flags(w->a) & (GTF_reading | GTF_writing), 0);
}

static void c_gnt_copy(struct world *w)
{
	assert_memory_equal(gp(w->a, DST_PFN * PAGE), gp(w->a, DATA_PFN * PAGE), 64);
}

/* ---- the table ------------------------------------------------------------------ */

enum hook_kind {
	CHECKED,  /* asks Flask: a subject without permissions is refused */
	SELF,     /* xsm.h's self hooks: counted, nothing checked */
	OPEN,     /* a FLASK operation Xen leaves unchecked (getenforce): the same for all */
	DEFERRED, /* counted; the check happens later (none today: kept for the next such op) */
};

#define ANY_CMD UINT64_MAX /* set_timer_op: a[0] is a deadline, not a sub-op */
#define NO_STATUS INT16_MIN

struct hc_case {
	const char *name;
	uint64_t nr, cmd;
	enum hook_kind kind;
	void (*prepare)(struct world *w, uint64_t a[5]);
	long rc;             /* what the call returns to dom0_t */
	int16_t status;      /* grant ops: the op's status, at ARG + status_off */
	size_t status_off;
	void (*check)(struct world *w);
};

#define HC(nm, n, c, k, p, r, chk) { nm, __HYPERVISOR_##n, c, k, p, r, NO_STATUS, 0, chk }
#define GNT(nm, c, p, st, type, chk)                                                    \
	{ nm, __HYPERVISOR_grant_table_op, c, CHECKED, p, 0, st, offsetof(type, status), chk }

static const struct hc_case cases[] = {
	HC("set_timer_op", set_timer_op, ANY_CMD, SELF, p_set_timer, 0, NULL),

	HC("xen_version version", xen_version, XENVER_version, SELF, p_ver_version,
	   (BH_XEN_MAJOR << 16) | BH_XEN_MINOR, NULL),
	HC("xen_version extraversion", xen_version, XENVER_extraversion, CHECKED,
	   p_ver_extraversion, 0, NULL),
	HC("xen_version get_features", xen_version, XENVER_get_features, SELF,
	   p_ver_get_features, 0, NULL),
	HC("xen_version pagesize", xen_version, XENVER_pagesize, CHECKED, p_ver_pagesize, PAGE,
	   NULL),

	HC("console_io write", console_io, CONSOLEIO_write, CHECKED, p_console_write, 0, NULL),

	HC("memory_op add_to_physmap shared_info", memory_op, XENMEM_add_to_physmap, CHECKED,
	   p_physmap_shared_info, 0, c_shared_info),
	HC("memory_op add_to_physmap grant_table", memory_op, XENMEM_add_to_physmap, CHECKED,
	   p_physmap_grant_table, 0, c_grant_table),
	HC("memory_op memory_map", memory_op, XENMEM_memory_map, SELF, p_memory_map, 0, NULL),

	HC("vcpu_op initialise", vcpu_op, VCPUOP_initialise, SELF, p_vcpu_initialise, 0, NULL),
	HC("vcpu_op up", vcpu_op, VCPUOP_up, SELF, p_vcpu_up, -XEN_EINVAL, NULL),
	HC("vcpu_op down", vcpu_op, VCPUOP_down, SELF, p_vcpu_down, 0, NULL),
	HC("vcpu_op is_up", vcpu_op, VCPUOP_is_up, SELF, p_vcpu_is_up, 1, NULL),
	HC("vcpu_op stop_periodic_timer", vcpu_op, VCPUOP_stop_periodic_timer, SELF,
	   p_vcpu_stop_periodic, 0, NULL),
	HC("vcpu_op set_singleshot_timer", vcpu_op, VCPUOP_set_singleshot_timer, SELF,
	   p_vcpu_singleshot, 0, NULL),
	HC("vcpu_op stop_singleshot_timer", vcpu_op, VCPUOP_stop_singleshot_timer, SELF,
	   p_vcpu_stop_singleshot, 0, NULL),
	HC("vcpu_op register_vcpu_info", vcpu_op, VCPUOP_register_vcpu_info, SELF,
	   p_vcpu_register_info, 0, NULL),

	HC("sched_op yield", sched_op, SCHEDOP_yield, SELF, p_sched_yield, 0, NULL),
	HC("sched_op block", sched_op, SCHEDOP_block, SELF, p_sched_block, 0, NULL),
	HC("sched_op shutdown", sched_op, SCHEDOP_shutdown, SELF, p_sched_shutdown, 0, c_shutdown),
	HC("sched_op poll", sched_op, SCHEDOP_poll, SELF, p_sched_poll, 0, NULL),

	HC("evtchn alloc_unbound", event_channel_op, EVTCHNOP_alloc_unbound, CHECKED,
	   p_ev_alloc_unbound, 0, c_alloc_unbound),
	HC("evtchn alloc_unbound (absent remote)", event_channel_op, EVTCHNOP_alloc_unbound,
	   CHECKED, p_ev_alloc_unbound_absent, 0, c_alloc_unbound_absent),
	HC("evtchn bind_interdomain", event_channel_op, EVTCHNOP_bind_interdomain, CHECKED,
	   p_ev_bind_interdomain, 0, c_bind_interdomain),
	HC("evtchn bind_virq", event_channel_op, EVTCHNOP_bind_virq, SELF, p_ev_bind_virq, 0, NULL),
	HC("evtchn close", event_channel_op, EVTCHNOP_close, SELF, p_ev_close, 0, c_close),
	HC("evtchn send", event_channel_op, EVTCHNOP_send, CHECKED, p_ev_send, 0, c_send),
	HC("evtchn status", event_channel_op, EVTCHNOP_status, CHECKED, p_ev_status, 0, c_status),
	HC("evtchn bind_ipi", event_channel_op, EVTCHNOP_bind_ipi, SELF, p_ev_bind_ipi, 0, NULL),
	HC("evtchn bind_vcpu", event_channel_op, EVTCHNOP_bind_vcpu, SELF, p_ev_bind_vcpu, 0, NULL),
	HC("evtchn unmask", event_channel_op, EVTCHNOP_unmask, SELF, p_ev_unmask, 0, NULL),
	HC("evtchn reset", event_channel_op, EVTCHNOP_reset, CHECKED, p_ev_reset, 0, c_reset),

	HC("hvm_op set_param", hvm_op, HVMOP_set_param, CHECKED, p_hvm_set_param, 0, c_set_param),
	HC("hvm_op get_param", hvm_op, HVMOP_get_param, CHECKED, p_hvm_get_param, 0, NULL),
	HC("hvm_op set_evtchn_upcall_vector", hvm_op, HVMOP_set_evtchn_upcall_vector, SELF,
	   p_hvm_upcall_vector, 0, NULL),

	GNT("grant setup_table", GNTTABOP_setup_table, p_gnt_setup, GNTST_okay,
	    struct gnttab_setup_table, NULL),
	GNT("grant query_size", GNTTABOP_query_size, p_gnt_query, GNTST_okay,
	    struct gnttab_query_size, NULL),
	GNT("grant map_grant_ref", GNTTABOP_map_grant_ref, p_gnt_map, GNTST_general_error,
	    struct gnttab_map_grant_ref, c_gnt_map),
	GNT("grant unmap_grant_ref", GNTTABOP_unmap_grant_ref, p_gnt_unmap, GNTST_okay,
	    struct gnttab_unmap_grant_ref, c_gnt_unmap),
	GNT("grant copy", GNTTABOP_copy, p_gnt_copy, GNTST_okay, struct gnttab_copy, c_gnt_copy),

	HC("xsm_op load", xsm_op, FLASK_LOAD, CHECKED, p_flask_load, 0, NULL),
	HC("xsm_op getenforce", xsm_op, FLASK_GETENFORCE, OPEN, p_flask_getenforce, 1, NULL),
	HC("xsm_op setenforce", xsm_op, FLASK_SETENFORCE, CHECKED, p_flask_setenforce, 0, NULL),
	HC("xsm_op context_to_sid", xsm_op, FLASK_CONTEXT_TO_SID, CHECKED,
	   p_flask_context_to_sid, 0, NULL),
	HC("xsm_op sid_to_context", xsm_op, FLASK_SID_TO_CONTEXT, CHECKED,
	   p_flask_sid_to_context, 0, NULL),
	HC("xsm_op access", xsm_op, FLASK_ACCESS, CHECKED, p_flask_access, 0, NULL),
	HC("xsm_op create", xsm_op, FLASK_CREATE, CHECKED, p_flask_create, 0, NULL),
	HC("xsm_op member", xsm_op, FLASK_MEMBER, CHECKED, p_flask_member, 0, NULL),
	HC("xsm_op policyvers", xsm_op, FLASK_POLICYVERS, CHECKED, p_flask_policyvers,
	   SS_POLICYVERS_MAX, NULL),
	HC("xsm_op getbool", xsm_op, FLASK_GETBOOL, CHECKED, p_flask_getbool, 0, NULL),
	HC("xsm_op setbool", xsm_op, FLASK_SETBOOL, CHECKED, p_flask_setbool, 0, NULL),
	HC("xsm_op commitbools", xsm_op, FLASK_COMMITBOOLS, CHECKED, p_flask_commitbools, 0, NULL),
	HC("xsm_op mls", xsm_op, FLASK_MLS, CHECKED, p_flask_mls, 0, NULL),
	HC("xsm_op avc_cachestats", xsm_op, FLASK_AVC_CACHESTATS, CHECKED, p_flask_cachestats, 0,
	   NULL),
};

static bool in_table(uint64_t nr, uint64_t cmd)
{
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++)
		if (cases[i].nr == nr && (cases[i].cmd == cmd || cases[i].cmd == ANY_CMD))
			return true;
	return false;
}

/* ---- state that a refused call must not change ----------------------------------- */

struct dom_snap {
	struct evtchn port[MAX_PORTS];
	uint32_t virq_port[XLCFG_VCPUS_MAX][NR_VIRQS];
	unsigned int nr_frames;
	uint64_t frame_gpfn[GNTTAB_MAX_FRAMES];
	struct grant_map map[GNTTAB_MAX_MAPS];
	struct grant_pin pin[GNTTAB_ENTRIES_PER_FRAME];
	struct shared_info *shared_info;
	uint64_t shared_info_gpa;
	uint8_t shared_info_page[PAGE];
	uint64_t hvm_param[HVM_NR_PARAMS];
	unsigned int callback_vector;
	struct {
		struct vcpu_info *vcpu_info;
		bool registered, initialised, online;
		uint8_t upcall_vector;
		uint64_t timer_deadline;
	} vcpu[NR_VCPUS];
	int state, shutdown_reason, refcnt;
	uint64_t console_bytes;
	size_t console_len;
	uint8_t ram[RAM_SIZE];
};

struct snap {
	struct dom_snap d[2];
	uint32_t seqno;
	bool enforcing;
	int bools[16][2];
};

static void dom_snap(struct dom_snap *s, struct domain *d)
{
	memset(s, 0, sizeof(*s));
	memcpy(s->port, d->evtchn.port, sizeof(s->port));
	memcpy(s->virq_port, d->evtchn.virq_port, sizeof(s->virq_port));
	s->nr_frames = d->gnttab.nr_frames;
	memcpy(s->frame_gpfn, d->gnttab.frame_gpfn, sizeof(s->frame_gpfn));
	memcpy(s->map, d->gnttab.map, sizeof(s->map));
	if (d->gnttab.nr_frames)
		memcpy(s->pin, d->gnttab.pin, sizeof(s->pin));
	s->shared_info = atomic_load(&d->shared_info);
	s->shared_info_gpa = d->shared_info_gpa;
	memcpy(s->shared_info_page, s->shared_info, PAGE);
	memcpy(s->hvm_param, d->hvm_param, sizeof(s->hvm_param));
	s->callback_vector = atomic_load(&d->callback_vector);
	for (int i = 0; i < NR_VCPUS; i++) {
		struct vcpu *v = &d->vcpu[i];

		s->vcpu[i].vcpu_info = vcpu_info_of(v);
		s->vcpu[i].registered = v->vcpu_info_registered;
		s->vcpu[i].initialised = v->initialised;
		s->vcpu[i].online = atomic_load(&v->online);
		s->vcpu[i].upcall_vector = v->upcall_vector;
		s->vcpu[i].timer_deadline = v->timer_deadline;
	}
	s->state = atomic_load(&d->state);
	s->shutdown_reason = d->shutdown_reason;
	s->refcnt = atomic_load(&d->refcnt);
	s->console_bytes = d->console_bytes;
	s->console_len = d->console_len;
	memcpy(s->ram, d->ram.base, RAM_SIZE);
	/* The argument page: a grant op writes its status back there. */
	memset(s->ram + ARG, 0, PAGE);
}

static void take_snap(struct snap *s, struct world *w)
{
	int n = ss_bool_count();

	dom_snap(&s->d[0], w->a);
	dom_snap(&s->d[1], w->b);
	s->seqno = ss_seqno();
	s->enforcing = avc_enforcing();
	assert_true(n <= (int)ARRAY_SIZE(s->bools));
	memset(s->bools, 0, sizeof(s->bools));
	for (int i = 0; i < n; i++)
		assert_int_equal(ss_bool_get(i, NULL, &s->bools[i][0], &s->bools[i][1]), 0);
}

/* Print every part that differs; returns how many. */
static int snap_diff(const char *what, const struct snap *x, const struct snap *y)
{
	int bad = 0;

#define SAME(f)                                                                  \
	do {                                                                     \
		if (memcmp(&x->f, &y->f, sizeof(x->f))) {                        \
			print_error("%s: %s changed\n", what, #f);               \
			bad++;                                                   \
		}                                                                \
	} while (0)
	for (int i = 0; i < 2; i++) {
		SAME(d[i].port);
		SAME(d[i].virq_port);
		SAME(d[i].nr_frames);
		SAME(d[i].frame_gpfn);
		SAME(d[i].map);
		SAME(d[i].pin);
		SAME(d[i].shared_info);
		SAME(d[i].shared_info_gpa);
		SAME(d[i].shared_info_page);
		SAME(d[i].hvm_param);
		SAME(d[i].callback_vector);
		SAME(d[i].vcpu);
		SAME(d[i].state);
		SAME(d[i].shutdown_reason);
		SAME(d[i].refcnt);
		SAME(d[i].console_bytes);
		SAME(d[i].console_len);
		SAME(d[i].ram);
	}
	SAME(seqno);
	SAME(enforcing);
	SAME(bools);
#undef SAME
	return bad;
}

/* ---- setup ----------------------------------------------------------------------- */

static int group_setup(void **state)
{
	(void)state;
	bh_log_init("test_xsm_coverage", BH_LOG_ERR);
	if (!mkdtemp(log_dir))
		return -1;
	bh_settings.log_dir = log_dir;
	domain_event_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (domain_event_fd < 0)
		return -1;
	return xsm_start(&policy, &policy_len);
}

static int group_teardown(void **state)
{
	char path[sizeof(log_dir) + 32];

	(void)state;
	snprintf(path, sizeof(path), "%s/guest-cov-a.log", log_dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/guest-cov-b.log", log_dir);
	unlink(path);
	rmdir(log_dir);
	close(domain_event_fd);
	domain_event_fd = -1;
	free(policy);
	return 0;
}

/* Enforcing, every boolean at its default: what a test may have changed. */
static int setup(void **state)
{
	int n = ss_bool_count();

	(void)state;
	avc_set_enforcing(true);
	for (int i = 0; i < n; i++)
		ss_bool_set_pending(i, 0);
	ss_bool_commit();
	atomic_store(&hypercall_unhooked, 0);
	return 0;
}

/* ---- tests ----------------------------------------------------------------------- */

/* Every hypercall the dispatcher routes has entries, and only those. */
static void test_table_matches_dispatch(void **state)
{
	(void)state;
	for (uint64_t nr = 0; nr < NR_HYPERCALLS; nr++) {
		bool listed = false;

		for (size_t i = 0; i < ARRAY_SIZE(cases); i++)
			listed |= cases[i].nr == nr;
		if (listed != (hypercall_table[nr].fn != NULL))
			print_error("hypercall %llu (%s): %s\n", (unsigned long long)nr,
				    hypercall_table[nr].name ? hypercall_table[nr].name : "-",
				    listed ? "in the test's table but not dispatched"
					   : "dispatched but not in the test's table");
		assert_int_equal(listed, hypercall_table[nr].fn != NULL);
	}
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		assert_true(cases[i].nr < NR_HYPERCALLS);
		assert_int_not_equal(cases[i].rc, -XEN_ENOSYS);
	}
}

/*
 * Run one entry: a is labelled `prep` while the fixture builds its state
 * and `ctx` for the call. Returns the result (grant ops: the op's status).
 */
static long run_case(const struct hc_case *c, const char *prep, const char *ctx,
		     struct snap *before, struct snap *after, struct world *w, uint64_t *hooks)
{
	uint64_t a[5], h0;
	long rc;

	label(w->a, prep);
	c->prepare(w, a);
	label(w->a, ctx);
	if (before)
		take_snap(before, w);
	h0 = xsm_hook_calls;
	rc = hc(w->a, c->nr, a);
	*hooks = xsm_hook_calls - h0;
	if (after)
		take_snap(after, w);
	if (c->status != NO_STATUS) {
		/* Grant ops: 0, and the result in the op. */
		assert_int_equal(rc, 0);
		rc = *(int16_t *)gp(w->a, ARG + c->status_off);
	}
	return rc;
}

static void test_every_entry_passes_a_hook(void **state)
{
	int wrong = 0;

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		const struct hc_case *c = &cases[i];
		const long want = c->status != NO_STATUS ? c->status : c->rc;
		struct world w;
		uint64_t hooks;
		long rc;

		world_new(&w);
		rc = run_case(c, CTX_DOM0, CTX_DOM0, NULL, NULL, &w, &hooks);
		if (hooks == 0 || rc != want) {
			print_error("%s: %llu hooks, result %ld (expected %ld)\n", c->name,
				    (unsigned long long)hooks, rc, want);
			wrong++;
		} else if (c->check) {
			c->check(&w);
		}
		world_free(&w);
	}
	assert_int_equal(wrong, 0);
	assert_int_equal(atomic_load(&hypercall_unhooked), 0);
}

/*
 * A guest does on itself everything dom0_t does (macros.spt guest_base),
 * and none of the FLASK operations. B, the other end of a channel, stays
 * dom0_t, which every domain may reach.
 */
static void test_guest_labels(void **state)
{
	static const char *const guests[] = {
		XSM_DOMAIN_CTX("appvm_t"), XSM_DOMAIN_CTX("isolated_t"),
		XSM_DOMAIN_CTX("dispvm_t"), XSM_DOMAIN_CTX("netback_t"),
	};
	int wrong = 0;

	(void)state;
	for (size_t g = 0; g < ARRAY_SIZE(guests); g++) {
		for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
			const struct hc_case *c = &cases[i];
			long want = c->status != NO_STATUS ? c->status : c->rc;
			struct world w;
			uint64_t hooks;
			long rc;

			if (c->nr == __HYPERVISOR_xsm_op && c->kind == CHECKED)
				want = -XEN_EACCES;
			world_new(&w);
			rc = run_case(c, guests[g], guests[g], NULL, NULL, &w, &hooks);
			if (hooks == 0 || rc != want) {
				print_error("%s as %s: %llu hooks, result %ld (expected %ld)\n",
					    c->name, guests[g], (unsigned long long)hooks, rc, want);
				wrong++;
			}
			world_free(&w);
		}
	}
	assert_int_equal(wrong, 0);
	assert_int_equal(atomic_load(&hypercall_unhooked), 0);
}

/*
 * The sub-op values the sweep tries: 0..63 all, 64..511 spot-checked, and
 * 32-bit extremes. Not wider ones: as in Xen, most families take the
 * sub-op as an int, so 2^32 + n is sub-op n.
 */
static size_t sweep_cmds(uint64_t *out, size_t max)
{
	static const uint64_t extremes[] = { 0x7fffffff, 0x80000000, 0xfffffffe, 0xffffffff };
	size_t n = 0;

	for (uint64_t c = 0; c < 64; c++)
		out[n++] = c;
	for (uint64_t c = 64; c < 512; c += 7)
		out[n++] = c;
	for (size_t i = 0; i < ARRAY_SIZE(extremes); i++)
		out[n++] = extremes[i];
	assert_true(n <= max);
	return n;
}

/* Arguments where each family expects them, pointing at zeroed guest memory. */
static void sweep_args(struct world *w, uint64_t nr, uint64_t cmd, uint64_t a[5])
{
	memset(gp(w->a, ARG), 0, PAGE);
	switch (nr) {
	case __HYPERVISOR_vcpu_op:
		set_args(a, cmd, 0, ARG); /* vCPU 0 exists */
		break;
	case __HYPERVISOR_grant_table_op:
		set_args(a, cmd, ARG, 1);
		break;
	case __HYPERVISOR_xsm_op:
		flask_op(w, a, (uint32_t)cmd);
		break;
	default:
		set_args(a, cmd, ARG, ARG2);
		break;
	}
}

static void test_everything_else_is_enosys(void **state)
{
	uint64_t cmds[160];
	size_t ncmds = sweep_cmds(cmds, ARRAY_SIZE(cmds));
	unsigned int wrong = 0, calls = 0;

	(void)state;
	for (uint64_t nr = 0; nr < NR_HYPERCALLS; nr++) {
		struct world w;

		world_new(&w);
		for (size_t i = 0; i < ncmds; i++) {
			uint64_t a[5], h0;
			long rc;

			if (in_table(nr, cmds[i]) && nr != __HYPERVISOR_set_timer_op)
				continue;
			sweep_args(&w, nr, cmds[i], a);
			h0 = xsm_hook_calls;
			rc = hc(w.a, nr, a);
			calls++;
			if (nr == __HYPERVISOR_set_timer_op) {
				/* Every value is a deadline: every call is the operation. */
				if (rc != 0 || xsm_hook_calls == h0) {
					print_error("set_timer_op(%#llx): %ld, no hook\n",
						    (unsigned long long)cmds[i], rc);
					wrong++;
				}
				continue;
			}
			if (rc != -XEN_ENOSYS) {
				print_error("%s (%llu) sub-op %#llx: %ld, not in the test's table\n",
					    hypercall_table[nr].name ? hypercall_table[nr].name : "-",
					    (unsigned long long)nr, (unsigned long long)cmds[i], rc);
				wrong++;
			}
			/* No handler at all: not even a hook runs. */
			if (!hypercall_table[nr].fn && xsm_hook_calls != h0)
				wrong++;
		}
		world_free(&w);
	}
	assert_int_equal(wrong, 0);
	assert_true(calls > NR_HYPERCALLS * 100);
	assert_int_equal(atomic_load(&hypercall_unhooked), 0);
}

static void test_every_checked_entry_is_denied(void **state)
{
	struct snap *before = malloc(sizeof(*before)), *after = malloc(sizeof(*after));
	int wrong = 0, checked = 0;

	(void)state;
	assert_non_null(before);
	assert_non_null(after);
	/* The label has no permission of any class at all. */
	assert_int_equal(xsm_sid(CTX_NONE), SECINITSID_UNLABELED);
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		const struct hc_case *c = &cases[i];
		const long allowed = c->status != NO_STATUS ? c->status : c->rc;
		struct world w;
		uint64_t hooks;
		long rc;

		world_new(&w);
		rc = run_case(c, CTX_DOM0, CTX_NONE, before, after, &w, &hooks);
		if (hooks == 0) {
			print_error("%s: no hook without permissions\n", c->name);
			wrong++;
		}
		switch (c->kind) {
		case CHECKED: {
			const long denied = c->status != NO_STATUS ? GNTST_permission_denied
								   : -XEN_EACCES;

			checked++;
			if (rc != denied) {
				print_error("%s: %ld without permissions (expected %ld)\n", c->name, rc,
					    denied);
				wrong++;
			}
			wrong += snap_diff(c->name, before, after);
			break;
		}
		case SELF:
		case OPEN:
		case DEFERRED:
			/* Nothing checked: the same result as dom0_t's. */
			if (rc != allowed) {
				print_error("%s: %ld without permissions (expected %ld, unchecked)\n",
					    c->name, rc, allowed);
				wrong++;
			}
			break;
		}
		world_free(&w);
	}
	free(before);
	free(after);
	assert_int_equal(wrong, 0);
	assert_true(checked > 20);
	assert_int_equal(atomic_load(&hypercall_unhooked), 0);
}

/*
 * bind_interdomain checks the remote end's label too, not only the end it
 * makes: an unbound end labelled while its domain was appvm_t may not be
 * bound to that domain once it is isolated_t (xen.te: appvm_t_channel has
 * no bind on isolated_t_self), though each check on the new end passes.
 */
static void test_interdomain_checks_both_ends(void **state)
{
	struct snap *before = malloc(sizeof(*before)), *after = malloc(sizeof(*after));
	const char *const as[2] = { XSM_DOMAIN_CTX("appvm_t"), XSM_DOMAIN_CTX("isolated_t") };

	(void)state;
	assert_non_null(before);
	assert_non_null(after);
	for (int relabel = 0; relabel < 2; relabel++) {
		struct world w;
		uint64_t a[5];
		long rc;

		world_new(&w);
		label(w.a, as[0]);
		p_ev_bind_interdomain(&w, a);
		label(w.a, as[relabel]);
		take_snap(before, &w);
		rc = hc(w.a, __HYPERVISOR_event_channel_op, a);
		take_snap(after, &w);
		if (relabel) {
			assert_int_equal(rc, -XEN_EACCES);
			assert_int_equal(snap_diff("stale remote end", before, after), 0);
		} else {
			assert_int_equal(rc, 0);
			c_bind_interdomain(&w);
		}
		world_free(&w);
	}
	free(before);
	free(after);
	assert_int_equal(atomic_load(&hypercall_unhooked), 0);
}

/*
 * A grant op that fails its own argument checks before its hook reports
 * the failure in its status, with rc 0. That is not an operation that
 * succeeded without a hook: hypercall_unhooked must not count it.
 */
static void test_grant_errors_are_not_unhooked(void **state)
{
	struct world w;
	struct gnttab_setup_table st;
	struct gnttab_query_size q = { .dom = DOM_B };
	struct gnttab_map_grant_ref m = { .host_addr = MAP_GPA, .flags = 0, .ref = GREF,
					  .dom = DOMID_SELF };
	struct gnttab_unmap_grant_ref u = { .host_addr = MAP_GPA, .handle = 7 };
	uint64_t a[5];

	(void)state;
	world_new(&w);
	memset(&st, 0, sizeof(st));
	st.dom = DOM_B; /* another domain's table */
	put(w.a, ARG, &st, sizeof(st));
	set_args(a, GNTTABOP_setup_table, ARG, 1);
	assert_int_equal(hc(w.a, __HYPERVISOR_grant_table_op, a), 0);
	assert_int_equal(((struct gnttab_setup_table *)gp(w.a, ARG))->status,
			 GNTST_permission_denied);
	put(w.a, ARG, &q, sizeof(q));
	set_args(a, GNTTABOP_query_size, ARG, 1);
	assert_int_equal(hc(w.a, __HYPERVISOR_grant_table_op, a), 0);
	put(w.a, ARG, &m, sizeof(m)); /* no GNTMAP_host_map */
	set_args(a, GNTTABOP_map_grant_ref, ARG, 1);
	assert_int_equal(hc(w.a, __HYPERVISOR_grant_table_op, a), 0);
	assert_int_equal(((struct gnttab_map_grant_ref *)gp(w.a, ARG))->status,
			 GNTST_general_error);
	put(w.a, ARG, &u, sizeof(u)); /* no such handle */
	set_args(a, GNTTABOP_unmap_grant_ref, ARG, 1);
	assert_int_equal(hc(w.a, __HYPERVISOR_grant_table_op, a), 0);
	assert_int_equal(((struct gnttab_unmap_grant_ref *)gp(w.a, ARG))->status,
			 GNTST_bad_handle);
	world_free(&w);
	assert_int_equal(atomic_load(&hypercall_unhooked), 0);
}

/* ---- the control socket's operations --------------------------------------------- */

/* A well-formed payload for op; fails the test for an op it does not know. */
static size_t control_payload(uint16_t op, uint8_t *buf, size_t cap)
{
	uint32_t u;

	switch (op) {
	case BH_CTL_FLASK_LOAD:
		assert_true(policy_len <= cap);
		memcpy(buf, policy, policy_len);
		return policy_len;
	case BH_CTL_FLASK_GETENFORCE:
	case BH_CTL_FLASK_COMMITBOOLS:
	case BH_CTL_FLASK_AVC_STATS:
	case BH_CTL_FLASK_POLICYVERS:
		return 0;
	case BH_CTL_FLASK_SETENFORCE:
		u = 1;
		memcpy(buf, &u, sizeof(u));
		return sizeof(u);
	case BH_CTL_FLASK_CONTEXT_TO_SID:
		memcpy(buf, CTX_DOM0, strlen(CTX_DOM0));
		return strlen(CTX_DOM0);
	case BH_CTL_FLASK_SID_TO_CONTEXT:
		u = SECINITSID_DOM0;
		memcpy(buf, &u, sizeof(u));
		return sizeof(u);
	case BH_CTL_FLASK_ACCESS: {
		struct bh_ctl_access acc = { SECINITSID_DOM0, SECINITSID_SECURITY, 1 };

		memcpy(buf, &acc, sizeof(acc));
		return sizeof(acc);
	}
	case BH_CTL_FLASK_GETBOOL:
	case BH_CTL_FLASK_SETBOOL: {
		struct bh_ctl_bool b = { .id = 0, .value = 0, .commit = 1 };
		int pend;

		assert_int_equal(ss_bool_get(0, NULL, &b.cur, &pend), 0);
		b.value = b.cur;
		b.cur = 0;
		memcpy(buf, &b, sizeof(b));
		return sizeof(b);
	}
	default:
		print_error("control op %u (%s) has a handler but this test builds no payload for it\n",
			    op, control_op_name(op));
		fail();
		return 0;
	}
}

/*
 * The domain and service ops. As in Xen's domctl, a domain is looked up
 * before its check, so an absent one is ESRCH for everyone; the rest are
 * checked, and a denied subject changes nothing. (The integration tests
 * drive them against real domains with labels that may and may not.)
 */
static void test_control_domain_ops(void **state)
{
	const struct flask_subject none = { SECINITSID_UNLABELED, 0 };
	const struct flask_subject dom0 = { SECINITSID_DOM0, 0 };
	struct flask_subject app = { 0, 0 };
	uint8_t in[512], *out;
	size_t out_len;
	uint32_t absent = 4242, one = 1;
	struct bh_ctl_shutdown sh = { absent, SHUTDOWN_poweroff, 0 };
	struct bh_ctl_console_read cr = { absent, 64, 0 };
	struct bh_ctl_evtchn_bind eb = { absent, 1 };
	struct bh_ctl_create cc = { 0, 10, 0 };
	const char *cfgtext = "name=\"x\"\nkernel=\"/bin/true\"\n";
	static const uint16_t by_domid[] = { BH_CTL_DOMAIN_DESTROY, BH_CTL_DOMAIN_PAUSE,
					     BH_CTL_DOMAIN_UNPAUSE, BH_CTL_DOMAIN_INFO };
	uint64_t before;

	(void)state;
	app.sid = xsm_sid(XSM_DOMAIN_CTX("appvm_t"));
	/* Each op has a name: nothing in the table is unnamed. */
	for (uint16_t op = BH_CTL_DOMAIN_CREATE; op < BH_CTL_OP_MAX; op++)
		if (op <= BH_CTL_PHYSINFO || op >= BH_CTL_ARENA_REGISTER)
			assert_non_null(control_op_name(op));
	for (size_t i = 0; i < ARRAY_SIZE(by_domid); i++)
		for (int k = 0; k < 3; k++)
			assert_int_equal(control_dispatch(k == 0 ? &dom0 : k == 1 ? &none : &app,
							  by_domid[i], (uint8_t *)&absent,
							  sizeof(absent), &out, &out_len), -ESRCH);
	assert_int_equal(control_dispatch(&dom0, BH_CTL_DOMAIN_SHUTDOWN, (uint8_t *)&sh, sizeof(sh),
					  &out, &out_len), -ESRCH);
	sh.reason = 77; /* not poweroff or reboot */
	assert_int_equal(control_dispatch(&dom0, BH_CTL_DOMAIN_SHUTDOWN, (uint8_t *)&sh, sizeof(sh),
					  &out, &out_len), -EINVAL);
	assert_int_equal(control_dispatch(&dom0, BH_CTL_CONSOLE_READ, (uint8_t *)&cr, sizeof(cr),
					  &out, &out_len), -ESRCH);
	/* Wrong sizes are EINVAL before anything else. */
	for (uint16_t op = BH_CTL_DOMAIN_DESTROY; op <= BH_CTL_DMESG; op++) {
		if (op == BH_CTL_DOMAIN_LIST)
			continue;
		assert_int_equal(control_dispatch(&dom0, op, in, 3, &out, &out_len), -EINVAL);
	}

	/* The host-wide ops: a hook each, denied without the permission. */
	for (uint16_t op = BH_CTL_DMESG; op <= BH_CTL_PHYSINFO; op++) {
		size_t len = op == BH_CTL_DMESG ? sizeof(one) : 0;
		uint32_t zero = 0;

		before = xsm_hook_calls;
		assert_int_equal(control_dispatch(&app, op, (uint8_t *)&zero, len, &out, &out_len),
				 -EACCES);
		assert_true(xsm_hook_calls > before);
		assert_null(out);
		assert_int_equal(control_dispatch(&dom0, op, (uint8_t *)&zero, len, &out, &out_len), 0);
		free(out);
	}
	assert_int_equal(control_dispatch(&app, BH_CTL_DMESG, (uint8_t *)&one, sizeof(one), &out,
					  &out_len), -EACCES);

	/* A list shows only what the subject may getdomaininfo; none here. */
	assert_int_equal(control_dispatch(&app, BH_CTL_DOMAIN_LIST, in, 0, &out, &out_len), 0);
	assert_int_equal(out_len, 0);

	/* Create: checked against the new domain's label before anything is built. */
	memcpy(in, &cc, sizeof(cc));
	memcpy(in + sizeof(cc), "/x/y.cfg\0\0", 10);
	memcpy(in + sizeof(cc) + 10, cfgtext, strlen(cfgtext));
	assert_int_equal(control_dispatch(&app, BH_CTL_DOMAIN_CREATE, in, sizeof(cc) + 10 +
					  strlen(cfgtext), &out, &out_len), -EINVAL); /* NUL in path */
	free(out);
	cc.path_len = 8;
	memcpy(in, &cc, sizeof(cc));
	memcpy(in + sizeof(cc), "/x/y.cfg", 8);
	memcpy(in + sizeof(cc) + 8, cfgtext, strlen(cfgtext));
	before = xsm_hook_calls;
	assert_int_equal(control_dispatch(&app, BH_CTL_DOMAIN_CREATE, in, sizeof(cc) + 8 +
					  strlen(cfgtext), &out, &out_len), -EACCES);
	assert_true(xsm_hook_calls > before);
	assert_non_null(out); /* the reason, in words */
	free(out);

	/* Service ops need a connection (a service): none here. */
	assert_int_equal(control_dispatch(&dom0, BH_CTL_EVTCHN_BIND, (uint8_t *)&eb, sizeof(eb),
					  &out, &out_len), -ENOTCONN);
	assert_int_equal(control_dispatch(&dom0, BH_CTL_EVTCHN_SEND, (uint8_t *)&one, sizeof(one),
					  &out, &out_len), -EINVAL);
	free(out);
}

static void test_control_ops(void **state)
{
	const struct flask_subject none = { SECINITSID_UNLABELED, 0 };
	const struct flask_subject guest = { 0, 0 };
	const struct flask_subject dom0 = { SECINITSID_DOM0, 0 };
	size_t cap = policy_len + 4096;
	uint8_t *in = malloc(cap);
	unsigned int handlers = 0;
	struct flask_subject app = guest;

	(void)state;
	assert_non_null(in);
	app.sid = xsm_sid(XSM_DOMAIN_CTX("appvm_t"));
	assert_int_not_equal(app.sid, 0);
	for (uint32_t op = 0; op <= BH_CTL_OP_MAX + 1; op++) {
		const struct flask_subject *denied[] = { &none, &app };

		if (op >= BH_CTL_DOMAIN_CREATE && op < BH_CTL_OP_MAX)
			continue; /* test_control_domain_ops */
		uint8_t *out;
		size_t len = 0, out_len;
		int32_t rc;

		if (op > 0 && control_op_name(op))
			len = control_payload(op, in, cap);
		for (size_t k = 0; k < ARRAY_SIZE(denied); k++) {
			uint32_t seq = ss_seqno();

			rc = control_dispatch(denied[k], op, in, len, &out, &out_len);
			if (op == BH_CTL_FLASK_GETENFORCE) {
				/* Unchecked, as in Xen: anyone may know the mode. */
				assert_int_equal(rc, 0);
				assert_int_equal(out_len, sizeof(uint32_t));
				free(out);
				continue;
			}
			if (control_op_name(op)) {
				if (rc != -EACCES)
					print_error("control op %u (%s): %d for sid %u\n", op,
						    control_op_name(op), rc, denied[k]->sid);
				assert_int_equal(rc, -EACCES);
			} else {
				assert_int_equal(rc, -ENOSYS);
			}
			assert_null(out);
			assert_int_equal(out_len, 0);
			assert_int_equal(ss_seqno(), seq);
			assert_true(avc_enforcing());
		}
		rc = control_dispatch(&dom0, op, in, len, &out, &out_len);
		if (control_op_name(op)) {
			handlers++;
			if (rc != 0)
				print_error("control op %u (%s): %d for dom0_t\n", op,
					    control_op_name(op), rc);
			assert_int_equal(rc, 0);
		} else {
			assert_int_equal(rc, -ENOSYS);
		}
		free(out);
	}
	/* Ops far past the table. */
	{
		uint8_t *out;
		size_t out_len;

		assert_int_equal(control_dispatch(&dom0, UINT16_MAX, in, 0, &out, &out_len), -ENOSYS);
		assert_int_equal(control_dispatch(&dom0, BH_CTL_REPLY | BH_CTL_FLASK_LOAD, in, 0, &out,
						  &out_len), -ENOSYS);
	}
	assert_null(control_op_name(0));
	assert_null(control_op_name(BH_CTL_OP_MAX));
	assert_null(control_op_name(UINT16_MAX));
	assert_true(handlers > 0);
	free(in);
}

/*
 * A host service binding the global VIRQ_DOM_EXC makes itself its handler
 * (domain:set_virq_handler on itself): one hook, granted to xenstore_t
 * alone, so that no other service learns of every domain's life cycle.
 */
static void test_service_global_virq(void **state)
{
	static const struct {
		const char *ctx;
		int want;
	} who[] = {
		{ XSM_DOMAIN_CTX("xenstore_t"), 1 }, { XSM_DOMAIN_CTX("vchan_t"), -EACCES },
		{ CTX_DOM0, -EACCES }, { CTX_NONE, -EACCES },
	};

	(void)state;
	for (size_t k = 0; k < ARRAY_SIZE(who); k++) {
		uint32_t sid = xsm_sid(who[k].ctx);
		struct service *svc;
		uint64_t before;
		int rc;

		assert_int_not_equal(sid, 0);
		svc = service_new(sid);
		assert_non_null(svc);
		assert_int_equal(service_evtchn_bind_virq(svc, VIRQ_DEBUG), -EINVAL);
		before = xsm_hook_calls;
		rc = service_evtchn_bind_virq(svc, VIRQ_DOM_EXC);
		assert_true(xsm_hook_calls > before);
		if (who[k].want > 0) {
			assert_true(rc > 0);
			assert_int_equal(svc->port[rc].state, SVC_PORT_VIRQ);
		} else {
			assert_int_equal(rc, who[k].want);
			for (uint32_t p = 1; p < SERVICE_MAX_PORTS; p++)
				assert_int_equal(svc->port[p].state, SVC_PORT_FREE);
		}
		service_close(svc);
		service_put(svc);
	}
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, NULL)
	const struct CMUnitTest tests[] = {
		T(test_table_matches_dispatch),
		T(test_every_entry_passes_a_hook),
		T(test_guest_labels),
		T(test_everything_else_is_enosys),
		T(test_every_checked_entry_is_denied),
		T(test_interdomain_checks_both_ends),
		T(test_grant_errors_are_not_unhooked),
		T(test_control_ops),
		T(test_control_domain_ops),
		T(test_service_global_virq),
	};
#undef T

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
