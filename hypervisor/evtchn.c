/*
 * Event channels, 2-level ABI. One static function per operation; the
 * dispatcher only decodes and routes (cf. Xen's common/event_channel.c).
 */
#include "evtchn.h"
#include "service.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

#include <bulkhead/abi.h>

#include "hypercall.h"
#include "log.h"
#include "vcpu.h"
#include "xsm.h"

#define BITS_PER_WORD (sizeof(xen_ulong_t) * 8)

static bool test_and_set(xen_ulong_t *w, unsigned int bit)
{
	xen_ulong_t m = 1ull << bit;

	return __atomic_fetch_or(w, m, __ATOMIC_SEQ_CST) & m;
}

static bool test_bit_word(const xen_ulong_t *w, unsigned int bit)
{
	return __atomic_load_n(w, __ATOMIC_SEQ_CST) & (1ull << bit);
}

static void clear_bit_word(xen_ulong_t *w, unsigned int bit)
{
	__atomic_fetch_and(w, ~(1ull << bit), __ATOMIC_SEQ_CST);
}

int evtchn_domain_init(struct domain *d, unsigned int max_event_channels)
{
	struct evtchn_domain *e = &d->evtchn;
	unsigned int n = max_event_channels < EVTCHN_2L_NR_PORTS ? max_event_channels + 1
								 : EVTCHN_2L_NR_PORTS;

	pthread_mutex_init(&e->lock, NULL);
	e->max_ports = n;
	e->port = calloc(n, sizeof(*e->port));
	return e->port ? 0 : -1;
}

void evtchn_domain_fini(struct domain *d)
{
	free(d->evtchn.port);
	d->evtchn.port = NULL;
	pthread_mutex_destroy(&d->evtchn.lock);
}

/* Lock one domain's table, or two in domain-id order. */
static void lock_pair(struct domain *a, struct domain *b)
{
	if (a == b) {
		pthread_mutex_lock(&a->evtchn.lock);
	} else if (a->id < b->id) {
		pthread_mutex_lock(&a->evtchn.lock);
		pthread_mutex_lock(&b->evtchn.lock);
	} else {
		pthread_mutex_lock(&b->evtchn.lock);
		pthread_mutex_lock(&a->evtchn.lock);
	}
}

static void unlock_pair(struct domain *a, struct domain *b)
{
	pthread_mutex_unlock(&a->evtchn.lock);
	if (a != b)
		pthread_mutex_unlock(&b->evtchn.lock);
}

void vcpu_mark_events_pending(struct vcpu *v)
{
	struct vcpu_info *vi = vcpu_info_of(v);
	unsigned int vector;

	if (!__atomic_exchange_n(&vi->evtchn_upcall_pending, 1, __ATOMIC_SEQ_CST)) {
		vector = v->upcall_vector ? v->upcall_vector
					  : atomic_load(&v->d->callback_vector);
		/*
		 * A kernel that runs at CPL3 masks upcalls as Xen's PV kernels
		 * do, with evtchn_upcall_mask, and looks at pending itself when
		 * it unmasks: no vector while masked, which spares an interrupt
		 * entry that PVM hosts emulate (docs/abi.md).
		 */
		if (vector && (v->d->bh_flags & BH_FEATURE_CPL3_HYPERCALLS) &&
		    __atomic_load_n(&vi->evtchn_upcall_mask, __ATOMIC_SEQ_CST))
			vector = 0;
		if (vector) {
			/* A fixed, edge MSI to this vCPU's local APIC (APIC ID = vCPU id). */
			struct kvm_msi msi = {
				.address_lo = 0xfee00000u | (v->id << 12),
				.data = vector,
			};

			ioctl(v->d->vm_fd, KVM_SIGNAL_MSI, &msi);
		}
	}
	pthread_mutex_lock(&v->lock);
	pthread_cond_broadcast(&v->wake);
	pthread_mutex_unlock(&v->lock);
}

/* Wake vCPUs in SCHEDOP_poll: they wait on ports whatever their mask. */
static void wake_pollers(struct domain *d)
{
	unsigned int i;

	for (i = 0; i < d->nr_vcpus; i++) {
		struct vcpu *v = &d->vcpu[i];

		pthread_mutex_lock(&v->lock);
		if (v->polling)
			pthread_cond_broadcast(&v->wake);
		pthread_mutex_unlock(&v->lock);
	}
}

