/*
 * flasktest: a guest that meets Flask. The integration tests label it with
 * seclabel= and read what it prints.
 *
 *   role=server peer=D       offer a port to D, retrying while Flask denies
 *                            it; answer one ping; print "served"
 *   role=client peer=D port=P
 *                            bind to D's port P, retrying while Flask
 *                            denies it; send one ping, wait for the pong
 *   role=xsm                 call each FLASK operation (xsm_op) and print
 *                            its result: "flasktest: xsm NAME RC"
 *   role=bigload size=N rounds=R
 *                            call FLASK_LOAD with an N-byte buffer R times
 *                            on every vCPU at once, stopping at the first
 *                            result that is not a denial; print each
 *                            vCPU's last result: "flasktest: bigload cpu C
 *                            rc RC", then "flasktest: bigload done"
 *   role=flood               repeat FLASK_POLICYVERS, denied, until the
 *                            time is up; print "flasktest: flooding" after
 *                            the first call
 *   role=probe peer=D port=P [ref=R]
 *                            try once to bind D's port P and to map D's
 *                            grant R (D may be 0: the host services), and
 *                            print "flasktest: probe bind RC map STATUS";
 *                            a test sees what an id's new owner inherits
 *   seconds=N (default 30)   give up after N seconds
 *
 * Every denial is printed once per operation ("denied NAME -13"), then
 * retried every 10 ms, so a test can change the policy (a boolean, a new
 * module) while the guest waits and see it take effect.
 */
#include <xen/event_channel.h>
#include <xen/xsm/flask_op.h>

#include <bk/hypercall.h>
#include <bk/kernel.h>

#define MS 1000000ull
#define SEC 1000000000ull
#define EACCES 13

static volatile uint64_t received;
static uint64_t give_up;

static void on_event(evtchn_port_t port, void *arg)
{
	(void)port;
	(void)arg;
	received++;
}

/* Retry op until it stops being denied; report the first denial. */
#define RETRY_DENIED(name, call)                                                  \
	({                                                                        \
		int rc_, denials_ = 0;                                             \
		while ((rc_ = (call)) == -EACCES && now_ns() < give_up) {          \
			if (!denials_++)                                           \
				printk("flasktest: denied %s %d\n", name, rc_);     \
			sleep_until(now_ns() + 10 * MS);                           \
		}                                                                  \
		if (rc_ == 0 && denials_)                                          \
			printk("flasktest: %s allowed after %d denials\n", name,    \
			       denials_);                                          \
		rc_;                                                               \
	})

static int server(domid_t peer)
{
	evtchn_port_t port;
	int rc = RETRY_DENIED("alloc_unbound", evtchn_alloc_unbound(peer, &port));

	if (rc) {
		printk("flasktest: FAIL alloc_unbound %d\n", rc);
		return 1;
	}
	evtchn_set_handler(port, on_event, NULL);
	evtchn_unmask(port);
	printk("flasktest: server port %u\n", port);
	if (!wait_event(&received, 0, give_up)) {
		printk("flasktest: FAIL no ping\n");
		return 1;
	}
	evtchn_send(port);
	printk("flasktest: served\n");
	return 0;
}

static int client(domid_t peer, evtchn_port_t rport)
{
	evtchn_port_t port;
	int rc;

	/* The server may not have offered the port yet (-EINVAL): wait for it too. */
	do {
		rc = RETRY_DENIED("bind_interdomain", evtchn_bind_interdomain(peer, rport, &port));
		if (rc)
			sleep_until(now_ns() + 10 * MS);
	} while (rc && rc != -EACCES && now_ns() < give_up);
	if (rc) {
		printk("flasktest: FAIL bind_interdomain %d\n", rc);
		return 1;
	}
	evtchn_set_handler(port, on_event, NULL);
	evtchn_unmask(port);
	evtchn_poll();
	{
		uint64_t seen = received;

		evtchn_send(port);
		if (!wait_event(&received, seen, give_up)) {
			printk("flasktest: FAIL no pong\n");
			return 1;
		}
	}
	printk("flasktest: round trip ok\n");
	return 0;
}

