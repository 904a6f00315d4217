/* Host services: their ports and arenas. See service.h. */
#include "service.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <xen/errno.h>
#include <xen/hvm/params.h>

#include <bulkhead/control.h>

#include "domain.h"
#include "evtchn.h"
#include "log.h"
#include "xsm.h"

#define PAGE 4096u

static pthread_mutex_t services_lock = PTHREAD_MUTEX_INITIALIZER;
static struct service *services;         /* every live service, for VIRQ_DOM_EXC */
static struct arena *xenstore_arena;     /* the current xenstored's, with a reference */
static struct service *port_owner[SERVICE_MAX_PORTS]; /* dom0's port space */
static bool port_is_store[SERVICE_MAX_PORTS];         /* a store port (service.h) */
static uint32_t port_store_page[SERVICE_MAX_PORTS];   /* its ring's page + 1, once bound */
static uint32_t quota_ports_in_use;                   /* every service's quota_ports */

/* ---- arenas ------------------------------------------------------------------ */

void arena_hold(struct arena *a)
{
	atomic_fetch_add(&a->refcnt, 1);
}

void arena_put(struct arena *a)
{
	if (!a || atomic_fetch_sub(&a->refcnt, 1) != 1)
		return;
	munmap(a->base, (size_t)a->pages * PAGE);
	close(a->fd);
	free(a->used);
	pthread_mutex_destroy(&a->lock);
	free(a);
}

