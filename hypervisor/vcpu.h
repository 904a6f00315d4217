/*
 * vCPU threads: each vCPU is a KVM vCPU run by its own host thread, which
 * handles its exits (hypercalls, the hypercall-page MSR, faults).
 *
 * Other threads never touch a running vCPU's KVM state. They change the
 * domain's state or the vCPU's online flag and call vcpu_kick(), and the
 * vCPU thread acts on it.
 *
 * v->lock guards v->thread and v->thread_started: vcpu_start_thread sets
 * them, vcpu_kick signals the thread only while thread_started is true, and
 * vcpu_destroy clears it, with its last kick, before it joins the thread.
 * Lock order: domain->lock, then the event-channel lock, then v->lock
 * (domain.h, evtchn.h). Nothing that kicks (vcpu_kick, domain_crash,
 * domain_shutdown) is called with v->lock held: vcpu_kick takes it.
 */
#ifndef BH_VCPU_H
#define BH_VCPU_H

#include <stdbool.h>

#include "domain.h"

/*
 * Initialise v's locks. v->wake waits against CLOCK_MONOTONIC, the clock of
 * system time, so that timed waits (SCHEDOP_poll) sleep until the guest's
 * deadline.
 */
void vcpu_init_locks(struct vcpu *v);

/* Create the KVM vCPU, map its kvm_run, and set CPUID. Builder only. */
int vcpu_create(struct domain *d, unsigned int id, char *err, size_t errlen);

/* Set vCPU 0 to the PVH entry state: 32-bit flat protected mode, %ebx = start info. */
int vcpu_set_pvh_entry(struct vcpu *v, uint32_t entry, uint32_t start_info);

/*
 * Start v's thread, once; it runs while the vCPU is online. Any thread;
 * refused (-1, EBUSY) once the domain is dying, so that domain_destroy
 * joins every thread there is.
 */
int vcpu_start_thread(struct vcpu *v);

/* Make v leave KVM_RUN or a wait and look at its state again. Any thread. */
void vcpu_kick(struct vcpu *v);

/*
 * Join the thread (after the domain is DYING) and free KVM resources. The
 * locks stay until vcpu_fini_locks, when the domain's last reference goes:
 * a peer may still wake the vCPU until its channels are closed.
 */
void vcpu_destroy(struct vcpu *v);
void vcpu_fini_locks(struct vcpu *v);

/* True when v must stop running guest code: domain not running, or v down. */
static inline bool vcpu_should_stop(struct vcpu *v)
{
	return atomic_load(&v->d->state) != DOMAIN_RUNNING || !atomic_load(&v->online);
}

/* Install the signal used by vcpu_kick. Once, before any vCPU thread. */
int vcpu_signals_init(void);

#endif
