/*
 * xshostile: a guest that attacks xenstored through its own ring page.
 * The attack is the first word of the command line (or role=ATTACK):
 *
 *   badlen        a request header with len XENSTORE_PAYLOAD_MAX + 1
 *   unterminated  through the library, and printed with its answer
 *                 ("xshostile: CASE -> ENAME"): a READ whose path lacks
 *                 its NUL, a WRITE without any NUL, paths with bad
 *                 characters, and a 4096-byte path
 *   idx           req_prod far beyond req_cons plus the ring's size, and
 *                 rsp_cons beyond rsp_prod
 *   flood         valid READs as fast as the ring takes them for ~2 s,
 *                 replies never read ("xshostile: flood wrote N requests")
 *   garbage       random bytes into the request ring for ~1 s
 *                 ("xshostile: garbage wrote N bytes")
 *   closeport     flood for ~1 s, then close its xenstore event channel,
 *                 leaving replies queued ("xshostile: closed port P")
 *
 * Each attack ends with "xshostile: ATTACK done"; the domain then blocks
 * forever, so that a test can check that xenstored, the hypervisor and the
 * other domains are unharmed, or with then=reboot asks for a reboot (an
 * on_reboot="restart" loop). It writes nothing outside its ring page.
 * Without xenstore it prints "xshostile: FAIL no xenstore".
 */
#include <xen/hvm/hvm_op.h>
#include <xen/hvm/params.h>
#include <xen/sched.h>

#include <bk/hypercall.h>
#include <bk/kernel.h>
#include <bk/xenbus.h>

#define MS 1000000ull
#define SEC 1000000000ull

static struct xenstore_domain_interface *ring;
static evtchn_port_t port;

static int ring_open(void)
{
	struct xen_hvm_param pfn = { .domid = DOMID_SELF, .index = HVM_PARAM_STORE_PFN };
	struct xen_hvm_param ev = { .domid = DOMID_SELF, .index = HVM_PARAM_STORE_EVTCHN };

	if (HYPERVISOR_hvm_op(HVMOP_get_param, &pfn) || HYPERVISOR_hvm_op(HVMOP_get_param, &ev) ||
	    !pfn.value || pfn.value >= (1ull << 20) || !ev.value)
		return -XEN_ENODEV;
	ring = (struct xenstore_domain_interface *)(uintptr_t)(pfn.value << 12);
	port = (evtchn_port_t)ev.value;
	return 0;
}

static void notify(void)
{
	evtchn_send(port);
}

/*
 * Put up to len bytes into the request ring as a well-behaved producer
 * would, waiting for room until `deadline`; the number written.
 */
static size_t ring_put(const void *data, size_t len, uint64_t deadline)
{
	const char *p = data;
	size_t done = 0;

	while (done < len) {
		XENSTORE_RING_IDX prod = ring->req_prod;
		XENSTORE_RING_IDX cons = __atomic_load_n(&ring->req_cons, __ATOMIC_ACQUIRE);
		uint32_t n = XENSTORE_RING_SIZE - (prod - cons);

		if (prod - cons > XENSTORE_RING_SIZE)
			break; /* the server moved req_cons: nothing sane to do */
		if (!n) {
			notify();
			if (now_ns() >= deadline)
				break;
			sleep_until(now_ns() + MS);
			continue;
		}
		if (n > XENSTORE_RING_SIZE - MASK_XENSTORE_IDX(prod))
			n = XENSTORE_RING_SIZE - MASK_XENSTORE_IDX(prod);
		if (n > len - done)
			n = (uint32_t)(len - done);
		__atomic_thread_fence(__ATOMIC_SEQ_CST);
		memcpy(ring->req + MASK_XENSTORE_IDX(prod), p + done, n);
		__atomic_store_n(&ring->req_prod, prod + n, __ATOMIC_RELEASE);
		done += n;
	}
	return done;
}

static void badlen(void)
{
	struct xsd_sockmsg h = { .type = XS_READ, .req_id = 1, .len = XENSTORE_PAYLOAD_MAX + 1 };
	static const char body[64] = "name";

	ring_put(&h, sizeof(h), now_ns() + SEC);
	ring_put(body, sizeof(body), now_ns() + SEC);
	notify();
	printk("xshostile: badlen sent len=%u\n", h.len);
}

static void report(const char *name, int rc)
{
	printk("xshostile: %s -> %s\n", name, xenbus_strerror(rc));
}

