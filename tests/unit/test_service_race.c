/*
 * A host service closes a port while a guest binds or closes its end
 * (issue 15, row 8), with the interleavings forced, without KVM.
 *
 * Flask is off: the hooks are test_xsm_coverage's business. The guest is a domain built by hand, as in test_hypercall_args.c; it
 * reaches the service through hypercall_dispatch() as a real guest does.
 * The link wraps two symbols (the Makefile's rule for this test):
 *  - domain_get, so that the service ops find the hand-built domain, which
 *    is not in the registry;
 *  - pthread_mutex_unlock: while the service closes its port, the k-th
 *    unlock of the service's lock runs the guest's hypercall on another
 *    thread, there and then. If it cannot finish (it waits for a lock the
 *    closing thread holds), the close goes on and the guest finishes when
 *    it can, as a real vCPU would. Each k in turn (0: the guest first),
 *    until the close has fewer unlocks than k: every point where the
 *    close lets go of the lock.
 * After each run no binding may survive that either side has forgotten:
 * a guest port bound to the service names a port the service has bound to
 * it, and the service's closed port is free.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <xen/xen.h>
#include <xen/event_channel.h>

#include "domain.h"
#include "evtchn.h"
#include "flask.h"
#include "hypercall.h"
#include "log.h"
#include "service.h"
#include "vcpu.h"
#include "fake_domain.h"

#define RAM_SIZE (1ull << 20)
#define DOM_ID 5
#define ARG 0x1000ull /* the hypercall's argument, guest-physical */
#define MAX_PORTS 64

static struct domain *d;

/* ---- the wraps -------------------------------------------------------------- */

struct domain *__real_domain_get(domid_t id);
int __real_pthread_mutex_unlock(pthread_mutex_t *m);

struct domain *__wrap_domain_get(domid_t id)
{
	if (d && id == d->id) {
		domain_hold(d);
		return d;
	}
	return __real_domain_get(id);
}

enum guest_op { GUEST_BIND, GUEST_CLOSE };

static struct {
	pthread_mutex_t *lock; /* the service's */
	pthread_t closer;      /* the thread closing the port */
	int countdown;         /* unlocks of lock by closer before the guest runs */
	bool fired;
	enum guest_op op;
	uint32_t port;         /* the service's port (bind) or the guest's (close) */
	pthread_t guest;
	bool guest_running;
	long guest_rc;
} race;

static long guest_hypercall(uint64_t cmd, const void *arg, size_t len)
{
	const uint64_t a[5] = { cmd, ARG, 0, 0, 0 };

	memcpy(d->ram.base + ARG, arg, len);
	return hypercall_dispatch(&d->vcpu[0], __HYPERVISOR_event_channel_op, a, 0);
}

static void *guest_thread(void *arg)
{
	(void)arg;
	if (race.op == GUEST_BIND) {
		struct evtchn_bind_interdomain b = { .remote_dom = 0, .remote_port = race.port };

		race.guest_rc = guest_hypercall(EVTCHNOP_bind_interdomain, &b, sizeof(b));
	} else {
		struct evtchn_close c = { .port = race.port };

		race.guest_rc = guest_hypercall(EVTCHNOP_close, &c, sizeof(c));
	}
	return NULL;
}

int __wrap_pthread_mutex_unlock(pthread_mutex_t *m)
{
	int rc = __real_pthread_mutex_unlock(m);
	struct timespec t;

	if (m != race.lock || race.fired || !pthread_equal(pthread_self(), race.closer) ||
	    --race.countdown)
		return rc;
	race.fired = true;
	assert_int_equal(pthread_create(&race.guest, NULL, guest_thread, NULL), 0);
	race.guest_running = true;
	clock_gettime(CLOCK_REALTIME, &t);
	t.tv_nsec += 50 * 1000 * 1000;
	if (t.tv_nsec >= 1000000000) {
		t.tv_sec++;
		t.tv_nsec -= 1000000000;
	}
	if (!pthread_timedjoin_np(race.guest, NULL, &t))
		race.guest_running = false;
	return rc;
}

/* ---- the guest ---------------------------------------------------------------- */

static int setup(void **state)
{
	(void)state;
	d = calloc(1, sizeof(*d));
	assert_non_null(d);
	d->id = DOM_ID;
	d->serial = 1;
	d->ram.base = calloc(1, RAM_SIZE);
	assert_non_null(d->ram.base);
	d->ram.size = RAM_SIZE;
	assert_int_equal(fake_domain_init(d, 1, false), 0);
	assert_int_equal(evtchn_domain_init(d, MAX_PORTS - 1), 0);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	evtchn_close_all(d);
	evtchn_domain_fini(d);
	fake_domain_fini(d);
	free(d->ram.base);
	free(d);
	d = NULL;
	return 0;
}

/*
 * Every guest port bound to s names a port s has bound to it, and no
 * guest port names `freed`.
 */
static void check_no_stale_binding(struct service *s, uint32_t freed)
{
	for (uint32_t p = 1; p < d->evtchn.max_ports; p++) {
		const struct evtchn *ch = &d->evtchn.port[p];
		const struct service_port *sp;

		if (ch->state != ECS_SERVICE)
			continue;
		if (ch->svc != s || ch->remote_port == freed)
			print_error("guest port %u is bound to service port %u, which is free\n", p,
				    ch->remote_port);
		assert_ptr_equal(ch->svc, s);
		assert_int_not_equal(ch->remote_port, freed);
		sp = &s->port[ch->remote_port];
		assert_int_equal(sp->state, SVC_PORT_DOMAIN);
		assert_ptr_equal(sp->d, d);
		assert_int_equal(sp->port, p);
	}
	assert_int_equal(s->port[freed].state, SVC_PORT_FREE);
}

