/*
 * Shared by the unit tests that drive hypercall handlers without KVM: a
 * `struct domain` put together by hand, and the seeded generator the fuzz
 * loops use. Header-only, so each test binary stays one source file.
 *
 * The caller allocates the domain, sets its id and RAM, and calls
 * fake_domain_init(); fake_domain_fini() undoes it (not the RAM).
 */
#ifndef BH_TEST_FAKE_DOMAIN_H
#define BH_TEST_FAKE_DOMAIN_H

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "domain.h"
#include "vcpu.h"

/* xorshift64*: small, seeded, and the same sequence on every machine. */
static inline uint64_t xorshift64s(uint64_t *state)
{
	*state ^= *state >> 12;
	*state ^= *state << 25;
	*state ^= *state >> 27;
	return *state * 2685821657736338717ull;
}

/* vCPU `id` of d, with real timerfds when `timers` (set_timer_op tests). */
static inline void fake_vcpu_init(struct domain *d, unsigned int id, bool timers)
{
	struct vcpu *v = &d->vcpu[id];

	v->d = d;
	v->id = id;
	v->fd = -1;
	v->timer_fd = timers ? timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC) : -1;
	vcpu_init_locks(v);
	atomic_store(&v->vcpu_info, &d->shared_info_private->vcpu_info[id]);
}

/*
 * Locks, a private shared_info, nr_vcpus vCPUs with vCPU 0 up, running,
 * and the one reference the (absent) registry would hold, so that a
 * domain_put in the code under test never frees the fake. 0 or -1.
 */
static inline int fake_domain_init(struct domain *d, unsigned int nr_vcpus, bool timers)
{
	unsigned int i;

	snprintf(d->name, sizeof(d->name), "unit");
	d->vm_fd = -1;
	pthread_mutex_init(&d->lock, NULL);
	pthread_mutex_init(&d->console_lock, NULL);
	d->shared_info_private = aligned_alloc(GUEST_PAGE_SIZE, GUEST_PAGE_SIZE);
	if (!d->shared_info_private)
		return -1;
	memset(d->shared_info_private, 0, GUEST_PAGE_SIZE);
	atomic_store(&d->shared_info, d->shared_info_private);
	d->shared_info_gpa = ~0ull;
	d->nr_vcpus = nr_vcpus;
	for (i = 0; i < BH_MAX_VCPUS; i++)
		d->vcpu[i].fd = d->vcpu[i].timer_fd = -1;
	for (i = 0; i < nr_vcpus; i++) {
		fake_vcpu_init(d, i, timers);
		if (timers && d->vcpu[i].timer_fd < 0)
			return -1;
	}
	d->vcpu[0].initialised = true;
	atomic_store(&d->vcpu[0].online, true);
	atomic_store(&d->refcnt, 1);
	atomic_store(&d->state, DOMAIN_RUNNING);
	return grant_table_init(d);
}

static inline void fake_domain_fini(struct domain *d)
{
	unsigned int i;

	grant_table_fini(d);
	for (i = 0; i < d->nr_vcpus; i++) {
		if (d->vcpu[i].timer_fd >= 0)
			close(d->vcpu[i].timer_fd);
		vcpu_fini_locks(&d->vcpu[i]);
	}
	pthread_mutex_destroy(&d->lock);
	pthread_mutex_destroy(&d->console_lock);
	free(d->shared_info_private);
}

#endif
