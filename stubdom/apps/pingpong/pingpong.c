/*
 * pingpong: an event-channel ping-pong between two domains.
 *
 *   role=server peer=D              offers a port to domain D, prints it,
 *                                   and answers every ping with a pong
 *   role=client peer=D port=P       binds to D's port P and sends pings
 *   rounds=N (default 1000)         round trips, then both power off
 *   spin=1                          poll without blocking (the benchmark)
 *   wait=S (default 30)             seconds to wait for each ping or pong,
 *                                   and for the server's port (at least 10)
 *
 * The client prints the median round trip. Without xenstore, the client
 * learns the server's port from its command line: the server's first free
 * port follows its per-vCPU VIRQ_TIMER ports, and Xen (and Bulkhead)
 * allocate the lowest free port.
 */
#include <xen/event_channel.h>

#include <bulkhead/abi.h>
#include <bk/kernel.h>

#define SEC 1000000000ull

static volatile uint64_t received;
static uint64_t wait_ns = 30 * SEC;

static void on_event(evtchn_port_t port, void *arg)
{
	(void)port;
	(void)arg;
	received++;
}

/* Wait for an event past `seen`: spin on shared_info, or block. */
static bool next_event(uint64_t seen, bool spin, uint64_t deadline)
{
	if (!spin)
		return wait_event(&received, seen, deadline);
	while (received == seen) {
		evtchn_poll();
		if (now_ns() > deadline)
			return false;
	}
	return true;
}

static int server(domid_t peer, uint64_t rounds, bool spin)
{
	evtchn_port_t port;
	uint64_t i, seen = 0;
	int rc = evtchn_alloc_unbound(peer, &port);

	if (rc) {
		printk("pingpong: FAIL alloc_unbound: %d\n", rc);
		return 1;
	}
	evtchn_set_handler(port, on_event, NULL);
	evtchn_unmask(port);
	printk("pingpong: server port %u for domain %u\n", port, peer);
	for (i = 0; i < rounds; i++) {
		if (!next_event(seen, spin, now_ns() + wait_ns)) {
			printk("pingpong: FAIL no ping %lu\n", i);
			return 1;
		}
		seen = received;
		evtchn_send(port);
	}
	printk("pingpong: server answered %lu pings\n", rounds);
	return 0;
}

/* The bare exit round trip from this vCPU, now: the benchmark's baseline. */
static uint64_t bare_exit_ns(void)
{
	static uint64_t v[101];
	unsigned int i;

	for (i = 0; i < 101; i++) {
		uint64_t t = now_ns();

		__asm__ volatile("out %%eax, %[port]" ::"a"(0), [port] "i"(BH_BASELINE_PORT) : "memory");
		v[i] = now_ns() - t;
	}
	sort_u64(v, 101);
	return v[50];
}

static int client(domid_t peer, evtchn_port_t rport, uint64_t rounds, bool spin)
{
	uint64_t *rtt = calloc(rounds, sizeof(*rtt)), i, seen, t, start;
	evtchn_port_t port;
	int rc = -1;

	/* The server may not have offered its port yet: retry for 10 s, or for wait= if longer. */
	for (start = now_ns(); rc && now_ns() - start < (wait_ns > 10 * SEC ? wait_ns : 10 * SEC);) {
		rc = evtchn_bind_interdomain(peer, rport, &port);
		if (rc)
			sleep_until(now_ns() + 1000000);
	}
	if (rc || !rtt) {
		printk("pingpong: FAIL bind_interdomain(%u, %u): %d\n", peer, rport, rc);
		return 1;
	}
	evtchn_set_handler(port, on_event, NULL);
	evtchn_unmask(port);
	/* bind_interdomain leaves the new port pending, as in Xen: take that first. */
	evtchn_poll();
	seen = received;
	for (i = 0; i < rounds; i++) {
		t = now_ns();
		evtchn_send(port);
		if (!next_event(seen, spin, t + wait_ns)) {
			printk("pingpong: FAIL no pong %lu\n", i);
			return 1;
		}
		rtt[i] = now_ns() - t;
		seen = received;
	}
	sort_u64(rtt, rounds);
	printk("pingpong: %lu round trips, median %lu ns, p90 %lu ns, bare exit %lu ns\n", rounds,
	       rtt[rounds / 2], rtt[rounds * 9 / 10], bare_exit_ns());
	return 0;
}

int app_main(const char *cmdline)
{
	char role[16];
	domid_t peer = (domid_t)cmdline_get_u64(cmdline, "peer", 0);
	uint64_t rounds = cmdline_get_u64(cmdline, "rounds", 1000);
	bool spin = cmdline_get_u64(cmdline, "spin", 0);

	wait_ns = cmdline_get_u64(cmdline, "wait", 30) * SEC;

	if (!rounds)
		rounds = 1;
	if (!cmdline_get(cmdline, "role", role, sizeof(role)) || !peer) {
		printk("pingpong: FAIL give role=server|client and peer=DOMID\n");
		return 1;
	}
	if (!strcmp(role, "server"))
		return server(peer, rounds, spin);
	return client(peer, (evtchn_port_t)cmdline_get_u64(cmdline, "port", 0), rounds, spin);
}
