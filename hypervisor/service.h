/*
 * Host services: dom0 processes (xenstored, later vchan servers and the GUI
 * daemon) that reach domains through bulkhead, never through their memory
 * (DESIGN.md section 3).
 *
 * A service is one control connection. It has its own event-channel port
 * numbers, bound to guests' unbound ports that name dom0, or to
 * VIRQ_DOM_EXC. When a guest sends on such a port, bulkhead sets the
 * service's pending bit and wakes the connection thread through an eventfd;
 * that thread sends the pending ports as one BH_CTL_EV_EVTCHN message. A
 * vCPU never blocks on a service.
 *
 * Port numbers are dom0's: one space shared by every service, so that a
 * guest can bind a service's unbound port as (remote_dom 0, port), as it
 * would bind a port of Xen's dom0 (service_evtchn_alloc_unbound).
 *
 * An arena is a memfd that a service registers. Bulkhead maps its pages
 * into domains; the service maps the same file. The xenstore arena gives
 * each new domain one page, its ring at HVM_PARAM_STORE_PFN. A grant arena
 * holds pages the service grants to domains as dom0's grants
 * (service_grant.c): a domain maps them with GNTTABOP_map_grant_ref(dom 0).
 *
 * Lifetimes: a service and an arena are reference-counted. A guest port
 * bound to a service holds the service; a domain's store page holds the
 * arena; a dom0 grant holds its arena while it exists. Lock order: a
 * domain's evtchn lock, then services_lock, then service->lock;
 * arena->lock alone; dom0_grants_lock alone.
 */
#ifndef BH_SERVICE_H
#define BH_SERVICE_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include <xen/xen.h>

#include "flask.h"

#define SERVICE_MAX_PORTS 4096  /* dom0's port numbers; 0 is never used */
/*
 * Quotas on dom0's shared port space (docs/hardening.md). A domain's
 * xenstore port, bound by the xenstored that holds its ring, is a store
 * port: it counts against nothing, and SERVICE_STORE_PORTS numbers are
 * kept for store ports alone, so that no other service can stop xenstored
 * from serving a new domain. Every other port counts against its
 * connection, at most SERVICE_PORT_QUOTA.
 */
#define SERVICE_PORT_QUOTA 1024
#define SERVICE_STORE_PORTS 1024
#define ARENA_MAX_PAGES 65536   /* 256 MiB */
/* The xenstore ring's guest-physical page: in the MMIO hole, as Xen's PVH special pages. */
#define BH_STORE_GPA 0xfeff0000ull

struct domain;
struct evtchn;

enum service_port_state {
	SVC_PORT_FREE = 0,
	SVC_PORT_DOMAIN,   /* bound to (domid, port) */
	SVC_PORT_CLOSED,   /* the guest end went away; the service must close it */
	SVC_PORT_VIRQ,     /* VIRQ_DOM_EXC */
	SVC_PORT_UNBOUND,  /* offered to domid, which binds it as (dom 0, port) */
};

struct service_port {
	uint8_t state;
	domid_t domid;
	uint64_t serial;      /* SVC_PORT_UNBOUND: the domain's (domain.h) */
	uint32_t port;        /* the guest's port */
	struct domain *d;     /* SVC_PORT_DOMAIN; kept alive by the guest's end */
	uint32_t sid;         /* this end's Flask label */
};

struct arena {
	atomic_int refcnt;
	pthread_mutex_t lock;
	int fd;
	uint8_t *base;        /* bulkhead's own mapping */
	uint32_t pages;
	uint32_t role;        /* bh_arena_role */
	uint32_t owner_sid;   /* the registering service's label */
	uint8_t *used;        /* one byte per page: ARENA_PAGE_*, free at 0 */
};

/*
 * Who holds a xenstore arena page. A domain's ring page is handed to a new
 * domain only once both have let go: the domain when it is freed, and the
 * xenstored that bound its store port when it closes that port (or its
 * connection), so that it never serves a new domain's ring as the old one's.
 */
#define ARENA_PAGE_DOMAIN 1u
#define ARENA_PAGE_SERVICE 2u

struct service {
	atomic_int refcnt;
	pthread_mutex_t lock;
	uint32_t sid;         /* the connection's label */
	int notify_fd;        /* eventfd the connection thread polls */
	bool dead;            /* the connection is gone */
	struct service_port port[SERVICE_MAX_PORTS];
	_Atomic uint64_t pending[SERVICE_MAX_PORTS / 64];
	_Atomic uint64_t closed[SERVICE_MAX_PORTS / 64]; /* guest ends gone, not yet told */
	struct arena *arena;  /* the one it registered, if any */
	struct service *next; /* services_lock */
	uint32_t quota_ports; /* services_lock: ports held that are not store ports */
	uint32_t grants;      /* dom0_grants_lock: live dom0 grants (owner == this) */
};

/* A connection becomes a service on its first service op. NULL when out of memory. */
struct service *service_new(uint32_t sid);
/* The connection closed: unbind every port (guest ends become unbound). */
void service_close(struct service *s);
void service_put(struct service *s);

/* BH_CTL_ARENA_REGISTER: fd is the memfd, consumed. */
int service_arena_register(struct service *s, uint32_t role, uint32_t pages, int fd,
			   char *err, size_t errlen);
