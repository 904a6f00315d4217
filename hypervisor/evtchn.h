/*
 * Event channels, 2-level ABI (xen/event_channel.h).
 *
 * This is the core that timers need now: the port table, pending and mask
 * bits in shared_info, the selector in vcpu_info, the upcall, VIRQ binding,
 * unmask and close. Interdomain channels and IPIs build on it (issue 3).
 *
 * Locking: evtchn_domain.lock guards the port table. Pending, mask and
 * selector bits live in guest memory and are changed with atomic bit
 * operations only, because the guest changes them concurrently.
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
	ECS_VIRQ = EVTCHNSTAT_virq,
};

struct evtchn {
	uint8_t state;
	uint8_t vcpu;   /* notified vCPU */
	uint16_t virq;
};

struct evtchn_domain {
	pthread_mutex_t lock;
	unsigned int max_ports;    /* ports [0, max_ports); port 0 is never allocated */
	struct evtchn *port;       /* max_ports entries */
	uint32_t virq_port[XLCFG_VCPUS_MAX][NR_VIRQS]; /* [vcpu][virq] → port, 0 = unbound */
};

struct domain;
struct vcpu;

int evtchn_domain_init(struct domain *d, unsigned int max_ports);
void evtchn_domain_fini(struct domain *d);

/* EVTCHNOP_* dispatch from hypercall.c. */
long do_event_channel_op(struct vcpu *v, uint64_t cmd, uint64_t arg);

/* Raise a per-vCPU VIRQ (VIRQ_TIMER) if the guest bound it. Any thread. */
void evtchn_send_virq(struct vcpu *v, unsigned int virq);

/* Mark a port pending and upcall its vCPU, as Xen's evtchn_2l_set_pending. */
void evtchn_set_pending(struct domain *d, unsigned int port);

/* Set vcpu_info.evtchn_upcall_pending, inject the upcall vector, wake the vCPU. */
void vcpu_mark_events_pending(struct vcpu *v);

#endif