/* Xen's evtchn_2l_set_pending. Called with d's table locked. */
static void set_pending_locked(struct domain *d, unsigned int port)
{
	struct shared_info *s = atomic_load(&d->shared_info);
	struct vcpu *v = &d->vcpu[d->evtchn.port[port].vcpu];

	if (test_and_set(&s->evtchn_pending[port / BITS_PER_WORD], port % BITS_PER_WORD))
		return;
	if (!test_bit_word(&s->evtchn_mask[port / BITS_PER_WORD], port % BITS_PER_WORD) &&
	    !test_and_set(&vcpu_info_of(v)->evtchn_pending_sel, port / BITS_PER_WORD))
		vcpu_mark_events_pending(v);
	wake_pollers(d);
}

void evtchn_set_pending(struct domain *d, unsigned int port)
{
	struct evtchn_domain *e = &d->evtchn;

	pthread_mutex_lock(&e->lock);
	if (port < e->max_ports && e->port[port].state != ECS_FREE)
		set_pending_locked(d, port);
	pthread_mutex_unlock(&e->lock);
}

void evtchn_send_virq(struct vcpu *v, unsigned int virq)
{
	struct evtchn_domain *e = &v->d->evtchn;
	uint32_t port;

	pthread_mutex_lock(&e->lock);
	port = e->virq_port[v->id][virq];
	if (port)
		set_pending_locked(v->d, port);
	pthread_mutex_unlock(&e->lock);
}

/* The lowest free port, as Xen allocates. Called with the table locked. */
static long get_free_port(struct domain *d)
{
	struct evtchn_domain *e = &d->evtchn;
	unsigned int p;

	for (p = 1; p < e->max_ports; p++)
		if (e->port[p].state == ECS_FREE)
			return p;
	return -XEN_ENOSPC;
}

/* Resolve DOMID_SELF and check that a domain id names the caller. */
static bool is_self(const struct vcpu *v, domid_t dom)
{
	return dom == DOMID_SELF || dom == v->d->id;
}

/* Another domain's table is the control domain's business: ESRCH or EPERM, as Xen. */
static long not_self(domid_t dom)
{
	struct domain *d = domain_get(dom);

	if (!d)
		return -XEN_ESRCH;
	domain_put(d);
	return -XEN_EPERM;
}

static long evtchn_alloc_unbound(struct vcpu *v, struct evtchn_alloc_unbound *a)
{
	struct domain *d = v->d;
	domid_t remote = a->remote_dom == DOMID_SELF ? d->id : a->remote_dom;
	struct domain *rd;
	uint64_t serial = 0;
	uint32_t sid;
	long port;

	if (!is_self(v, a->dom))
		return not_self(a->dom);
	port = xsm_evtchn_unbound(v, remote, &sid);
	if (port)
		return port;
	/* Offered to that domain, or to the next one with its id if none has it now. */
	rd = remote == d->id ? d : domain_get(remote);
	if (rd) {
		serial = rd->serial;
		if (rd != d)
			domain_put(rd);
	}
	pthread_mutex_lock(&d->evtchn.lock);
	port = get_free_port(d);
	if (port >= 0) {
		struct evtchn *ch = &d->evtchn.port[port];

		ch->state = ECS_UNBOUND;
		ch->sid = sid;
		ch->vcpu = 0;
		ch->remote_dom = remote;
		ch->remote_serial = serial;
		a->port = port;
	}
	pthread_mutex_unlock(&d->evtchn.lock);
	return port < 0 ? port : 0;
}

/* Domain 0 is the host services: bind a port a service offered (service.h). */
static long bind_to_service(struct vcpu *v, struct evtchn_bind_interdomain *b)
{
	struct domain *d = v->d;
	struct service *s;
	struct evtchn *ch;
	long rc, port;

	pthread_mutex_lock(&d->evtchn.lock);
	port = get_free_port(d);
	if (port < 0) {
		pthread_mutex_unlock(&d->evtchn.lock);
		return port;
	}
	ch = &d->evtchn.port[port];
	memset(ch, 0, sizeof(*ch));
	s = service_bind_from_guest(d, b->remote_port, port, ch, &rc);
	if (s) {
		ch->state = ECS_SERVICE;
		ch->svc = s;
		ch->remote_port = b->remote_port;
		b->local_port = port;
		set_pending_locked(d, port);
	} else {
		memset(ch, 0, sizeof(*ch));
	}
	pthread_mutex_unlock(&d->evtchn.lock);
	return rc;
}

