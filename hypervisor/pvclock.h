/*
 * Guest time: pvclock (vcpu_time_info), the wallclock in shared_info, and
 * the per-vCPU single-shot timer.
 *
 * System time is CLOCK_MONOTONIC in nanoseconds, the same for every domain,
 * as Xen's is the same for every domain. The guest's TSC is the host's plus
 * a per-vCPU offset read from KVM once, so vcpu_time_info can be refreshed
 * from bulkhead without an exit.
 *
 * Timers are timerfds, one per vCPU; the main thread waits on them and calls
 * timer_expired(), which raises VIRQ_TIMER.
 */
#ifndef BH_PVCLOCK_H
#define BH_PVCLOCK_H

#include <stdint.h>

struct domain;
struct vcpu;

/* Once at start-up: read the TSC frequency and compute the pvclock scale. */
int time_init(int vcpu_fd);

/* Per vCPU, on its own thread before it first runs. */
int vcpu_time_init(struct vcpu *v);

/* Rewrite vcpu_time_info for v (any thread; v's time lock serialises). */
void vcpu_time_update(struct vcpu *v);

/* Write the wallclock into the domain's current shared_info. */
void domain_wallclock_update(struct domain *d);

/* Arm (deadline > 0) or stop (0) v's timer. deadline is system time ns. */
void vcpu_timer_set(struct vcpu *v, uint64_t deadline);

/* Main thread: v's timerfd became readable. */
void vcpu_timer_expired(struct vcpu *v);

#endif
