/*
 * evtest: event-channel semantics and misuse, from inside a domain.
 *
 *   mode=churn [n=1000] [rounds=3]   open n channels (unbound and loopback
 *                                    pairs), check them, close them all
 *   mode=limit max=N                 allocate until -ENOSPC: exactly the
 *                                    ports max_event_channels allows
 *   mode=misuse victim=D port=P      every misuse: each must get Xen's errno
 *                                    (P is a port D offered to someone else)
 *   mode=watch peer=D                offer a port to D, wait until D binds
 *                                    it, then until D's end goes away
 *
 * Prints "evtest: ok CASE" or "evtest: FAIL CASE: ...", then "evtest: PASS"
 * or "evtest: FAIL"; a failure crashes the domain.
 */
#include <xen/errno.h>
#include <xen/event_channel.h>

#include <bk/hypercall.h>
#include <bk/kernel.h>

#define SEC 1000000000ull

static unsigned int failures;

static void expect(const char *name, long got, long want)
{
	if (got == want) {
		printk("evtest: ok %s\n", name);
		return;
	}
	printk("evtest: FAIL %s: got %ld, want %ld\n", name, got, want);
	failures++;
}

static long op(int cmd, void *arg)
{
	return HYPERVISOR_event_channel_op(cmd, arg);
}

static void churn(uint64_t n, uint64_t rounds)
{
	evtchn_port_t *ports = calloc(n, sizeof(*ports));
	struct evtchn_status st;
	uint64_t r, i, bad = 0;

	if (!ports) {
		expect("churn-alloc", -1, 0);
		return;
	}
	for (r = 0; r < rounds; r++) {
		/* Half offered to ourselves, half bound to those: loopback pairs. */
		for (i = 0; i < n / 2; i++)
			bad += evtchn_alloc_unbound(DOMID_SELF, &ports[i]) != 0;
		for (i = 0; i < n / 2; i++)
			bad += evtchn_bind_interdomain(DOMID_SELF, ports[i], &ports[n / 2 + i]) != 0;
		for (i = 0; i < n; i++)
			bad += evtchn_status(ports[i], &st) || st.status != EVTCHNSTAT_interdomain;
		/* A send on one end makes the other pending (masked, so the upcall leaves it). */
		i = ports[n / 2];
		__atomic_fetch_or(&shared_info->evtchn_mask[i / 64], 1ull << (i % 64), __ATOMIC_SEQ_CST);
		__atomic_fetch_and(&shared_info->evtchn_pending[i / 64], ~(1ull << (i % 64)),
				   __ATOMIC_SEQ_CST);
		evtchn_send(ports[0]);
		bad += !(shared_info->evtchn_pending[i / 64] & (1ull << (i % 64)));
		evtchn_unmask(i);
		for (i = 0; i < n; i++)
			bad += evtchn_close(ports[i]) != 0;
		for (i = 0; i < n; i++)
			bad += evtchn_status(ports[i], &st) || st.status != EVTCHNSTAT_closed;
	}
	printk("evtest: %lu rounds of %lu channels opened and closed, %lu errors\n", rounds, n, bad);
	expect("churn", (long)bad, 0);
	free(ports);
}

static void limit(uint64_t max)
{
	evtchn_port_t port;
	uint64_t got = 0;
	int rc;

	while (!(rc = evtchn_alloc_unbound(DOMID_SELF, &port)))
		got++;
	/* Port 0 is reserved and VIRQ_TIMER holds one per running vCPU. */
	printk("evtest: %lu ports allocated before %d\n", got, rc);
	expect("limit-errno", rc, -XEN_ENOSPC);
	expect("limit-count", (long)got, (long)(max - nr_cpus_online));
}

