#include "pvclock.h"

#include <errno.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>
#include <x86intrin.h>

#include "domain.h"
#include "evtchn.h"
#include "log.h"

#define MSR_IA32_TSC 0x10

static uint32_t tsc_khz;
static uint32_t tsc_mul;
static int8_t tsc_shift;

uint64_t bh_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

/*
 * pvclock: ns = ((tsc_delta << shift) * mul) >> 32, with a negative shift
 * meaning a right shift. Pick the smallest shift whose mul fits 32 bits,
 * which keeps the most precision.
 */
static void compute_scale(uint64_t hz)
{
	int shift;

	for (shift = -8; shift <= 8; shift++) {
		unsigned __int128 m = (unsigned __int128)1000000000ull << 32;

		if (shift < 0)
			m <<= -shift;
		else
			m >>= shift;
		m /= hz;
		if (m < (1ull << 32)) {
			tsc_mul = (uint32_t)m;
			tsc_shift = (int8_t)shift;
			return;
		}
	}
}

int time_init(int vcpu_fd)
{
	int khz = ioctl(vcpu_fd, KVM_GET_TSC_KHZ, 0);

	if (khz <= 0) {
		log_err("KVM_GET_TSC_KHZ failed: %s", strerror(errno));
		return -1;
	}
	tsc_khz = khz;
	compute_scale((uint64_t)khz * 1000);
	log_info("guest TSC %u kHz, pvclock mul %u shift %d", tsc_khz, tsc_mul, tsc_shift);
	return 0;
}

static uint64_t host_tsc(void)
{
	return __rdtsc();
}

int vcpu_time_init(struct vcpu *v)
{
	struct {
		struct kvm_msrs hdr;
		struct kvm_msr_entry e;
	} msrs = { .hdr.nmsrs = 1, .e.index = MSR_IA32_TSC };
	uint64_t before = host_tsc(), after;

	if (ioctl(v->fd, KVM_GET_MSRS, &msrs) != 1)
		return -1;
	after = host_tsc();
	v->tsc_offset = msrs.e.data - (before + (after - before) / 2);
	return 0;
}

void vcpu_time_update(struct vcpu *v)
{
	struct vcpu_info *vi = vcpu_info_of(v);
	volatile struct vcpu_time_info *t = &vi->time;
	uint64_t tsc, now;
	uint32_t ver;

	pthread_mutex_lock(&v->time_lock);
	tsc = host_tsc();
	now = bh_now_ns();
	/*
	 * Never move the guest's clock back: where the previous parameters put
	 * it now (kept here, not read back from guest memory) is a floor. The
	 * TSC rate KVM reports is not exact, so the two clocks drift apart a
	 * little between refreshes.
	 */
	if (v->time_version) {
		uint64_t delta = tsc > v->pv_tsc ? tsc - v->pv_tsc : 0;
		uint64_t prev;

		delta = tsc_shift < 0 ? delta >> -tsc_shift : delta << tsc_shift;
		prev = v->pv_system_time + (uint64_t)(((unsigned __int128)delta * tsc_mul) >> 32);
		if (prev > now)
			now = prev;
	}
	v->pv_tsc = tsc;
	v->pv_system_time = now;
	ver = ++v->time_version * 2;
	t->version = ver - 1;
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	t->tsc_timestamp = tsc + v->tsc_offset;
	t->system_time = now;
	t->tsc_to_system_mul = tsc_mul;
	t->tsc_shift = tsc_shift;
	t->flags = XEN_PVCLOCK_TSC_STABLE_BIT;
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	t->version = ver;
	pthread_mutex_unlock(&v->time_lock);
}

void domain_wallclock_update(struct domain *d)
{
	volatile struct shared_info *s = atomic_load(&d->shared_info);
	struct timespec rt;
	uint64_t mono = bh_now_ns(), wall, boot;

	clock_gettime(CLOCK_REALTIME, &rt);
	wall = (uint64_t)rt.tv_sec * 1000000000ull + rt.tv_nsec;
	/* The wallclock is the time of day at system time 0. */
	boot = wall - mono;
	s->wc_version++;
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	s->wc_sec = (uint32_t)(boot / 1000000000ull);
	s->wc_sec_hi = (uint32_t)((boot / 1000000000ull) >> 32);
	s->wc_nsec = boot % 1000000000ull;
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	s->wc_version++;
}

void vcpu_timer_set(struct vcpu *v, uint64_t deadline)
{
	struct itimerspec its = { 0 };

	pthread_mutex_lock(&v->lock);
	v->timer_deadline = deadline;
	if (deadline) {
		/* A deadline in the past fires at once, as in Xen. */
		its.it_value.tv_sec = deadline / 1000000000ull;
		its.it_value.tv_nsec = deadline % 1000000000ull;
		if (!its.it_value.tv_sec && !its.it_value.tv_nsec)
			its.it_value.tv_nsec = 1;
	}
	timerfd_settime(v->timer_fd, TFD_TIMER_ABSTIME, &its, NULL);
	pthread_mutex_unlock(&v->lock);
}

void vcpu_timer_expired(struct vcpu *v)
{
	uint64_t n;
	bool fire = false;

	if (read(v->timer_fd, &n, sizeof(n)) != sizeof(n))
		return;
	pthread_mutex_lock(&v->lock);
	if (v->timer_deadline && bh_now_ns() >= v->timer_deadline) {
		v->timer_deadline = 0;
		fire = true;
	}
	pthread_mutex_unlock(&v->lock);
	if (fire)
		evtchn_send_virq(v, VIRQ_TIMER);
}