static long evtchn_bind_interdomain(struct vcpu *v, struct evtchn_bind_interdomain *b)
{
	struct domain *ld = v->d, *rd;
	struct evtchn *lch, *rch;
	domid_t rdom = b->remote_dom == DOMID_SELF ? ld->id : b->remote_dom;
	long rc, lport;

	if (rdom == 0 && ld->id != 0)
		return bind_to_service(v, b);
	rd = rdom == ld->id ? ld : domain_get(rdom);
	if (!rd)
		return -XEN_ESRCH;
	lock_pair(ld, rd);
	rc = -XEN_EINVAL;
	if (b->remote_port == 0 || b->remote_port >= rd->evtchn.max_ports)
		goto out;
	rch = &rd->evtchn.port[b->remote_port];
	if (rch->state != ECS_UNBOUND || rch->remote_dom != ld->id ||
	    (rch->remote_serial && rch->remote_serial != ld->serial))
		goto out;
	lport = get_free_port(ld);
	if (lport < 0) {
		rc = lport;
		goto out;
	}
	/* A domain may bind to its own unbound port: a loopback channel, as in Xen. */
	lch = &ld->evtchn.port[lport];
	rc = xsm_evtchn_interdomain(v, lch, rd, rch);
	if (rc)
		goto out;
	lch->state = ECS_INTERDOMAIN;
	lch->vcpu = 0;
	lch->remote_dom = rd->id;
	lch->remote_port = b->remote_port;
	lch->remote = rd;
	rch->state = ECS_INTERDOMAIN;
	rch->remote_dom = ld->id;
	rch->remote_port = lport;
	rch->remote = ld;
	/* Each end holds its peer. */
	domain_hold(rd);
	domain_hold(ld);
	b->local_port = lport;
	/* Xen marks the new local port pending, so nothing sent before is lost. */
	set_pending_locked(ld, lport);
	rc = 0;
out:
	unlock_pair(ld, rd);
	if (rd != ld)
		domain_put(rd);
	return rc;
}

static long evtchn_bind_virq(struct vcpu *v, struct evtchn_bind_virq *bind)
{
	struct evtchn_domain *e = &v->d->evtchn;
	long rc;

	if (bind->virq >= NR_VIRQS)
		return -XEN_EINVAL;
	rc = xsm_evtchn_self(v, EVTCHNOP_bind_virq);
	if (rc)
		return rc;
	/* VIRQ_DOM_EXC belongs to the control side, which is not a guest. */
	if (bind->virq == VIRQ_DOM_EXC)
		return -XEN_EPERM;
	if (bind->virq != VIRQ_TIMER && bind->virq != VIRQ_CONSOLE)
		return -XEN_EINVAL;
	if (bind->vcpu >= v->d->nr_vcpus)
		return -XEN_ENOENT;
	/* Global VIRQs bind on vCPU 0 and move with bind_vcpu. */
	if (bind->virq == VIRQ_CONSOLE && bind->vcpu != 0)
		return -XEN_EINVAL;
	pthread_mutex_lock(&e->lock);
	if (e->virq_port[bind->vcpu][bind->virq]) {
		rc = -XEN_EEXIST;
		goto out;
	}
	rc = get_free_port(v->d);
	if (rc < 0)
		goto out;
	e->port[rc].state = ECS_VIRQ;
	e->port[rc].vcpu = bind->vcpu;
	e->port[rc].virq = bind->virq;
	e->virq_port[bind->vcpu][bind->virq] = rc;
	bind->port = rc;
	rc = 0;
out:
	pthread_mutex_unlock(&e->lock);
	return rc;
}

static long evtchn_bind_ipi(struct vcpu *v, struct evtchn_bind_ipi *bind)
{
	struct evtchn_domain *e = &v->d->evtchn;
	long rc;

	if (bind->vcpu >= v->d->nr_vcpus)
		return -XEN_ENOENT;
	rc = xsm_evtchn_self(v, EVTCHNOP_bind_ipi);
	if (rc)
		return rc;
	pthread_mutex_lock(&e->lock);
	rc = get_free_port(v->d);
	if (rc >= 0) {
		e->port[rc].state = ECS_IPI;
		e->port[rc].vcpu = bind->vcpu;
		bind->port = rc;
		rc = 0;
	}
	pthread_mutex_unlock(&e->lock);
	return rc;
}