static int probe(domid_t peer, evtchn_port_t rport, grant_ref_t ref)
{
	evtchn_port_t port;
	grant_handle_t h;
	int rc = evtchn_bind_interdomain(peer, rport, &port);
	int st = ref ? gnttab_map(peer, ref, ram_end(), true, &h) : 0;

	printk("flasktest: probe bind %d map %d\n", rc, st);
	return 0;
}

static long xsm(struct xen_flask_op *op, uint32_t cmd)
{
	op->cmd = cmd;
	op->interface_version = XEN_FLASK_INTERFACE_VERSION;
	return HYPERVISOR_xsm_op(op);
}

static int xsm_ops(void)
{
	static struct xen_flask_op op;
	static char ctx[] = "system_u:system_r:appvm_t";
	static char buf[256];
	static char junk[64];

	memset(&op, 0, sizeof(op));
	printk("flasktest: xsm getenforce %ld\n", xsm(&op, FLASK_GETENFORCE));
	memset(&op, 0, sizeof(op));
	op.u.enforce.enforcing = 0;
	printk("flasktest: xsm setenforce %ld\n", xsm(&op, FLASK_SETENFORCE));
	memset(&op, 0, sizeof(op));
	set_xen_guest_handle(op.u.load.buffer, junk);
	op.u.load.size = sizeof(junk);
	printk("flasktest: xsm load %ld\n", xsm(&op, FLASK_LOAD));
	memset(&op, 0, sizeof(op));
	set_xen_guest_handle(op.u.sid_context.context, ctx);
	op.u.sid_context.size = sizeof(ctx) - 1;
	printk("flasktest: xsm context_to_sid %ld\n", xsm(&op, FLASK_CONTEXT_TO_SID));
	memset(&op, 0, sizeof(op));
	op.u.sid_context.sid = 2;
	set_xen_guest_handle(op.u.sid_context.context, buf);
	op.u.sid_context.size = sizeof(buf);
	printk("flasktest: xsm sid_to_context %ld\n", xsm(&op, FLASK_SID_TO_CONTEXT));
	memset(&op, 0, sizeof(op));
	op.u.boolean.bool_id = 0;
	printk("flasktest: xsm getbool %ld\n", xsm(&op, FLASK_GETBOOL));
	memset(&op, 0, sizeof(op));
	op.u.boolean.bool_id = 0;
	op.u.boolean.new_value = 1;
	op.u.boolean.commit = 1;
	printk("flasktest: xsm setbool %ld\n", xsm(&op, FLASK_SETBOOL));
	memset(&op, 0, sizeof(op));
	printk("flasktest: xsm commitbools %ld\n", xsm(&op, FLASK_COMMITBOOLS));
	memset(&op, 0, sizeof(op));
	op.u.access.ssid = 2;
	op.u.access.tsid = 2;
	op.u.access.tclass = 1;
	printk("flasktest: xsm access %ld\n", xsm(&op, FLASK_ACCESS));
	memset(&op, 0, sizeof(op));
	printk("flasktest: xsm policyvers %ld\n", xsm(&op, FLASK_POLICYVERS));
	memset(&op, 0, sizeof(op));
	printk("flasktest: xsm cachestats %ld\n", xsm(&op, FLASK_AVC_CACHESTATS));
	memset(&op, 0, sizeof(op));
	op.interface_version = 0;
	op.cmd = FLASK_GETENFORCE;
	printk("flasktest: xsm badversion %ld\n", HYPERVISOR_xsm_op(&op));
	printk("flasktest: xsm done\n");
	return 0;
}

static void *bigload_buf;
static uint32_t bigload_size;
static uint64_t bigload_rounds;
static volatile long bigload_rc[BK_MAX_CPUS];
static volatile int bigload_done[BK_MAX_CPUS];