static void unterminated(void)
{
	static char longpath[XENSTORE_PAYLOAD_MAX];
	char reply[64];
	int rc;

	if ((rc = xenbus_init())) {
		report("init", rc);
		return;
	}
	xenbus_set_timeout(5 * SEC);
	report("unterminated-read", xenbus_request(XS_READ, XBT_NULL, "name", 4, NULL, NULL, NULL));
	report("unterminated-write",
	       xenbus_request(XS_WRITE, XBT_NULL, "abc", 3, NULL, NULL, NULL));
	report("bad-chars-control", xs_read(XBT_NULL, "bad\001path", reply, sizeof(reply)));
	report("bad-chars-space", xs_read(XBT_NULL, "bad path", reply, sizeof(reply)));
	report("bad-chars-dotdot", xs_read(XBT_NULL, "../0/name", reply, sizeof(reply)));
	memset(longpath, 'a', sizeof(longpath) - 1);
	longpath[0] = '/';
	report("path-4096", xs_read(XBT_NULL, longpath, reply, sizeof(reply)));
	/* Still served afterwards? */
	report("read-name-after", xs_read(XBT_NULL, "name", reply, sizeof(reply)));
}

static void idx(void)
{
	XENSTORE_RING_IDX cons = ring->req_cons, rprod = ring->rsp_prod;

	__atomic_store_n(&ring->req_prod, cons + 16 * XENSTORE_RING_SIZE + 5, __ATOMIC_RELEASE);
	__atomic_store_n(&ring->rsp_cons, rprod + 3 * XENSTORE_RING_SIZE + 7, __ATOMIC_RELEASE);
	notify();
	printk("xshostile: idx req_prod=%u req_cons=%u rsp_cons=%u rsp_prod=%u\n",
	       ring->req_prod, cons, ring->rsp_cons, rprod);
}

/* Valid READs as fast as the ring takes them for `ns`; replies never read. */
static void flood_for(uint64_t ns)
{
	static const char path[] = "name";
	struct {
		struct xsd_sockmsg h;
		char path[sizeof(path)];
	} __attribute__((packed)) m = { .h = { .type = XS_READ, .len = sizeof(path) } };
	uint64_t end = now_ns() + ns, n = 0;

	memcpy(m.path, path, sizeof(path));
	while (now_ns() < end) {
		XENSTORE_RING_IDX used = ring->req_prod - ring->req_cons;

		/* Full: the server stopped taking requests. Wait, not an event storm. */
		if (used > XENSTORE_RING_SIZE || XENSTORE_RING_SIZE - used < sizeof(m)) {
			notify();
			sleep_until(now_ns() + MS);
			continue;
		}
		m.h.req_id = (uint32_t)++n;
		ring_put(&m, sizeof(m), end);
		notify();
	}
	printk("xshostile: flood wrote %lu requests\n", n);
}

static void flood(void)
{
	flood_for(2 * SEC);
}

static void closeport(void)
{
	flood_for(SEC);
	printk("xshostile: closed port %u: %d\n", port, evtchn_close(port));
}

static void garbage(void)
{
	uint64_t x = rdtsc() | 1, end = now_ns() + SEC, total = 0;
	uint8_t chunk[256];
	unsigned int i;

	while (now_ns() < end) {
		size_t put;

		for (i = 0; i < sizeof(chunk); i++) {
			x ^= x << 13;
			x ^= x >> 7;
			x ^= x << 17;
			chunk[i] = (uint8_t)x;
		}
		put = ring_put(chunk, sizeof(chunk), now_ns() + 10 * MS);
		total += put;
		notify();
		if (put < sizeof(chunk))
			sleep_until(now_ns() + 10 * MS);
	}
	printk("xshostile: garbage wrote %lu bytes\n", total);
}

static const struct {
	const char *name;
	void (*fn)(void);
} attacks[] = {
	{ "badlen", badlen }, { "unterminated", unterminated }, { "idx", idx },
	{ "flood", flood },   { "garbage", garbage }, { "closeport", closeport },
};

/* role=ATTACK, else the first word of the command line. */
static void attack_of(const char *cmdline, char *buf, size_t size)
{
	size_t n = 0;

	if (cmdline_get(cmdline, "role", buf, size))
		return;
	while (*cmdline == ' ')
		cmdline++;
	while (cmdline[n] && cmdline[n] != ' ' && n + 1 < size)
		n++;
	memcpy(buf, cmdline, n);
	buf[n] = 0;
}

int app_main(const char *cmdline)
{
	char name[16];
	unsigned int i;

	attack_of(cmdline, name, sizeof(name));
	if (ring_open()) {
		printk("xshostile: FAIL no xenstore\n");
		return 1;
	}
	for (i = 0; i < ARRAY_SIZE(attacks); i++)
		if (!strcmp(name, attacks[i].name))
			break;
	if (i == ARRAY_SIZE(attacks)) {
		printk("xshostile: FAIL unknown attack '%s'\n", name);
		return 1;
	}
	printk("xshostile: attack %s\n", name);
	attacks[i].fn();
	printk("xshostile: ATTACK done\n");
	if (cmdline_get(cmdline, "then", name, sizeof(name)) && !strcmp(name, "reboot"))
		shutdown(SHUTDOWN_reboot);
	for (;;)
		sleep_until(~0ull >> 1);
}