/*
 * Close `port` of d. Called with d's table locked and, for an interdomain
 * port, the peer's too. The peer's end goes back to unbound, waiting for
 * d, as in Xen. Returns the peer whose reference the caller must drop.
 */
static struct domain *close_port_locked(struct domain *d, evtchn_port_t port)
{
	struct evtchn *ch = &d->evtchn.port[port];
	struct domain *peer = NULL;
	struct shared_info *s = atomic_load(&d->shared_info);

	switch (ch->state) {
	case ECS_VIRQ:
		d->evtchn.virq_port[ch->vcpu][ch->virq] = 0;
		break;
	case ECS_INTERDOMAIN: {
		struct evtchn *rch = &ch->remote->evtchn.port[ch->remote_port];

		rch->state = ECS_UNBOUND;
		rch->remote_dom = d->id;
		rch->remote_serial = d->serial;
		rch->remote = NULL;
		peer = ch->remote;
		/* Wake the peer: its channel is gone (EVTCHNOP_status says unbound). */
		set_pending_locked(peer, ch->remote_port);
		/*
		 * The peer's hold on d goes with the binding. Never the last
		 * reference: the caller runs for d, which holds its own.
		 */
		atomic_fetch_sub(&d->refcnt, 1);
		break;
	}
	case ECS_SERVICE:
		service_port_peer_closed(ch->svc, ch->remote_port, d, port);
		service_put(ch->svc); /* never the last: the connection holds its own */
		break;
	}
	/* A closed port must not come back pending when it is bound again. */
	clear_bit_word(&s->evtchn_pending[port / BITS_PER_WORD], port % BITS_PER_WORD);
	memset(ch, 0, sizeof(*ch));
	return peer;
}

/*
 * Lock d's table and, if `port` is interdomain, its peer's too, in order.
 * The peer can change while d's lock is dropped to take them in order, so
 * look again until it is stable. Returns the peer locked (or d).
 */
static struct domain *lock_port_and_peer(struct domain *d, evtchn_port_t port)
{
	for (;;) {
		struct domain *peer;
		struct evtchn *ch;

		pthread_mutex_lock(&d->evtchn.lock);
		ch = &d->evtchn.port[port];
		if (ch->state != ECS_INTERDOMAIN || ch->remote == d || d->id < ch->remote->id) {
			peer = ch->state == ECS_INTERDOMAIN ? ch->remote : d;
			if (peer != d)
				pthread_mutex_lock(&peer->evtchn.lock);
			return peer;
		}
		/* The peer's lock comes first: hold it alive, retake in order. */
		peer = ch->remote;
		domain_hold(peer);
		pthread_mutex_unlock(&d->evtchn.lock);
		lock_pair(d, peer);
		ch = &d->evtchn.port[port];
		if (ch->state == ECS_INTERDOMAIN && ch->remote == peer) {
			/* The binding still holds the peer, so this is not the last reference. */
			domain_put(peer);
			return peer;
		}
		unlock_pair(d, peer);
		domain_put(peer);
	}
}

static long evtchn_close(struct vcpu *v, evtchn_port_t port)
{
	struct domain *d = v->d, *locked, *peer;

	if (port == 0 || port >= d->evtchn.max_ports)
		return -XEN_EINVAL;
	locked = lock_port_and_peer(d, port);
	if (d->evtchn.port[port].state == ECS_FREE) {
		unlock_pair(d, locked);
		return -XEN_EINVAL;
	}
	if (xsm_evtchn_close(v, &d->evtchn.port[port])) {
		unlock_pair(d, locked);
		return -XEN_EACCES;
	}
	peer = close_port_locked(d, port);
	unlock_pair(d, locked);
	if (peer)
		domain_put(peer);
	return 0;
}

void evtchn_close_all(struct domain *d)
{
	unsigned int p;

	if (!d->evtchn.port)
		return;
	for (p = 1; p < d->evtchn.max_ports; p++) {
		struct domain *locked = lock_port_and_peer(d, p), *peer = NULL;

		if (d->evtchn.port[p].state != ECS_FREE)
			peer = close_port_locked(d, p);
		unlock_pair(d, locked);
		if (peer)
			domain_put(peer);
	}
}