static void misuse(domid_t victim, evtchn_port_t vport)
{
	struct evtchn_bind_interdomain bi = { .remote_dom = victim, .remote_port = vport };
	struct evtchn_alloc_unbound au = { .dom = victim, .remote_dom = DOMID_SELF };
	struct evtchn_bind_vcpu bv;
	struct evtchn_bind_ipi ipi = { .vcpu = 0 };
	struct evtchn_send snd = { .port = 999 };
	struct evtchn_close cl;
	struct evtchn_unmask um = { .port = 100000 };
	struct evtchn_status st = { .dom = victim, .port = vport };
	evtchn_port_t mine;

	/* Another domain's port offered to someone else. */
	expect("bind-not-offered", op(EVTCHNOP_bind_interdomain, &bi), -XEN_EINVAL);
	bi.remote_port = 4095;
	expect("bind-out-of-range", op(EVTCHNOP_bind_interdomain, &bi), -XEN_EINVAL);
	bi.remote_port = 0;
	expect("bind-port-zero", op(EVTCHNOP_bind_interdomain, &bi), -XEN_EINVAL);
	bi.remote_dom = 31000;
	bi.remote_port = vport;
	expect("bind-no-domain", op(EVTCHNOP_bind_interdomain, &bi), -XEN_ESRCH);
	/* Allocating or looking in another domain's table. */
	expect("alloc-in-other", op(EVTCHNOP_alloc_unbound, &au), -XEN_EPERM);
	expect("status-of-other", op(EVTCHNOP_status, &st), -XEN_EPERM);
	/* Ports that are not ours or not open. */
	expect("send-closed", op(EVTCHNOP_send, &snd), -XEN_EINVAL);
	expect("unmask-out-of-range", op(EVTCHNOP_unmask, &um), -XEN_EINVAL);
	expect("alloc-own", evtchn_alloc_unbound(victim, &mine), 0);
	expect("close-own", evtchn_close(mine), 0);
	expect("close-twice", evtchn_close(mine), -XEN_EINVAL);
	cl.port = 0;
	expect("close-port-zero", op(EVTCHNOP_close, &cl), -XEN_EINVAL);
	/* IPIs stay on their vCPU; vCPUs that do not exist. */
	expect("bind-ipi", op(EVTCHNOP_bind_ipi, &ipi), 0);
	bv.port = ipi.port;
	bv.vcpu = 0;
	expect("bind-vcpu-ipi", op(EVTCHNOP_bind_vcpu, &bv), -XEN_EINVAL);
	ipi.vcpu = 7;
	expect("bind-ipi-no-vcpu", op(EVTCHNOP_bind_ipi, &ipi), -XEN_ENOENT);
	expect("bind-dom-exc", evtchn_bind_virq(VIRQ_DOM_EXC, 0, &mine), -XEN_EPERM);
	/* An unbound port may move to another vCPU; the move shows in status. */
	expect("alloc-for-move", evtchn_alloc_unbound(victim, &mine), 0);
	bv.port = mine;
	bv.vcpu = smp_nr_vcpus() - 1;
	expect("bind-vcpu-unbound", op(EVTCHNOP_bind_vcpu, &bv), 0);
	st.dom = DOMID_SELF;
	st.port = mine;
	expect("status-after-move", op(EVTCHNOP_status, &st) ?: (long)st.vcpu, smp_nr_vcpus() - 1);
	bv.vcpu = 99;
	expect("bind-vcpu-no-vcpu", op(EVTCHNOP_bind_vcpu, &bv), -XEN_ENOENT);
	evtchn_close(mine);
}

/* Closing one end of a channel leaves the other unbound, waiting for us again. */
static void close_one_end(void)
{
	struct evtchn_status st;
	evtchn_port_t a, b;

	expect("pair-open-a", evtchn_alloc_unbound(DOMID_SELF, &a), 0);
	expect("pair-open-b", evtchn_bind_interdomain(DOMID_SELF, a, &b), 0);
	expect("pair-close-b", evtchn_close(b), 0);
	expect("pair-other-end-unbound", evtchn_status(a, &st) ?: (long)st.status,
	       EVTCHNSTAT_unbound);
	expect("pair-send-unbound", evtchn_send(a), 0);
	expect("pair-rebind", evtchn_bind_interdomain(DOMID_SELF, a, &b), 0);
	evtchn_close(a);
	expect("pair-b-unbound", evtchn_status(b, &st) ?: (long)st.status, EVTCHNSTAT_unbound);
	evtchn_close(b);
}

/* An event for a port moved to a secondary vCPU reaches that vCPU's upcall. */
static volatile uint64_t ap_events, ap_ready, ap_cpu_seen;

static void ap_handler(evtchn_port_t p, void *arg)
{
	(void)p;
	(void)arg;
	ap_cpu_seen = this_cpu()->id;
	ap_events++;
}

static void ap_wait(unsigned int cpu)
{
	(void)cpu;
	ap_ready = 1;
	/* Busy, with upcalls on: the event must arrive as an upcall on this vCPU. */
	while (!ap_events && this_cpu()->upcalls < 1000000)
		cpu_relax();
}