/* BH_CTL_EVTCHN_*: local ports, or -errno. */
int service_evtchn_bind(struct service *s, domid_t domid, uint32_t remote_port);
/* VIRQ_DOM_EXC only, and only for a label allowed to be its handler (-EACCES). */
int service_evtchn_bind_virq(struct service *s, uint32_t virq);
int service_evtchn_send(struct service *s, uint32_t port);
int service_evtchn_close(struct service *s, uint32_t port);
/* BH_CTL_EVTCHN_ALLOC_UNBOUND: a port domid may bind; the port or -errno. */
int service_evtchn_alloc_unbound(struct service *s, domid_t domid);
/* Collect and clear pending ports, at most max; their count. */
unsigned int service_take_pending(struct service *s, uint32_t *ports, unsigned int max);
/* The same for ports whose guest end closed. */
unsigned int service_take_closed(struct service *s, uint32_t *ports, unsigned int max);

/*
 * From evtchn.c, with d's table locked: d binds dom0's `port` into its
 * free port `local`, whose entry is chn. The service (held, for chn->svc)
 * or NULL with *rc a Xen errno.
 */
struct service *service_bind_from_guest(struct domain *d, uint32_t port, uint32_t local,
					struct evtchn *chn, long *rc);

/*
 * From evtchn.c, with d's table locked: d's port gport, bound to the
 * service's port, notified / closed / was unbound by the service
 * (evtchn_service_unbind). Each acts only if the service's port is still
 * that binding, never on a later one that has the same number.
 */
void service_port_notify(struct service *s, uint32_t port, const struct domain *d,
			 uint32_t gport);
void service_port_peer_closed(struct service *s, uint32_t port, const struct domain *d,
			      uint32_t gport);
void service_port_unbound(struct service *s, uint32_t port, const struct domain *d,
			  uint32_t gport);
/* From evtchn.c, with the guest's table locked: the binding is made. */
void service_port_bound(struct service *s, uint32_t local, struct domain *d, uint32_t port,
			uint32_t sid);

/*
 * d is gone from the registry: ports offered to it become closed guest
 * ends (the service is told, as when a bound guest goes), and dom0 grants
 * to it name DOMID_INVALID, so that a later domain with its id can use
 * neither.
 */
void service_domain_gone(const struct domain *d);
void dom0_grants_domain_gone(const struct domain *d);

/* VIRQ_DOM_EXC to every service that bound it: a domain changed state. Any thread. */
void service_dom_exc(void);

/*
 * A new domain's xenstore ring: a zeroed page of the xenstore arena mapped
 * at BH_STORE_GPA, and an unbound port naming dom0. Nothing (and 0) when
 * no xenstored has registered one. Before the domain runs.
 */
int service_store_setup(struct domain *d, char *err, size_t errlen);
/* Give the domain's store page back (domain teardown). */
void service_store_release(struct domain *d);

void arena_hold(struct arena *a);
void arena_put(struct arena *a);

/*
 * dom0 grants (service_grant.c): at most DOM0_GRANT_MAX, refs from
 * DOM0_GRANT_FIRST (Xen keeps the first 8 for the toolstack), and at most
 * DOM0_GRANT_QUOTA live ones per connection (two vchans of the largest
 * rings, docs/hardening.md).
 */
#define DOM0_GRANT_MAX 4096
#define DOM0_GRANT_FIRST 8
#define DOM0_GRANT_QUOTA 1024

/* BH_CTL_GRANT_ACCESS: the ref, or -errno (-ENOSPC: the table or the connection's quota is full). */
int service_grant_access(struct service *s, domid_t domid, uint32_t page, bool readonly,
			 char *err, size_t errlen);
/* BH_CTL_GRANT_END: 0, -EBUSY while mapped, -EINVAL if not the caller's. */
int service_grant_end(struct service *s, uint32_t ref);
/*
 * One segment of BH_CTL_GRANT_COPY: len bytes at offset of the page domid
 * granted to dom0 as ref, into buf or (to_guest) out of it. GNTST_*.
 */
int16_t service_grant_copy(struct service *s, domid_t domid, uint32_t ref, uint16_t offset,
			   uint16_t len, void *buf, bool to_guest);
/* The service is gone: end its grants; mapped ones go at their last unmap. */
void service_grant_close(struct service *s);

/*
 * A domain maps dom0's ref, in two steps so that the policy is asked
 * before anything moves. dom0_grant_sid: the granting service's label, to
 * check the mapping against, or 0 if ref is no grant. dom0_grant_map:
 * checks the entry still has that label, names the mapper and allows
 * writing when !readonly, then counts the mapping and holds the arena;
 * the page's address in bulkhead. Both return GNTST_* statuses.
 */
int16_t dom0_grant_sid(uint32_t ref, uint32_t *sid);
int16_t dom0_grant_map(uint32_t ref, const struct domain *mapper, bool readonly, uint32_t sid,
		       void **host, struct arena **arena);
/* The mapping of ref (from dom0_grant_map) is gone. */
void dom0_grant_unmap(uint32_t ref, struct arena *arena);

#endif