int service_arena_register(struct service *s, uint32_t role, uint32_t pages, int fd,
			   char *err, size_t errlen)
{
	const int seals = F_SEAL_SHRINK | F_SEAL_GROW;
	struct arena *a;
	struct stat st;
	int have;

	if (role != BH_ARENA_XENSTORE && role != BH_ARENA_GRANT) {
		snprintf(err, errlen, "unknown arena role %u", role);
		goto inval;
	}
	if (xsm_arena_register(s, role)) {
		snprintf(err, errlen, role == BH_ARENA_XENSTORE ?
			 "the policy does not let this label serve xenstore" :
			 "the policy does not let this label grant pages");
		close(fd);
		return -EACCES;
	}
	if (pages == 0 || pages > ARENA_MAX_PAGES) {
		snprintf(err, errlen, "an arena has 1..%u pages, not %u", ARENA_MAX_PAGES, pages);
		goto inval;
	}
	/*
	 * The service keeps the file too: it must not be able to shrink it
	 * under a guest's mapping (SIGBUS in bulkhead or a KVM fault).
	 */
	have = fcntl(fd, F_GET_SEALS);
	if (fstat(fd, &st) || !S_ISREG(st.st_mode) || have < 0 || (have & seals) != seals) {
		snprintf(err, errlen, "an arena must be a memfd sealed with F_SEAL_SHRINK|F_SEAL_GROW");
		goto inval;
	}
	if ((uint64_t)st.st_size != (uint64_t)pages * PAGE) {
		snprintf(err, errlen, "the arena file has %lld bytes, not %u pages",
			 (long long)st.st_size, pages);
		goto inval;
	}
	pthread_mutex_lock(&s->lock);
	if (s->arena) {
		pthread_mutex_unlock(&s->lock);
		snprintf(err, errlen, "this connection already registered an arena");
		close(fd);
		return -EEXIST;
	}
	pthread_mutex_unlock(&s->lock);
	a = calloc(1, sizeof(*a));
	if (!a || !(a->used = calloc(pages, 1)))
		goto nomem;
	a->base = mmap(NULL, (size_t)pages * PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (a->base == MAP_FAILED) {
		snprintf(err, errlen, "mapping the arena: %s", strerror(errno));
		free(a->used);
		free(a);
		close(fd);
		return -EINVAL;
	}
	madvise(a->base, (size_t)pages * PAGE, MADV_DONTDUMP);
	/* The service's, and for xenstore the role's */
	atomic_store(&a->refcnt, role == BH_ARENA_XENSTORE ? 2 : 1);
	pthread_mutex_init(&a->lock, NULL);
	a->fd = fd;
	a->pages = pages;
	a->role = role;
	a->owner_sid = s->sid;
	pthread_mutex_lock(&s->lock);
	s->arena = a;
	pthread_mutex_unlock(&s->lock);
	if (role == BH_ARENA_GRANT) {
		log_info("service: grant arena of %u pages registered", pages);
		return 0;
	}
	pthread_mutex_lock(&services_lock);
	arena_put(xenstore_arena);
	xenstore_arena = a;
	pthread_mutex_unlock(&services_lock);
	log_info("service: xenstore arena of %u pages registered", pages);
	return 0;
nomem:
	if (a)
		free(a->used);
	free(a);
	close(fd);
	snprintf(err, errlen, "out of memory");
	return -ENOMEM;
inval:
	close(fd);
	return -EINVAL;
}

int service_store_setup(struct domain *d, char *err, size_t errlen)
{
	struct kvm_userspace_memory_region r = { .guest_phys_addr = BH_STORE_GPA, .memory_size = PAGE };
	struct arena *a;
	uint32_t p;
	long port;

	d->store_page = BH_NO_STORE;
	pthread_mutex_lock(&services_lock);
	a = xenstore_arena;
	if (a)
		atomic_fetch_add(&a->refcnt, 1);
	pthread_mutex_unlock(&services_lock);
	if (!a)
		return 0;
	if (xsm_store_page(a, d)) {
		log_warn("domain %u (%s): no xenstore ring: the policy does not let xenstored serve it",
			 d->id, d->name);
		arena_put(a);
		return 0;
	}
	pthread_mutex_lock(&a->lock);
	for (p = 0; p < a->pages && a->used[p]; p++)
		;
	if (p < a->pages)
		a->used[p] = ARENA_PAGE_DOMAIN;
	pthread_mutex_unlock(&a->lock);
	if (p == a->pages) {
		snprintf(err, errlen, "xenstored's arena is full (%u domains)", a->pages);
		arena_put(a);
		return -1;
	}
	memset(a->base + (size_t)p * PAGE, 0, PAGE);
	r.slot = GNTTAB_MAX_MAPS + 1;
	r.userspace_addr = (uintptr_t)(a->base + (size_t)p * PAGE);
	if (r.slot >= (uint32_t)d->nr_memslots || ioctl(d->vm_fd, KVM_SET_USER_MEMORY_REGION, &r)) {
		snprintf(err, errlen, "mapping the xenstore ring: %s", strerror(errno));
		goto fail;
	}
	port = evtchn_alloc_for_dom0(d);
	if (port < 0) {
		snprintf(err, errlen, "no event channel for xenstore");
		goto fail;
	}
	d->store_arena = a;
	d->store_page = p;
	d->hvm_param[HVM_PARAM_STORE_PFN] = BH_STORE_GPA >> 12;
	d->hvm_param[HVM_PARAM_STORE_EVTCHN] = port;
	return 0;
fail:
	pthread_mutex_lock(&a->lock);
	a->used[p] = 0;
	pthread_mutex_unlock(&a->lock);
	arena_put(a);
	return -1;
}

/* Take one holder off a page; it is free once nobody holds it. */
static void store_page_let_go(struct arena *a, uint64_t page, uint8_t holder)
{
	pthread_mutex_lock(&a->lock);
	a->used[page] &= (uint8_t)~holder;
	pthread_mutex_unlock(&a->lock);
}

void service_store_release(struct domain *d)
{
	struct arena *a = d->store_arena;

	if (!a)
		return;
	store_page_let_go(a, d->store_page, ARENA_PAGE_DOMAIN);
	d->store_arena = NULL;
	d->store_page = BH_NO_STORE;
	arena_put(a);
}

/* ---- services ---------------------------------------------------------------- */

struct service *service_new(uint32_t sid)
{
	struct service *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	s->notify_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (s->notify_fd < 0) {
		free(s);
		return NULL;
	}
	atomic_store(&s->refcnt, 1);
	pthread_mutex_init(&s->lock, NULL);
	s->sid = sid;
	pthread_mutex_lock(&services_lock);
	s->next = services;
	services = s;
	pthread_mutex_unlock(&services_lock);
	return s;
}

void service_put(struct service *s)
{
	if (atomic_fetch_sub(&s->refcnt, 1) != 1)
		return;
	close(s->notify_fd);
	pthread_mutex_destroy(&s->lock);
	free(s);
}

static void wake(struct service *s)
{
	uint64_t one = 1;

	if (write(s->notify_fd, &one, sizeof(one)) < 0 && errno != EAGAIN)
		log_warn("service: cannot wake a connection: %s", strerror(errno));
}

static void set_pending(struct service *s, uint32_t port)
{
	uint64_t bit = 1ull << (port % 64);

	if (!(atomic_fetch_or(&s->pending[port / 64], bit) & bit))
		wake(s);
}

/* Is the service's `port` the binding of d's `gport`? With s->lock. */
static bool binding_is(const struct service *s, uint32_t port, const struct domain *d,
		       uint32_t gport)
{
	const struct service_port *sp;

	if (!port || port >= SERVICE_MAX_PORTS)
		return false;
	sp = &s->port[port];
	return sp->state == SVC_PORT_DOMAIN && sp->d == d && sp->port == gport;
}

void service_port_notify(struct service *s, uint32_t port, const struct domain *d,
			 uint32_t gport)
{
	pthread_mutex_lock(&s->lock);
	if (binding_is(s, port, d, gport))
		set_pending(s, port);
	pthread_mutex_unlock(&s->lock);
}

/* The binding is gone from the guest's side: the service must close its port. With s->lock. */
static void mark_closed(struct service *s, uint32_t port)
{
	s->port[port].state = SVC_PORT_CLOSED;
	s->port[port].d = NULL;
	atomic_fetch_or(&s->closed[port / 64], 1ull << (port % 64));
	set_pending(s, port);
}

void service_port_peer_closed(struct service *s, uint32_t port, const struct domain *d,
			      uint32_t gport)
{
	pthread_mutex_lock(&s->lock);
	if (binding_is(s, port, d, gport))
		mark_closed(s, port);
	pthread_mutex_unlock(&s->lock);
}

void service_port_unbound(struct service *s, uint32_t port, const struct domain *d,
			  uint32_t gport)
{
	pthread_mutex_lock(&s->lock);
	if (binding_is(s, port, d, gport)) {
		s->port[port].state = SVC_PORT_CLOSED;
		s->port[port].d = NULL;
	}
	pthread_mutex_unlock(&s->lock);
}

static unsigned int take_bits(struct service *s, _Atomic uint64_t *map, uint32_t *ports,
			      unsigned int max)
{
	unsigned int n = 0;

	for (unsigned int w = 0; w < SERVICE_MAX_PORTS / 64 && n < max; w++) {
		uint64_t bits = atomic_exchange(&map[w], 0);

		while (bits) {
			unsigned int b = __builtin_ctzll(bits);

			bits &= bits - 1;
			if (n < max) {
				ports[n++] = w * 64 + b;
			} else {
				atomic_fetch_or(&map[w], 1ull << b); /* next time */
				wake(s);
			}
		}
	}
	return n;
}

unsigned int service_take_pending(struct service *s, uint32_t *ports, unsigned int max)
{
	return take_bits(s, s->pending, ports, max);
}

unsigned int service_take_closed(struct service *s, uint32_t *ports, unsigned int max)
{
	return take_bits(s, s->closed, ports, max);
}

/*
 * A free port of dom0's, reserved for s as `state`; 0 when there is none
 * or s is at its quota. Only a store port may take one of the numbers
 * kept for store ports.
 */
static uint32_t reserve_port(struct service *s, uint8_t state, bool store)
{
	uint32_t p = SERVICE_MAX_PORTS;

	pthread_mutex_lock(&services_lock);
	if (store || (s->quota_ports < SERVICE_PORT_QUOTA &&
		      quota_ports_in_use < SERVICE_MAX_PORTS - 1 - SERVICE_STORE_PORTS))
		for (p = 1; p < SERVICE_MAX_PORTS && port_owner[p]; p++)
			;
	if (p < SERVICE_MAX_PORTS) {
		port_owner[p] = s;
		port_is_store[p] = store;
		if (!store) {
			s->quota_ports++;
			quota_ports_in_use++;
		}
	}
	pthread_mutex_unlock(&services_lock);
	if (p == SERVICE_MAX_PORTS)
		return 0;
	pthread_mutex_lock(&s->lock);
	memset(&s->port[p], 0, sizeof(s->port[p]));
	s->port[p].state = state;
	pthread_mutex_unlock(&s->lock);
	return p;
}

/* Free the port, with s->lock: from now on no guest can bind it and nothing marks it. */
static void free_port_locked(struct service *s, uint32_t p)
{
	memset(&s->port[p], 0, sizeof(s->port[p]));
	atomic_fetch_and(&s->pending[p / 64], ~(1ull << (p % 64)));
	atomic_fetch_and(&s->closed[p / 64], ~(1ull << (p % 64)));
}

/* Give a freed port's number back to dom0's space. */
static void unreserve_port(struct service *s, uint32_t p)
{
	bool store = false;
	uint32_t page = 0;

	pthread_mutex_lock(&services_lock);
	if (port_owner[p] == s) {
		port_owner[p] = NULL;
		store = port_is_store[p];
		page = port_store_page[p];
		port_store_page[p] = 0;
		if (!store) {
			s->quota_ports--;
			quota_ports_in_use--;
		}
		port_is_store[p] = false;
	}
	pthread_mutex_unlock(&services_lock);
	/* A store port holds its ring's page (ARENA_PAGE_SERVICE, page + 1) while it is bound. */
	if (store && page && s->arena)
		store_page_let_go(s->arena, page - 1, ARENA_PAGE_SERVICE);
}

int service_evtchn_bind(struct service *s, domid_t domid, uint32_t remote_port)
{
	struct domain *d = domain_get(domid);
	bool store = false;
	uint32_t local;
	int rc;

	if (!d)
		return -ESRCH;
	/* A domain's xenstore port is for the xenstored that holds its ring, no other service. */
	if (d->store_arena && remote_port == d->hvm_param[HVM_PARAM_STORE_EVTCHN]) {
		pthread_mutex_lock(&s->lock);
		store = s->arena == d->store_arena;
		pthread_mutex_unlock(&s->lock);
		if (!store) {
			domain_put(d);
			return -EACCES;
		}
	}
	local = reserve_port(s, SVC_PORT_CLOSED, store);
	if (!local) {
		domain_put(d);
		return -ENOSPC;
	}
	/* Takes d's table lock, then ours to publish the binding. */
	rc = evtchn_bind_service(d, remote_port, s, local);
	if (rc) {
		pthread_mutex_lock(&s->lock);
		free_port_locked(s, local);
		pthread_mutex_unlock(&s->lock);
		unreserve_port(s, local);
	} else if (store) {
		/*
		 * From now on the ring page waits for our close too. d is held,
		 * so it still holds the page, and only this connection's thread
		 * closes the port.
		 */
		pthread_mutex_lock(&services_lock);
		port_store_page[local] = (uint32_t)d->store_page + 1;
		pthread_mutex_unlock(&services_lock);
		pthread_mutex_lock(&d->store_arena->lock);
		d->store_arena->used[d->store_page] |= ARENA_PAGE_SERVICE;
		pthread_mutex_unlock(&d->store_arena->lock);
	}
	domain_put(d);
	return rc ? rc : (int)local;
}

/* evtchn.c, with d's table locked, once the binding is made. */
void service_port_bound(struct service *s, uint32_t local, struct domain *d, uint32_t port,
			uint32_t sid)
{
	pthread_mutex_lock(&s->lock);
	s->port[local] = (struct service_port){
		.state = SVC_PORT_DOMAIN, .domid = d->id, .port = port, .d = d, .sid = sid
	};
	set_pending(s, local); /* as Xen does for a new binding: nothing is lost */
	pthread_mutex_unlock(&s->lock);
}

int service_evtchn_bind_virq(struct service *s, uint32_t virq)
{
	uint32_t local;
	int rc;

	if (virq != VIRQ_DOM_EXC)
		return -EINVAL;
	/* As in Xen, only the designated handler learns of every domain's life cycle. */
	rc = xsm_service_virq(s, virq);
	if (rc)
		return rc;
	local = reserve_port(s, SVC_PORT_VIRQ, false);
	return local ? (int)local : -ENOSPC;
}

int service_evtchn_alloc_unbound(struct service *s, domid_t domid)
{
	struct domain *d = domain_get(domid);
	uint32_t local, sid;
	uint64_t serial;
	int rc;

	if (!d)
		return -ESRCH;
	rc = xsm_service_evtchn_unbound(s, d, &sid);
	serial = d->serial;
	domain_put(d);
	if (rc)
		return rc;
	local = reserve_port(s, SVC_PORT_UNBOUND, false);
	if (!local)
		return -ENOSPC;
	pthread_mutex_lock(&s->lock);
	s->port[local].domid = domid;
	s->port[local].serial = serial;
	s->port[local].sid = sid;
	pthread_mutex_unlock(&s->lock);
	return (int)local;
}

struct service *service_bind_from_guest(struct domain *d, uint32_t port, uint32_t local,
					struct evtchn *chn, long *rc)
{
	struct service *s = NULL;
	uint32_t send;

	*rc = -XEN_EINVAL;
	if (!port || port >= SERVICE_MAX_PORTS)
		return NULL;
	pthread_mutex_lock(&services_lock);
	s = port_owner[port];
	if (s)
		atomic_fetch_add(&s->refcnt, 1);
	pthread_mutex_unlock(&services_lock);
	if (!s)
		return NULL;
	pthread_mutex_lock(&s->lock);
	if (s->dead || s->port[port].state != SVC_PORT_UNBOUND || s->port[port].domid != d->id ||
	    s->port[port].serial != d->serial)
		goto fail;
	if (xsm_service_evtchn_bind(s, d, chn, &send)) {
		*rc = -XEN_EACCES;
		goto fail;
	}
	s->port[port] = (struct service_port){
		.state = SVC_PORT_DOMAIN, .domid = d->id, .port = local, .d = d, .sid = send
	};
	set_pending(s, port); /* the service learns its client came */
	pthread_mutex_unlock(&s->lock);
	*rc = 0;
	return s;
fail:
	pthread_mutex_unlock(&s->lock);
	service_put(s);
	return NULL;
}

/* The domain behind a bound port, held; NULL (and *rc) otherwise. */
static struct domain *port_domain(struct service *s, uint32_t local, uint32_t *gport,
				  uint32_t *sid, int *rc)
{
	struct domain *d = NULL;

	*rc = -EINVAL;
	if (!local || local >= SERVICE_MAX_PORTS)
		return NULL;
	pthread_mutex_lock(&s->lock);
	if (s->port[local].state == SVC_PORT_DOMAIN) {
		d = s->port[local].d;
		*gport = s->port[local].port;
		*sid = s->port[local].sid;
		/* Alive: its end is still bound, so it has not been torn down. */
		domain_hold(d);
	} else if (s->port[local].state == SVC_PORT_CLOSED) {
		*rc = -ENOTCONN;
	}
	pthread_mutex_unlock(&s->lock);
	return d;
}

int service_evtchn_send(struct service *s, uint32_t local)
{
	uint32_t gport, sid;
	struct domain *d;
	int rc;

	d = port_domain(s, local, &gport, &sid, &rc);
	if (!d) {
		if (local && local < SERVICE_MAX_PORTS && rc == -EINVAL) {
			pthread_mutex_lock(&s->lock);
			if (s->port[local].state == SVC_PORT_VIRQ ||
			    s->port[local].state == SVC_PORT_UNBOUND)
				rc = 0; /* as Xen: a send on these does nothing */
			pthread_mutex_unlock(&s->lock);
		}
		return rc;
	}
	rc = evtchn_service_send(d, gport, s, local, sid);
	domain_put(d);
	return rc;
}

/*
 * A guest binds an unbound port under s->lock (service_bind_from_guest),
 * so the port is freed under that lock in the same step as its state is
 * last looked at: either a guest bound it first, and its end is unbound
 * here before the port is freed, or the guest finds it free. Only this
 * connection's thread frees its ports.
 */
int service_evtchn_close(struct service *s, uint32_t local)
{
	if (!local || local >= SERVICE_MAX_PORTS)
		return -EINVAL;
	for (;;) {
		struct service_port *sp = &s->port[local];
		struct domain *d;
		uint32_t gport;

		pthread_mutex_lock(&s->lock);
		if (sp->state == SVC_PORT_FREE) {
			pthread_mutex_unlock(&s->lock);
			return -EINVAL;
		}
		if (sp->state != SVC_PORT_DOMAIN)
			break;
		/* Alive: its end is still bound, so it has not been torn down. */
		d = sp->d;
		gport = sp->port;
		domain_hold(d);
		pthread_mutex_unlock(&s->lock);
		/* Takes d's table lock, then ours: the port leaves SVC_PORT_DOMAIN. */
		evtchn_service_unbind(d, gport, s, local);
		domain_put(d);
	}
	free_port_locked(s, local);
	pthread_mutex_unlock(&s->lock);
	unreserve_port(s, local);
	return 0;
}

void service_close(struct service *s)
{
	struct service **pp;
	struct arena *a;

	for (uint32_t p = 1; p < SERVICE_MAX_PORTS; p++)
		if (s->port[p].state != SVC_PORT_FREE)
			service_evtchn_close(s, p);
	service_grant_close(s);
	pthread_mutex_lock(&services_lock);
	for (pp = &services; *pp; pp = &(*pp)->next) {
		if (*pp == s) {
			*pp = s->next;
			break;
		}
	}
	/* Domains keep their pages; new domains get none until a new xenstored registers. */
	a = s->arena;
	if (a && xenstore_arena == a) {
		xenstore_arena = NULL;
		arena_put(a);
	}
	pthread_mutex_unlock(&services_lock);
	pthread_mutex_lock(&s->lock);
	s->arena = NULL;
	s->dead = true;
	pthread_mutex_unlock(&s->lock);
	arena_put(a);
}

void service_domain_gone(const struct domain *d)
{
	pthread_mutex_lock(&services_lock);
	for (struct service *s = services; s; s = s->next) {
		pthread_mutex_lock(&s->lock);
		for (uint32_t p = 1; p < SERVICE_MAX_PORTS; p++) {
			struct service_port *sp = &s->port[p];

			if (sp->state == SVC_PORT_UNBOUND && sp->domid == d->id &&
			    sp->serial == d->serial)
				mark_closed(s, p);
		}
		pthread_mutex_unlock(&s->lock);
	}
	pthread_mutex_unlock(&services_lock);
	dom0_grants_domain_gone(d);
}

void service_dom_exc(void)
{
	pthread_mutex_lock(&services_lock);
	for (struct service *s = services; s; s = s->next) {
		pthread_mutex_lock(&s->lock);
		for (uint32_t p = 1; p < SERVICE_MAX_PORTS; p++)
			if (s->port[p].state == SVC_PORT_VIRQ)
				set_pending(s, p);
		pthread_mutex_unlock(&s->lock);
	}
	pthread_mutex_unlock(&services_lock);
}
