/* __HYPERVISOR_sched_op and set_timer_op: blocking, polling, shutdown, timers. */
#include <stdint.h>
#include <sched.h>
#include <time.h>

#include <xen/sched.h>

#include "hypercall.h"
#include "pvclock.h"
#include "vcpu.h"
#include "xsm.h"

#define SCHED_POLL_MAX_PORTS 128 /* Xen's limit */

static bool events_pending(struct vcpu *v)
{
	return __atomic_load_n(&vcpu_info_of(v)->evtchn_upcall_pending, __ATOMIC_ACQUIRE);
}

/*
 * Wait on v->wake until done() or a kick, or until deadline (system time,
 * 0 = none). Called with v->lock held.
 */
static void vcpu_wait(struct vcpu *v, bool (*done)(struct vcpu *, const void *),
		      const void *arg, uint64_t deadline)
{
	while (!done(v, arg) && !vcpu_should_stop(v)) {
		struct timespec ts;

		if (!deadline) {
			pthread_cond_wait(&v->wake, &v->lock);
			continue;
		}
		if (bh_now_ns() >= deadline)
			break;
		ts.tv_sec = deadline / 1000000000ull;
		ts.tv_nsec = deadline % 1000000000ull;
		pthread_cond_timedwait(&v->wake, &v->lock, &ts);
	}
}

static bool block_done(struct vcpu *v, const void *arg)
{
	(void)arg;
	return events_pending(v);
}

/*
 * SCHEDOP_block returns once an event is pending for this vCPU, whatever
 * its interrupt flag: a Bulkhead kernel polls at CPL3 and need not take
 * the upcall to make progress (docs/abi.md).
 */
static long sched_block(struct vcpu *v)
{
	pthread_mutex_lock(&v->lock);
	vcpu_wait(v, block_done, NULL, 0);
	pthread_mutex_unlock(&v->lock);
	vcpu_time_update(v);
	return 0;
}

struct poll_set {
	unsigned int n;
	evtchn_port_t port[SCHED_POLL_MAX_PORTS];
};

static bool poll_done(struct vcpu *v, const void *arg)
{
	const struct poll_set *ps = arg;
	const xen_ulong_t *pending = atomic_load(&v->d->shared_info)->evtchn_pending;
	unsigned int i, bits = sizeof(xen_ulong_t) * 8;

	for (i = 0; i < ps->n; i++) {
		unsigned int p = ps->port[i];

		if (__atomic_load_n(&pending[p / bits], __ATOMIC_ACQUIRE) & (1ull << (p % bits)))
			return true;
	}
	return false;
}

static long sched_poll(struct vcpu *v, uint64_t arg)
{
	struct sched_poll sp;
	struct poll_set ps;
	unsigned int i;
	int rc;

	if ((rc = guest_copy_from(v, &sp, arg, sizeof(sp))))
		return rc;
	if (sp.nr_ports > SCHED_POLL_MAX_PORTS)
		return -XEN_EINVAL;
	ps.n = sp.nr_ports;
	if ((rc = guest_copy_from(v, ps.port, (uintptr_t)sp.ports.p, ps.n * sizeof(ps.port[0]))))
		return rc;
	for (i = 0; i < ps.n; i++)
		if (ps.port[i] >= v->d->evtchn.max_ports)
			return -XEN_EINVAL;

	pthread_mutex_lock(&v->lock);
	v->polling = true;
	vcpu_wait(v, poll_done, &ps, sp.timeout);
	v->polling = false;
	pthread_mutex_unlock(&v->lock);
	return 0;
}

static long sched_shutdown(struct vcpu *v, uint64_t arg)
{
	struct sched_shutdown ss;
	int rc;

	if ((rc = guest_copy_from(v, &ss, arg, sizeof(ss))))
		return rc;
	switch (ss.reason) {
	case SHUTDOWN_poweroff:
	case SHUTDOWN_reboot:
	case SHUTDOWN_crash:
	case SHUTDOWN_watchdog:
		domain_shutdown(v->d, ss.reason);
		return 0;
	case SHUTDOWN_suspend:
	case SHUTDOWN_soft_reset:
		return -XEN_ENOSYS;
	default:
		return -XEN_EINVAL;
	}
}

long do_sched_op(struct vcpu *v, const uint64_t a[5])
{
	long rc = xsm_schedop(v, (int)a[0]);

	if (rc)
		return rc;
	switch ((int)a[0]) {
	case SCHEDOP_yield:
		sched_yield();
		return 0;
	case SCHEDOP_block:
		return sched_block(v);
	case SCHEDOP_shutdown:
		return sched_shutdown(v, a[1]);
	case SCHEDOP_poll:
		return sched_poll(v, a[1]);
	default:
		return -XEN_ENOSYS;
	}
}

/* set_timer_op(timeout): absolute system time in ns; 0 stops the timer. */
long do_set_timer_op(struct vcpu *v, const uint64_t a[5])
{
	long rc = xsm_set_timer_op(v);

	if (rc)
		return rc;
	vcpu_timer_set(v, a[0]);
	return 0;
}