struct live_domains {
	struct domain **d;
	size_t n, cap;
	bool short_of_memory;
};

/* domain_for_each's callback: hold each, to visit them without the registry's lock. */
static void collect_live(struct domain *d, void *arg)
{
	struct live_domains *l = arg;

	if (l->n == l->cap) {
		size_t cap = l->cap ? 2 * l->cap : 16;
		struct domain **grown = realloc(l->d, cap * sizeof(*grown));

		if (!grown) {
			l->short_of_memory = true;
			return;
		}
		l->d = grown;
		l->cap = cap;
	}
	domain_hold(d);
	l->d[l->n++] = d;
}

void evtchn_forget_domain(const struct domain *gone)
{
	struct live_domains l = { 0 };

	domain_for_each(collect_live, &l);
	/* Ports offered to it since it existed name its serial already. */
	if (l.short_of_memory)
		log_warn("domain %u: out of memory: ports offered to it before it existed stay "
			 "offered to its id", gone->id);
	for (size_t i = 0; i < l.n; i++) {
		struct evtchn_domain *e = &l.d[i]->evtchn;

		pthread_mutex_lock(&e->lock);
		for (unsigned int p = 1; p < e->max_ports; p++) {
			struct evtchn *ch = &e->port[p];

			/* Offered before it existed, so to it: now to it alone. */
			if (ch->state == ECS_UNBOUND && ch->remote_dom == gone->id &&
			    !ch->remote_serial)
				ch->remote_serial = gone->serial;
		}
		pthread_mutex_unlock(&e->lock);
		domain_put(l.d[i]);
	}
	free(l.d);
}

static long evtchn_send(struct vcpu *v, evtchn_port_t port)
{
	struct domain *ld = v->d, *rd;
	struct evtchn *ch;
	evtchn_port_t rport;

	if (port >= ld->evtchn.max_ports)
		return -XEN_EINVAL;
	pthread_mutex_lock(&ld->evtchn.lock);
	ch = &ld->evtchn.port[port];
	if (xsm_evtchn_send(v, ch)) {
		pthread_mutex_unlock(&ld->evtchn.lock);
		return -XEN_EACCES;
	}
	ld->evtchn.sends++;
	switch (ch->state) {
	case ECS_INTERDOMAIN:
		rd = ch->remote;
		rport = ch->remote_port;
		if (rd == ld) {
			set_pending_locked(ld, rport);
			break;
		}
		domain_hold(rd);
		pthread_mutex_unlock(&ld->evtchn.lock);
		/* Still bound to us? The peer may have closed in between. */
		pthread_mutex_lock(&rd->evtchn.lock);
		ch = &rd->evtchn.port[rport];
		if (ch->state == ECS_INTERDOMAIN && ch->remote == ld && ch->remote_port == port)
			set_pending_locked(rd, rport);
		pthread_mutex_unlock(&rd->evtchn.lock);
		domain_put(rd);
		return 0;
	case ECS_IPI:
		set_pending_locked(ld, port);
		break;
	case ECS_SERVICE:
		service_port_notify(ch->svc, ch->remote_port, ld, port);
		break;
	case ECS_UNBOUND:
		/* Xen drops the notification silently. */
		break;
	default:
		pthread_mutex_unlock(&ld->evtchn.lock);
		return -XEN_EINVAL;
	}
	pthread_mutex_unlock(&ld->evtchn.lock);
	return 0;
}

/* Xen's evtchn_2l_unmask: a pending port notifies once its mask clears. */
static long evtchn_unmask(struct vcpu *v, evtchn_port_t port)
{
	struct domain *d = v->d;
	struct evtchn_domain *e = &d->evtchn;
	struct shared_info *s = atomic_load(&d->shared_info);
	unsigned int w = port / BITS_PER_WORD, b = port % BITS_PER_WORD;
	struct vcpu *target;

	if (port >= e->max_ports)
		return -XEN_EINVAL;
	if (xsm_evtchn_self(v, EVTCHNOP_unmask))
		return -XEN_EACCES;
	pthread_mutex_lock(&e->lock);
	target = &d->vcpu[e->port[port].vcpu];
	clear_bit_word(&s->evtchn_mask[w], b);
	if (test_bit_word(&s->evtchn_pending[w], b) &&
	    !test_and_set(&vcpu_info_of(target)->evtchn_pending_sel, w))
		vcpu_mark_events_pending(target);
	pthread_mutex_unlock(&e->lock);
	return 0;
}

