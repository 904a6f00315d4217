/* pvclock time, the wallclock, and sleeping on the single-shot timer. */
#include <xen/vcpu.h>
#include <xen/sched.h>

#include <bk/hypercall.h>
#include <bk/kernel.h>

/* Xen's pvclock read: retry while the hypervisor is mid-update (odd version). */
uint64_t now_ns(void)
{
	volatile struct vcpu_time_info *t = &this_cpu()->vcpu_info->time;
	uint32_t ver;
	uint64_t tsc, delta, ns;

	do {
		ver = t->version;
		__atomic_thread_fence(__ATOMIC_ACQUIRE);
		tsc = rdtsc();
		/*
		 * bulkhead stamped tsc_timestamp on another host CPU; a TSC a
		 * few cycles behind it must read as "no time yet", not as 2^64.
		 */
		delta = (int64_t)(tsc - t->tsc_timestamp) > 0 ? tsc - t->tsc_timestamp : 0;
		if (t->tsc_shift < 0)
			delta >>= -t->tsc_shift;
		else
			delta <<= t->tsc_shift;
		ns = t->system_time + (uint64_t)(((unsigned __int128)delta * t->tsc_to_system_mul) >> 32);
		__atomic_thread_fence(__ATOMIC_ACQUIRE);
	} while ((ver & 1) || ver != t->version);
	return ns;
}

uint64_t wallclock_ns(void)
{
	volatile struct shared_info *s = shared_info;
	uint32_t ver;
	uint64_t sec, nsec;

	do {
		ver = s->wc_version;
		__atomic_thread_fence(__ATOMIC_ACQUIRE);
		sec = ((uint64_t)s->wc_sec_hi << 32) | s->wc_sec;
		nsec = s->wc_nsec;
		__atomic_thread_fence(__ATOMIC_ACQUIRE);
	} while ((ver & 1) || ver != s->wc_version);
	return sec * 1000000000ull + nsec + now_ns();
}

void block(void)
{
	HYPERVISOR_sched_op(SCHEDOP_block, 0);
}

static void set_timer(uint64_t deadline)
{
	struct vcpu_set_singleshot_timer t = { .timeout_abs_ns = deadline };

	HYPERVISOR_vcpu_op(VCPUOP_set_singleshot_timer, this_cpu()->id, &t);
}

/*
 * Wait until *counter moves (if counter) or until `deadline` (if non-zero).
 * Upcalls are masked, so that block returns at once for an event that came
 * in between the check and the block (evtchn_poll clears pending first).
 * The timer is armed again after every wake-up that finds the deadline
 * not reached: this vCPU's clock may run a little behind the one the timer
 * fired by, and a timer that fired "early" must not leave us blocked.
 */
static bool wait_until(volatile uint64_t *counter, uint64_t seen, uint64_t deadline)
{
	unsigned long flags = local_irq_save();
	bool ok;

	for (;;) {
		if (deadline)
			set_timer(deadline);
		evtchn_poll();
		if ((counter && *counter != seen) || (deadline && now_ns() >= deadline))
			break;
		block();
	}
	ok = counter && *counter != seen;
	local_irq_restore(flags);
	return ok;
}

bool wait_event(volatile uint64_t *counter, uint64_t seen, uint64_t deadline)
{
	return wait_until(counter, seen, deadline);
}

void sleep_until(uint64_t deadline)
{
	wait_until(NULL, 0, deadline);
}