static void bind_vcpu_delivery(void)
{
	evtchn_port_t a, b;
	uint64_t start = now_ns();

	if (smp_nr_vcpus() < 2)
		return;
	expect("vcpu-open-a", evtchn_alloc_unbound(DOMID_SELF, &a), 0);
	expect("vcpu-open-b", evtchn_bind_interdomain(DOMID_SELF, a, &b), 0);
	evtchn_poll(); /* bind_interdomain left b pending */
	evtchn_set_handler(b, ap_handler, NULL);
	expect("vcpu-bind-b", evtchn_bind_vcpu(b, 1), 0);
	expect("vcpu-start", smp_start_cpu(1, ap_wait), 0);
	while (!ap_ready && now_ns() - start < 10 * SEC)
		sleep_until(now_ns() + 1000000);
	evtchn_send(a);
	while (!ap_events && now_ns() - start < 10 * SEC)
		sleep_until(now_ns() + 1000000);
	expect("vcpu-event-delivered", (long)ap_events, 1);
	expect("vcpu-event-on-cpu1", (long)ap_cpu_seen, 1);
	evtchn_close(a);
	evtchn_close(b);
}

/* EVTCHNOP_reset closes every port, ours included; then bind the timer again. */
static void reset(void)
{
	struct evtchn_reset rs = { .dom = DOMID_SELF };
	struct evtchn_status st;
	evtchn_port_t a, b;

	expect("reset-open-a", evtchn_alloc_unbound(DOMID_SELF, &a), 0);
	expect("reset-open-b", evtchn_bind_interdomain(DOMID_SELF, a, &b), 0);
	expect("reset", op(EVTCHNOP_reset, &rs), 0);
	expect("reset-closed-a", evtchn_status(a, &st) ?: (long)st.status, EVTCHNSTAT_closed);
	expect("reset-closed-b", evtchn_status(b, &st) ?: (long)st.status, EVTCHNSTAT_closed);
	expect("reset-closed-timer", evtchn_status(this_cpu()->timer_port, &st) ?: (long)st.status,
	       EVTCHNSTAT_closed);
	rs.dom = 31000;
	expect("reset-no-domain", op(EVTCHNOP_reset, &rs), -XEN_ESRCH);
	evtchn_init();
}

static void watch(domid_t peer)
{
	struct evtchn_status st;
	evtchn_port_t port;
	uint64_t start = now_ns();

	if (evtchn_alloc_unbound(peer, &port)) {
		expect("watch-alloc", -1, 0);
		return;
	}
	printk("evtest: offered port %u to domain %u\n", port, peer);
	do {
		sleep_until(now_ns() + 1000000);
		evtchn_status(port, &st);
	} while (st.status != EVTCHNSTAT_interdomain && now_ns() - start < 20 * SEC);
	expect("watch-peer-bound", st.status, EVTCHNSTAT_interdomain);
	printk("evtest: domain %u bound port %u\n", peer, port);
	do {
		sleep_until(now_ns() + 1000000);
		evtchn_status(port, &st);
	} while (st.status == EVTCHNSTAT_interdomain && now_ns() - start < 60 * SEC);
	/* Xen leaves our end unbound, waiting for the same domain. */
	expect("watch-peer-gone", st.status, EVTCHNSTAT_unbound);
	expect("watch-unbound-to", st.u.unbound.dom, peer);
	expect("watch-send-after", evtchn_send(port), 0);
}

int app_main(const char *cmdline)
{
	char mode[16] = "";

	cmdline_get(cmdline, "mode", mode, sizeof(mode));
	if (!strcmp(mode, "churn")) {
		churn(cmdline_get_u64(cmdline, "n", 1000), cmdline_get_u64(cmdline, "rounds", 3));
		close_one_end();
		bind_vcpu_delivery();
		reset();
	}
	else if (!strcmp(mode, "limit"))
		limit(cmdline_get_u64(cmdline, "max", 0));
	else if (!strcmp(mode, "misuse"))
		misuse((domid_t)cmdline_get_u64(cmdline, "victim", 0),
		       (evtchn_port_t)cmdline_get_u64(cmdline, "port", 0));
	else if (!strcmp(mode, "watch"))
		watch((domid_t)cmdline_get_u64(cmdline, "peer", 0));
	else
		expect("mode", -1, 0);
	printk(failures ? "evtest: FAIL\n" : "evtest: PASS\n");
	return failures ? 1 : 0;
}