static long evtchn_status(struct vcpu *v, struct evtchn_status *st)
{
	struct evtchn_domain *e = &v->d->evtchn;
	struct evtchn *ch;

	if (!is_self(v, st->dom))
		return not_self(st->dom);
	if (st->port >= e->max_ports)
		return -XEN_EINVAL;
	pthread_mutex_lock(&e->lock);
	ch = &e->port[st->port];
	if (xsm_evtchn_status(v, ch)) {
		pthread_mutex_unlock(&e->lock);
		return -XEN_EACCES;
	}
	memset(&st->u, 0, sizeof(st->u));
	st->status = ch->state == ECS_SERVICE ? ECS_INTERDOMAIN : ch->state;
	st->vcpu = ch->vcpu;
	switch (ch->state) {
	case ECS_UNBOUND:
		st->u.unbound.dom = ch->remote_dom;
		break;
	case ECS_SERVICE:
	case ECS_INTERDOMAIN:
		st->u.interdomain.dom = ch->remote_dom;
		st->u.interdomain.port = ch->remote_port;
		break;
	case ECS_VIRQ:
		st->u.virq = ch->virq;
		break;
	}
	pthread_mutex_unlock(&e->lock);
	return 0;
}

/* Xen: per-vCPU VIRQs and IPIs stay where they were bound. */
static long evtchn_bind_vcpu(struct vcpu *v, evtchn_port_t port, uint32_t vcpu)
{
	struct evtchn_domain *e = &v->d->evtchn;
	struct evtchn *ch;
	long rc = 0;

	if (vcpu >= v->d->nr_vcpus)
		return -XEN_ENOENT;
	if (port >= e->max_ports)
		return -XEN_EINVAL;
	if (xsm_evtchn_self(v, EVTCHNOP_bind_vcpu))
		return -XEN_EACCES;
	pthread_mutex_lock(&e->lock);
	ch = &e->port[port];
	switch (ch->state) {
	case ECS_VIRQ:
		if (ch->virq == VIRQ_TIMER) {
			rc = -XEN_EINVAL;
			break;
		}
		e->virq_port[ch->vcpu][ch->virq] = 0;
		e->virq_port[vcpu][ch->virq] = port;
		ch->vcpu = vcpu;
		break;
	case ECS_UNBOUND:
	case ECS_INTERDOMAIN:
	case ECS_SERVICE:
		ch->vcpu = vcpu;
		break;
	default:
		rc = -XEN_EINVAL;
		break;
	}
	pthread_mutex_unlock(&e->lock);
	return rc;
}

/* ---- host services ------------------------------------------------------------ */

long evtchn_alloc_for_dom0(struct domain *d)
{
	long port;

	pthread_mutex_lock(&d->evtchn.lock);
	port = get_free_port(d);
	if (port >= 0) {
		struct evtchn *ch = &d->evtchn.port[port];

		memset(ch, 0, sizeof(*ch));
		ch->state = ECS_UNBOUND;
		ch->remote_dom = 0; /* labelled when the service binds */
	}
	pthread_mutex_unlock(&d->evtchn.lock);
	return port;
}

int evtchn_bind_service(struct domain *d, uint32_t port, struct service *s, uint32_t local)
{
	uint32_t send;
	struct evtchn *ch;
	int rc = -EINVAL;

	pthread_mutex_lock(&d->evtchn.lock);
	if (port == 0 || port >= d->evtchn.max_ports)
		goto out;
	ch = &d->evtchn.port[port];
	if (ch->state != ECS_UNBOUND || ch->remote_dom != 0)
		goto out;
	rc = xsm_service_evtchn_bind(s, d, ch, &send);
	if (rc)
		goto out;
	atomic_fetch_add(&s->refcnt, 1);
	ch->state = ECS_SERVICE;
	ch->svc = s;
	ch->remote_port = local;
	service_port_bound(s, local, d, port, send);
	/* As for an interdomain bind: the guest may have notified before. */
	set_pending_locked(d, port);
	rc = 0;
out:
	pthread_mutex_unlock(&d->evtchn.lock);
	return rc;
}