static void bigload_cpu(unsigned int cpu)
{
	static struct xen_flask_op op[BK_MAX_CPUS];
	long rc = 0;

	for (uint64_t i = 0; i < bigload_rounds; i++) {
		memset(&op[cpu], 0, sizeof(op[cpu]));
		set_xen_guest_handle(op[cpu].u.load.buffer, bigload_buf);
		op[cpu].u.load.size = bigload_size;
		rc = xsm(&op[cpu], FLASK_LOAD);
		if (rc != -EACCES)
			break;
	}
	bigload_rc[cpu] = rc;
	__atomic_store_n(&bigload_done[cpu], 1, __ATOMIC_RELEASE);
}

static int bigload(const char *cmdline)
{
	unsigned int n = smp_nr_vcpus(), cpu;
	int rc;

	bigload_size = (uint32_t)cmdline_get_u64(cmdline, "size", 64u << 20);
	bigload_rounds = cmdline_get_u64(cmdline, "rounds", 1);
	/* Only the allocator's header is written: the guest touches no more of it. */
	bigload_buf = malloc(bigload_size);
	if (!bigload_buf) {
		printk("flasktest: FAIL no %u-byte buffer\n", bigload_size);
		return 1;
	}
	printk("flasktest: bigload %u vCPUs, %u bytes, %llu rounds\n", n, bigload_size,
	       (unsigned long long)bigload_rounds);
	for (cpu = 1; cpu < n; cpu++) {
		rc = smp_start_cpu(cpu, bigload_cpu);
		if (rc) {
			printk("flasktest: FAIL vcpu %u: %d\n", cpu, rc);
			return 1;
		}
	}
	bigload_cpu(0);
	for (cpu = 0; cpu < n; cpu++) {
		while (!__atomic_load_n(&bigload_done[cpu], __ATOMIC_ACQUIRE) && now_ns() < give_up)
			sleep_until(now_ns() + 10 * MS);
		if (!bigload_done[cpu]) {
			printk("flasktest: FAIL vcpu %u did not finish\n", cpu);
			return 1;
		}
		printk("flasktest: bigload cpu %u rc %ld\n", cpu, bigload_rc[cpu]);
	}
	printk("flasktest: bigload done\n");
	return 0;
}

static int flood(void)
{
	static struct xen_flask_op op;
	uint64_t calls = 0;
	long rc;

	do {
		memset(&op, 0, sizeof(op));
		rc = xsm(&op, FLASK_POLICYVERS);
		if (!calls++)
			printk("flasktest: flooding (%ld)\n", rc);
	} while (rc == -EACCES && now_ns() < give_up);
	printk("flasktest: flood ended after %llu calls: %ld\n", (unsigned long long)calls, rc);
	return rc == -EACCES ? 0 : 1;
}

int app_main(const char *cmdline)
{
	char role[16];
	domid_t peer = (domid_t)cmdline_get_u64(cmdline, "peer", 0);

	give_up = now_ns() + cmdline_get_u64(cmdline, "seconds", 30) * SEC;
	if (!cmdline_get(cmdline, "role", role, sizeof(role))) {
		printk("flasktest: FAIL give role=server|client|xsm|bigload|flood|probe\n");
		return 1;
	}
	if (!strcmp(role, "xsm"))
		return xsm_ops();
	if (!strcmp(role, "bigload"))
		return bigload(cmdline);
	if (!strcmp(role, "flood"))
		return flood();
	if (!strcmp(role, "probe"))
		return probe(peer, (evtchn_port_t)cmdline_get_u64(cmdline, "port", 0),
			     (grant_ref_t)cmdline_get_u64(cmdline, "ref", 0));
	if (!peer) {
		printk("flasktest: FAIL give peer=DOMID\n");
		return 1;
	}
	if (!strcmp(role, "server"))
		return server(peer);
	return client(peer, (evtchn_port_t)cmdline_get_u64(cmdline, "port", 0));
}