/*
 * Run the service's close of `port` with the guest's op at the k-th
 * unlock (k 0: before the close); did the guest's op run?
 */
static bool close_racing(struct service *s, uint32_t port, int k, enum guest_op op,
			 uint32_t guest_port)
{
	race.closer = pthread_self();
	race.countdown = k;
	race.fired = false;
	race.op = op;
	race.port = op == GUEST_BIND ? port : guest_port;
	if (!k) {
		guest_thread(NULL);
		race.fired = true;
	}
	race.lock = &s->lock;
	assert_int_equal(service_evtchn_close(s, port), 0);
	race.lock = NULL;
	if (race.guest_running) {
		pthread_join(race.guest, NULL);
		race.guest_running = false;
	}
	return race.fired;
}

/* The port the service offers is bound by the guest while the service closes it. */
static void test_close_races_bind(void **state)
{
	unsigned int bound = 0, refused = 0;
	int k;

	(void)state;
	for (k = 0;; k++) {
		struct service *s = service_new(1);
		int port;

		assert_non_null(s);
		port = service_evtchn_alloc_unbound(s, DOM_ID);
		assert_true(port > 0);
		if (!close_racing(s, (uint32_t)port, k, GUEST_BIND, 0)) {
			service_close(s);
			service_put(s);
			break;
		}
		if (race.guest_rc == 0)
			bound++;
		else
			refused++;
		check_no_stale_binding(s, (uint32_t)port);
		evtchn_close_all(d);
		service_close(s);
		assert_int_equal(atomic_load(&s->refcnt), 1); /* no guest end holds it */
		service_put(s);
	}
	print_message("%d interleavings: the guest bound first %u times, was refused %u\n", k,
		      bound, refused);
	assert_true(k > 1);
	assert_true(bound > 0 && refused > 0);
}

/* A bound port: the guest closes its end while the service closes its own. */
static void test_close_races_guest_close(void **state)
{
	int k;

	(void)state;
	for (k = 0;; k++) {
		struct service *s = service_new(1);
		struct evtchn_bind_interdomain b = { .remote_dom = 0 };
		int port;

		assert_non_null(s);
		port = service_evtchn_alloc_unbound(s, DOM_ID);
		assert_true(port > 0);
		b.remote_port = (uint32_t)port;
		assert_int_equal(guest_hypercall(EVTCHNOP_bind_interdomain, &b, sizeof(b)), 0);
		memcpy(&b, d->ram.base + ARG, sizeof(b));
		if (!close_racing(s, (uint32_t)port, k, GUEST_CLOSE, b.local_port)) {
			service_close(s);
			service_put(s);
			break;
		}
		check_no_stale_binding(s, (uint32_t)port);
		evtchn_close_all(d);
		service_close(s);
		assert_int_equal(atomic_load(&s->refcnt), 1);
		service_put(s);
	}
	print_message("%d interleavings of the two closes\n", k);
	assert_true(k > 1);
}

/*
 * What a guest port does reaches the service's port only while that port
 * is still its binding: not another domain's, nor a later binding of the
 * same number.
 */
static void test_notify_checks_the_binding(void **state)
{
	struct evtchn_bind_interdomain b = { .remote_dom = 0 };
	struct domain other = { .id = DOM_ID + 1 };
	struct service *s = service_new(1);
	uint32_t ports[4];
	int port;

	(void)state;
	assert_non_null(s);
	port = service_evtchn_alloc_unbound(s, DOM_ID);
	assert_true(port > 0);
	b.remote_port = (uint32_t)port;
	assert_int_equal(guest_hypercall(EVTCHNOP_bind_interdomain, &b, sizeof(b)), 0);
	memcpy(&b, d->ram.base + ARG, sizeof(b));
	assert_int_equal(service_take_pending(s, ports, 4), 1); /* the bind */

	service_port_notify(s, (uint32_t)port, d, b.local_port + 1);
	service_port_notify(s, (uint32_t)port, &other, b.local_port);
	assert_int_equal(service_take_pending(s, ports, 4), 0);
	service_port_peer_closed(s, (uint32_t)port, &other, b.local_port);
	service_port_peer_closed(s, (uint32_t)port, d, b.local_port + 1);
	assert_int_equal(s->port[port].state, SVC_PORT_DOMAIN);
	assert_int_equal(service_take_closed(s, ports, 4), 0);

	service_port_notify(s, (uint32_t)port, d, b.local_port);
	assert_int_equal(service_take_pending(s, ports, 4), 1);
	assert_int_equal(ports[0], port);
	service_close(s);
	assert_int_equal(d->evtchn.port[b.local_port].state, ECS_UNBOUND);
	service_put(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_close_races_bind, setup, teardown),
		cmocka_unit_test_setup_teardown(test_close_races_guest_close, setup, teardown),
		cmocka_unit_test_setup_teardown(test_notify_checks_the_binding, setup, teardown),
	};

	bh_log_init("test_service_race", BH_LOG_ERR);
	/* The locks are the subject here, not the policy (test_xsm_coverage has that). */
	if (flask_init(FLASK_DISABLED, 0))
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
