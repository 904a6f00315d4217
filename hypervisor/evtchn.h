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
};

struct domain;

struct evtchn {
	uint8_t state;
	uint8_t vcpu;              /* notified vCPU */
	uint16_t virq;             /* ECS_VIRQ */
	domid_t remote_dom;        /* ECS_UNBOUND: who may bind; ECS_INTERDOMAIN: the peer */
	evtchn_port_t remote_port; /* ECS_INTERDOMAIN */
	struct domain *remote;     /* ECS_INTERDOMAIN, with a reference */
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

/* Ports usable: [1, max_event_channels], capped by the 2-level ABI. */
int evtchn_domain_init(struct domain *d, unsigned int max_event_channels);
void evtchn_domain_fini(struct domain *d);

/* Close every port of a dying domain; its peers' ends become unbound. */
void evtchn_close_all(struct domain *d);

/* EVTCHNOP_* dispatch from hypercall.c. */
long do_event_channel_op(struct vcpu *v, uint64_t cmd, uint64_t arg);

/* Raise a per-vCPU VIRQ (VIRQ_TIMER) if the guest bound it. Any thread. */
void evtchn_send_virq(struct vcpu *v, unsigned int virq);

/* Mark a port pending and upcall its vCPU, as Xen's evtchn_2l_set_pending. */
void evtchn_set_pending(struct domain *d, unsigned int port);

/* Set vcpu_info.evtchn_upcall_pending, inject the upcall vector, wake the vCPU. */
void vcpu_mark_events_pending(struct vcpu *v);

#endif
