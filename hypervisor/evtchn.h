/*
 * Event channels, 2-level ABI (xen/event_channel.h): unbound and
 * interdomain channels, VIRQs, IPIs. Pending and mask bits live in
 * shared_info, the selector in vcpu_info.
 *
 * Locking: evtchn_domain.lock guards a domain's port table. An operation on
 * two domains takes both locks, the smaller domain id first (the same
 * domain once). Pending, mask and selector bits live in guest memory and
 * are changed with atomic bit operations only, because the guest changes
 * them concurrently. An interdomain port holds a reference on its peer,
 * dropped when the channel closes from either end.
 */
#ifndef BH_EVTCHN_H
#define BH_EVTCHN_H

#include <pthread.h>
#include <stdint.h>

#include <xen/xen.h>
#include <xen/event_channel.h>

#include "xlcfg.h"

#define EVTCHN_2L_NR_PORTS (sizeof(xen_ulong_t) * 8 * sizeof(xen_ulong_t) * 8)
#define EVTCHN_DEFAULT_MAX_PORTS 1024

enum evtchn_state {
	ECS_FREE = EVTCHNSTAT_closed,
	ECS_UNBOUND = EVTCHNSTAT_unbound,
	ECS_INTERDOMAIN = EVTCHNSTAT_interdomain,
	ECS_VIRQ = EVTCHNSTAT_virq,
	ECS_IPI = EVTCHNSTAT_ipi,
	/* Bulkhead's own: bound to a host service (service.h); status says interdomain, dom0. */
	ECS_SERVICE = 0x80,
};

struct domain;

struct evtchn {
	uint8_t state;
	uint8_t vcpu;              /* notified vCPU */
	uint16_t virq;             /* ECS_VIRQ */
	domid_t remote_dom;        /* ECS_UNBOUND: who may bind; ECS_INTERDOMAIN: the peer */
	uint64_t remote_serial;    /* ECS_UNBOUND: that domain's serial, 0 = the next with that id */
	evtchn_port_t remote_port; /* ECS_INTERDOMAIN */
	struct domain *remote;     /* ECS_INTERDOMAIN, with a reference */
	struct service *svc;       /* ECS_SERVICE, with a reference; remote_port is its port */
	uint32_t sid;              /* Flask label of this end; 0 = not yet labelled */
};

struct evtchn_domain {
	pthread_mutex_t lock;
	unsigned int max_ports;    /* ports [0, max_ports); port 0 is never allocated */
	struct evtchn *port;       /* max_ports entries */
	uint32_t virq_port[XLCFG_VCPUS_MAX][NR_VIRQS]; /* [vcpu][virq] → port, 0 = unbound */
	uint64_t sends;            /* statistics, under lock */
};

struct vcpu;
struct service;

/* Ports usable: [1, max_event_channels], capped by the 2-level ABI. */
int evtchn_domain_init(struct domain *d, unsigned int max_event_channels);
void evtchn_domain_fini(struct domain *d);

/* Close every port of a dying domain; its peers' ends become unbound. */
void evtchn_close_all(struct domain *d);
/*
 * d is gone from the registry: every live domain's unbound ports offered
 * to its id before it existed now name its serial, as those offered since
 * do, so that no later domain with that id can bind them.
 */
void evtchn_forget_domain(const struct domain *d);

/* EVTCHNOP_* dispatch from hypercall.c. */
long do_event_channel_op(struct vcpu *v, uint64_t cmd, uint64_t arg);

/* Raise a per-vCPU VIRQ (VIRQ_TIMER) if the guest bound it. Any thread. */
void evtchn_send_virq(struct vcpu *v, unsigned int virq);

/* Mark a port pending and upcall its vCPU, as Xen's evtchn_2l_set_pending. */
void evtchn_set_pending(struct domain *d, unsigned int port);

/*
 * Host services (service.h). A new unbound port naming dom0 (the xenstore
 * port of a domain being built); the port or -XEN_ENOSPC.
 */
long evtchn_alloc_for_dom0(struct domain *d);
/* Bind d's unbound dom0 port to service s's port `local`; 0 or -errno. */
int evtchn_bind_service(struct domain *d, uint32_t port, struct service *s, uint32_t local);
/* The service sends on `local`, bound to d's `port`; 0 or -errno. */
int evtchn_service_send(struct domain *d, uint32_t port, struct service *s, uint32_t local,
			uint32_t service_end);
/* The service closes `local`: d's end is unbound again, naming dom0. */
void evtchn_service_unbind(struct domain *d, uint32_t port, struct service *s, uint32_t local);

/* Set vcpu_info.evtchn_upcall_pending, inject the upcall vector, wake the vCPU. */
void vcpu_mark_events_pending(struct vcpu *v);

#endif