static struct evtchn *service_chn(struct domain *d, uint32_t port, struct service *s,
				  uint32_t local)
{
	struct evtchn *ch;

	if (port == 0 || port >= d->evtchn.max_ports)
		return NULL;
	ch = &d->evtchn.port[port];
	return ch->state == ECS_SERVICE && ch->svc == s && ch->remote_port == local ? ch : NULL;
}

int evtchn_service_send(struct domain *d, uint32_t port, struct service *s, uint32_t local,
			uint32_t service_end)
{
	struct evtchn *ch;
	int rc = -ENOTCONN;

	pthread_mutex_lock(&d->evtchn.lock);
	ch = service_chn(d, port, s, local);
	if (ch) {
		rc = xsm_service_evtchn_send(s, service_end);
		if (!rc)
			set_pending_locked(d, port);
	}
	pthread_mutex_unlock(&d->evtchn.lock);
	return rc;
}

void evtchn_service_unbind(struct domain *d, uint32_t port, struct service *s, uint32_t local)
{
	struct evtchn *ch;

	pthread_mutex_lock(&d->evtchn.lock);
	ch = service_chn(d, port, s, local);
	if (ch) {
		service_port_unbound(s, local, d, port);
		ch->state = ECS_UNBOUND;
		ch->svc = NULL;
		ch->remote_port = 0;
		ch->remote_dom = 0;
		ch->sid = 0;
		service_put(s); /* the caller holds another */
		/* As when a domain peer goes: the guest wakes and finds it unbound. */
		set_pending_locked(d, port);
	}
	pthread_mutex_unlock(&d->evtchn.lock);
}

static long evtchn_reset(struct vcpu *v, domid_t dom)
{
	long rc;

	if (!is_self(v, dom))
		return not_self(dom);
	rc = xsm_evtchn_reset(v, v->d);
	if (rc)
		return rc;
	evtchn_close_all(v->d);
	return 0;
}

/* Copy the argument in, run the operation, copy the result out. */
#define EVTCHN_OP(type, call, writeback)                               \
	do {                                                           \
		type op;                                               \
		long rc_ = guest_copy_from(v, &op, arg, sizeof(op));   \
		if (rc_)                                               \
			return rc_;                                    \
		rc_ = call;                                            \
		if (!rc_ && (writeback))                               \
			rc_ = guest_copy_to(v, arg, &op, sizeof(op));  \
		return rc_;                                            \
	} while (0)

long do_event_channel_op(struct vcpu *v, uint64_t cmd, uint64_t arg)
{
	switch ((int)cmd) {
	case EVTCHNOP_alloc_unbound:
		EVTCHN_OP(struct evtchn_alloc_unbound, evtchn_alloc_unbound(v, &op), true);
	case EVTCHNOP_bind_interdomain:
		EVTCHN_OP(struct evtchn_bind_interdomain, evtchn_bind_interdomain(v, &op), true);
	case EVTCHNOP_bind_virq:
		EVTCHN_OP(struct evtchn_bind_virq, evtchn_bind_virq(v, &op), true);
	case EVTCHNOP_bind_ipi:
		EVTCHN_OP(struct evtchn_bind_ipi, evtchn_bind_ipi(v, &op), true);
	case EVTCHNOP_close:
		EVTCHN_OP(struct evtchn_close, evtchn_close(v, op.port), false);
	case EVTCHNOP_send:
		EVTCHN_OP(struct evtchn_send, evtchn_send(v, op.port), false);
	case EVTCHNOP_status:
		EVTCHN_OP(struct evtchn_status, evtchn_status(v, &op), true);
	case EVTCHNOP_bind_vcpu:
		EVTCHN_OP(struct evtchn_bind_vcpu, evtchn_bind_vcpu(v, op.port, op.vcpu), false);
	case EVTCHNOP_unmask:
		EVTCHN_OP(struct evtchn_unmask, evtchn_unmask(v, op.port), false);
	case EVTCHNOP_reset:
		EVTCHN_OP(struct evtchn_reset, evtchn_reset(v, op.dom), false);
	default:
		return -XEN_ENOSYS;
	}
}

long do_event_channel_op_hc(struct vcpu *v, const uint64_t a[5])
{
	return do_event_channel_op(v, a[0], a[1]);
}
