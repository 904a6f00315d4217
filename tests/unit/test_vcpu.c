/*
 * vCPU threads against teardown, without KVM: a fake domain's vCPU thread
 * waits (the domain is paused, so it never reaches KVM_RUN) while other
 * threads kick it and the domain is torn down.
 *
 * A kick is a pthread_kill, and pthread_kill on a thread that has been
 * joined is undefined behaviour: its id may already name another thread.
 * The binary is linked with --wrap=pthread_join,--wrap=pthread_kill
 * (Makefile), so the test sees every join and kill that vcpu.c makes: it
 * counts each kill aimed at a vCPU thread after its join, and it holds the
 * join's return open for a moment so that a kick racing it has the time to
 * land.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <time.h>

#include "domain.h"
#include "log.h"
#include "vcpu.h"
#include "fake_domain.h"

#define ROUNDS 50
#define JOIN_WINDOW_NS 2000000 /* how long the wrapped join holds its return */

int __real_pthread_join(pthread_t t, void **ret);
int __real_pthread_kill(pthread_t t, int sig);

/* The vCPU thread under test, and whether it has been joined. */
static pthread_t watched;
static atomic_bool watching, joined;
static atomic_uint kills_after_join;

int __wrap_pthread_join(pthread_t t, void **ret)
{
	struct timespec ts = { 0, JOIN_WINDOW_NS };
	bool mine = atomic_load(&watching) && pthread_equal(t, watched);
	int rc = __real_pthread_join(t, ret);

	if (mine && rc == 0) {
		atomic_store(&joined, true);
		nanosleep(&ts, NULL);
	}
	return rc;
}

int __wrap_pthread_kill(pthread_t t, int sig)
{
	if (atomic_load(&watching) && pthread_equal(t, watched) && atomic_load(&joined)) {
		atomic_fetch_add(&kills_after_join, 1);
		return ESRCH; /* what it would say if the id were still no one's */
	}
	return __real_pthread_kill(t, sig);
}

struct kicker {
	struct vcpu *v;
	atomic_bool stop;
	uint64_t kicks;
};

static void *kick_loop(void *arg)
{
	struct kicker *k = arg;

	while (!atomic_load(&k->stop)) {
		vcpu_kick(k->v);
		k->kicks++;
	}
	return NULL;
}

static int group_setup(void **state)
{
	(void)state;
	bh_log_init("test_vcpu", BH_LOG_ERR);
	return vcpu_signals_init();
}

/*
 * Kicks from two threads race domain_destroy's order of events (DYING under
 * the domain lock, then vcpu_destroy) many times over: no kick may reach
 * the thread once it is joined.
 */
static void test_kick_races_destroy(void **state)
{
	uint64_t kicks = 0;

	(void)state;
	for (int round = 0; round < ROUNDS; round++) {
		struct domain *d = calloc(1, sizeof(*d));
		struct kicker k[2];
		pthread_t kt[2];
		struct kvm_run *run;
		struct vcpu *v;

		assert_non_null(d);
		d->id = 1;
		assert_int_equal(fake_domain_init(d, 1, false), 0);
		v = &d->vcpu[0];
		run = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		assert_true(run != MAP_FAILED);
		v->run = run;
		/* Paused: the thread waits on v->wake and never asks for KVM_RUN. */
		atomic_store(&d->state, DOMAIN_PAUSED);
		atomic_store(&joined, false);
		assert_int_equal(vcpu_start_thread(v), 0);
		pthread_mutex_lock(&v->lock);
		watched = v->thread;
		pthread_mutex_unlock(&v->lock);
		atomic_store(&watching, true);

		for (int i = 0; i < 2; i++) {
			k[i] = (struct kicker){ .v = v };
			assert_int_equal(pthread_create(&kt[i], NULL, kick_loop, &k[i]), 0);
		}
		pthread_mutex_lock(&d->lock);
		atomic_store(&d->state, DOMAIN_DYING);
		pthread_mutex_unlock(&d->lock);
		vcpu_destroy(v);
		assert_true(atomic_load(&joined));
		for (int i = 0; i < 2; i++) {
			atomic_store(&k[i].stop, true);
			pthread_join(kt[i], NULL);
			kicks += k[i].kicks;
		}
		atomic_store(&watching, false);
		/* Dying: no thread starts again. */
		assert_int_equal(vcpu_start_thread(v), -1);
		assert_int_equal(errno, EBUSY);

		munmap(run, 4096);
		fake_domain_fini(d);
		free(d);
	}
	assert_true(kicks > 0);
	assert_int_equal(atomic_load(&kills_after_join), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_kick_races_destroy),
	};

	return cmocka_run_group_tests(tests, group_setup, NULL);
}
