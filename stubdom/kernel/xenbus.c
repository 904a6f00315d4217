/*
 * XenStore client: the ring protocol, requests and replies, the watch
 * queue, the xs_* helpers and clean shutdown. See bk/xenbus.h.
 *
 * The producer index we own (req_prod) and the consumer index we own
 * (rsp_cons) are kept here and only ever written to the page, never read
 * back: the page is shared, and what the server writes there is checked
 * before use, as libxenvchan keeps its own copy of what it cannot trust.
 */
#include <xen/errno.h>

/* xs_wire.h names the server's error strings in errno terms: ours are Xen's. */
#define EINVAL XEN_EINVAL
#define EACCES XEN_EACCES
#define EEXIST XEN_EEXIST
#define EISDIR XEN_EISDIR
#define ENOENT XEN_ENOENT
#define ENOMEM XEN_ENOMEM
#define ENOSPC XEN_ENOSPC
#define EIO XEN_EIO
#define ENOTEMPTY XEN_ENOTEMPTY
#define ENOSYS XEN_ENOSYS
#define EROFS XEN_EROFS
#define EBUSY XEN_EBUSY
#define EAGAIN XEN_EAGAIN
#define EISCONN XEN_EISCONN
#define E2BIG XEN_E2BIG
#define EPERM XEN_EPERM
#include <xen/io/xs_wire.h>

#include <xen/arch-x86/cpuid.h>
#include <xen/hvm/hvm_op.h>
#include <xen/hvm/params.h>
#include <xen/sched.h>

#include <bk/hypercall.h>
#include <bk/kernel.h>
#include <bk/xenbus.h>

#define SEC 1000000000ull
#define HDR ((uint32_t)sizeof(struct xsd_sockmsg))
#define WATCH_QUEUE 32
/* Without the port delivered to us (see claim_port), look at the ring this often. */
#define POLL_TICK_NS 1000000ull
/* Ports the kernel can hand to a handler (events.c's table). */
#define KERNEL_PORTS 1024

static struct xenstore_domain_interface *intf;
static evtchn_port_t port;
static bool broken, port_claimed;
static uint64_t timeout_ns = 10 * SEC;
static volatile uint64_t events; /* store-port events taken */
static XENSTORE_RING_IDX req_prod, rsp_cons;
static uint32_t next_req_id;
static bool notify_due; /* we consumed replies and the server has not been told */

/* The message being received: filled across calls, since one can exceed the ring. */
static struct {
	struct xsd_sockmsg hdr;
	uint32_t got; /* bytes of header and body so far */
	bool complete;
	char body[XENSTORE_PAYLOAD_MAX + 1];
} rx;

/* Watch events: "path\0token\0" copies, oldest first. */
static struct {
	char *msg[WATCH_QUEUE];
	uint32_t len[WATCH_QUEUE];
	unsigned int head, count;
	uint64_t dropped;
} watches;

static const char shutdown_token[] = "bk-shutdown";

/* ---- errors */

const char *xenbus_strerror(int err)
{
	static const struct xsd_errors extra[] = {
		{ XEN_ENODEV, "ENODEV" },
		{ XEN_ETIMEDOUT, "ETIMEDOUT" },
		{ XEN_ERANGE, "ERANGE" },
		{ XEN_EBADMSG, "EBADMSG" },
		{ XEN_ECONNREFUSED, "ECONNREFUSED" },
	};
	unsigned int i;

	if (err < 0)
		err = -err;
	for (i = 0; i < ARRAY_SIZE(xsd_errors); i++)
		if (xsd_errors[i].errnum == err)
			return xsd_errors[i].errstring;
	for (i = 0; i < ARRAY_SIZE(extra); i++)
		if (extra[i].errnum == err)
			return extra[i].errstring;
	return err ? "E?" : "OK";
}

/* An XS_ERROR payload: Xen's xenbus maps an unknown string to EINVAL. */
static int error_from_string(const char *s)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(xsd_errors); i++)
		if (!strcmp(s, xsd_errors[i].errstring))
			return -xsd_errors[i].errnum;
	return -XEN_EINVAL;
}

static int ring_broken(const char *why)
{
	if (!broken)
		printk("xenbus: ring broken: %s\n", why);
	broken = true;
	return -XEN_EIO;
}

/* ---- set-up */

static long get_param(uint32_t index, uint64_t *value)
{
	struct xen_hvm_param p = { .domid = DOMID_SELF, .index = index };
	long rc = HYPERVISOR_hvm_op(HVMOP_get_param, &p);

	*value = p.value;
	return rc;
}

static void on_store_event(evtchn_port_t p, void *arg)
{
	(void)p;
	(void)arg;
	events++;
}

/*
 * The kernel delivers a port only to the CPU it was bound for; xenstored
 * bound this one, so claim it for CPU 0 (EVTCHNOP_bind_vcpu, as Linux
 * does for its store port). If that is refused, poll the ring on a short
 * timer instead: slower, never stuck.
 *
 * The port went pending when xenstored bound it, maybe before the claim:
 * the kernel then skipped it and left the bit set, and while it stays set
 * no later notification raises an upcall. Clear it; the ring is read
 * before every wait, so nothing it announced is lost.
 */
static void claim_port(void)
{
	const unsigned int bits = sizeof(xen_ulong_t) * 8;
	int rc = evtchn_bind_vcpu(port, 0);

	port_claimed = !rc;
	if (rc)
		printk("xenbus: cannot bind port %u to vCPU 0 (%d); polling\n", port, rc);
	evtchn_set_handler(port, on_store_event, NULL);
	__atomic_fetch_and(&shared_info->evtchn_pending[port / bits], ~(1ull << (port % bits)),
			   __ATOMIC_SEQ_CST);
	evtchn_unmask(port);
}

int xenbus_init(void)
{
	uint64_t pfn, evtchn;
	struct xenstore_domain_interface *page;

	if (intf)
		return 0;
	if (get_param(HVM_PARAM_STORE_PFN, &pfn) || get_param(HVM_PARAM_STORE_EVTCHN, &evtchn))
		return -XEN_ENODEV;
	/* The identity map covers the low 4 GiB only. */
	if (!pfn || pfn >= (1ull << 20) || !evtchn || evtchn >= KERNEL_PORTS)
		return -XEN_ENODEV;
	page = (struct xenstore_domain_interface *)(uintptr_t)(pfn << 12);
	port = (evtchn_port_t)evtchn;
	req_prod = __atomic_load_n(&page->req_prod, __ATOMIC_ACQUIRE);
	rsp_cons = __atomic_load_n(&page->rsp_cons, __ATOMIC_ACQUIRE);
	intf = page;
	claim_port();
	if (req_prod - __atomic_load_n(&page->req_cons, __ATOMIC_ACQUIRE) > XENSTORE_RING_SIZE ||
	    __atomic_load_n(&page->rsp_prod, __ATOMIC_ACQUIRE) - rsp_cons > XENSTORE_RING_SIZE)
		ring_broken("bad indices at start");
	return 0;
}

bool xenbus_present(void)
{
	return intf != NULL;
}

void xenbus_set_timeout(uint64_t ns)
{
	timeout_ns = ns;
}

uint64_t xenbus_watch_dropped(void)
{
	return watches.dropped;
}

domid_t xenbus_domid(void)
{
	uint32_t a, b, c, d;
	char buf[16];
	unsigned int v = 0, i;

	cpuid(XEN_CPUID_FIRST_LEAF, &a, &b, &c, &d);
	if (b == XEN_CPUID_SIGNATURE_EBX && a >= XEN_CPUID_LEAF(4)) {
		cpuid(XEN_CPUID_LEAF(4), &a, &b, &c, &d);
		if (a & XEN_HVM_CPUID_DOMID_PRESENT)
			return (domid_t)c;
	}
	if (xs_read(XBT_NULL, "domid", buf, sizeof(buf)) <= 0)
		return DOMID_INVALID;
	for (i = 0; buf[i] >= '0' && buf[i] <= '9' && v < 0x10000; i++)
		v = v * 10 + (unsigned int)(buf[i] - '0');
	return buf[i] || v >= DOMID_FIRST_RESERVED ? DOMID_INVALID : (domid_t)v;
}

/* ---- the rings */

static void notify(void)
{
	notify_due = false;
	evtchn_send(port);
}

/*
 * Block until the store port fires (an event newer than `seen`) or
 * `deadline` passes: -XEN_ETIMEDOUT then. The server is told first about
 * replies we consumed, since it may be waiting for room to write more.
 */
static int ring_wait(uint64_t seen, uint64_t deadline)
{
	uint64_t until = deadline;

	if (notify_due)
		notify();
	if (deadline && now_ns() >= deadline)
		return -XEN_ETIMEDOUT;
	if (!port_claimed) {
		uint64_t tick = now_ns() + POLL_TICK_NS;

		if (!until || tick < until)
			until = tick;
	}
	wait_event(&events, seen, until);
	return 0;
}

/*
 * Append bytes to the request ring, waiting for room. A request that
 * cannot be finished leaves half a message in the ring, so a timeout here
 * breaks the connection.
 */
static int ring_write(const void *data, size_t len, uint64_t deadline)
{
	const char *p = data;

	while (len) {
		uint64_t seen = events;
		XENSTORE_RING_IDX cons = __atomic_load_n(&intf->req_cons, __ATOMIC_ACQUIRE);
		uint32_t used = req_prod - cons, n;

		if (used > XENSTORE_RING_SIZE)
			return ring_broken("req_cons beyond req_prod");
		if (used == XENSTORE_RING_SIZE) {
			notify();
			if (ring_wait(seen, deadline)) {
				ring_broken("request ring stayed full");
				return -XEN_ETIMEDOUT;
			}
			continue;
		}
		n = XENSTORE_RING_SIZE - used;
		if (n > XENSTORE_RING_SIZE - MASK_XENSTORE_IDX(req_prod))
			n = XENSTORE_RING_SIZE - MASK_XENSTORE_IDX(req_prod);
		if (n > len)
			n = (uint32_t)len;
		/* Write the data only after reading the consumer index (Xen's xb_write). */
		__atomic_thread_fence(__ATOMIC_SEQ_CST);
		memcpy(intf->req + MASK_XENSTORE_IDX(req_prod), p, n);
		__atomic_thread_fence(__ATOMIC_RELEASE);
		req_prod += n;
		__atomic_store_n(&intf->req_prod, req_prod, __ATOMIC_RELEASE);
		p += n;
		len -= n;
	}
	return 0;
}

/*
 * Move what the response ring holds into rx. 1 when rx holds a whole
 * message, 0 when more is needed, or -XEN_EIO.
 */
static int ring_read_step(void)
{
	XENSTORE_RING_IDX prod;
	bool consumed = false;

	if (rx.complete) {
		rx.complete = false;
		rx.got = 0;
	}
	if (__atomic_load_n(&intf->server_features, __ATOMIC_RELAXED) &
	    XENSTORE_SERVER_FEATURE_ERROR &&
	    __atomic_load_n(&intf->error, __ATOMIC_RELAXED) != XENSTORE_ERROR_NONE)
		return ring_broken("the server reports an error");
	prod = __atomic_load_n(&intf->rsp_prod, __ATOMIC_ACQUIRE);
	if (prod - rsp_cons > XENSTORE_RING_SIZE)
		return ring_broken("rsp_prod beyond the ring");
	while (rsp_cons != prod && !rx.complete) {
		uint32_t want, n;
		char *dst;

		if (rx.got < HDR) {
			want = HDR - rx.got;
			dst = (char *)&rx.hdr + rx.got;
		} else {
			want = HDR + rx.hdr.len - rx.got;
			dst = rx.body + (rx.got - HDR);
		}
		n = prod - rsp_cons;
		if (n > XENSTORE_RING_SIZE - MASK_XENSTORE_IDX(rsp_cons))
			n = XENSTORE_RING_SIZE - MASK_XENSTORE_IDX(rsp_cons);
		if (n > want)
			n = want;
		memcpy(dst, intf->rsp + MASK_XENSTORE_IDX(rsp_cons), n);
		rsp_cons += n;
		rx.got += n;
		consumed = true;
		/* rx.hdr is our copy: check it once, then trust it. */
		if (rx.got == HDR && rx.hdr.len > XENSTORE_PAYLOAD_MAX)
			return ring_broken("reply longer than XENSTORE_PAYLOAD_MAX");
		if (rx.got >= HDR && rx.got == HDR + rx.hdr.len) {
			rx.body[rx.hdr.len] = 0;
			rx.complete = true;
		}
	}
	if (consumed) {
		/* Finish reading the data before the server may overwrite it. */
		__atomic_thread_fence(__ATOMIC_SEQ_CST);
		__atomic_store_n(&intf->rsp_cons, rsp_cons, __ATOMIC_RELEASE);
		notify_due = true;
	}
	return rx.complete ? 1 : 0;
}

/* Wait for the next whole message into rx. 0 or -errno. */
static int ring_read_message(uint64_t deadline)
{
	for (;;) {
		uint64_t seen = events;
		int rc = ring_read_step();

		if (rc < 0)
			return rc;
		if (rc)
			return 0;
		if ((rc = ring_wait(seen, deadline)))
			return rc;
	}
}

/* ---- watch events */

static void watch_queue(void)
{
	uint32_t len = rx.hdr.len, nuls = 0, i;
	unsigned int slot;
	char *copy;

	for (i = 0; i < len; i++)
		nuls += !rx.body[i];
	if (nuls < 2 || watches.count == WATCH_QUEUE || !(copy = malloc(len))) {
		watches.dropped++;
		return;
	}
	memcpy(copy, rx.body, len);
	slot = (watches.head + watches.count) % WATCH_QUEUE;
	watches.msg[slot] = copy;
	watches.len[slot] = len;
	watches.count++;
}

static void copy_string(char *dst, size_t size, const char *src)
{
	size_t n = strlen(src);

	if (!size)
		return;
	if (n >= size)
		n = size - 1;
	memcpy(dst, src, n);
	dst[n] = 0;
}

static void watch_flush(void)
{
	while (watches.count) {
		free(watches.msg[watches.head]);
		watches.head = (watches.head + 1) % WATCH_QUEUE;
		watches.count--;
	}
}

/* Hand out the oldest queued event (watch_queue saw both its NULs). */
static void watch_pop(char *path, size_t psize, char *token, size_t tsize)
{
	char *m = watches.msg[watches.head];

	copy_string(path, psize, m);
	copy_string(token, tsize, m + strlen(m) + 1);
	free(m);
	watches.head = (watches.head + 1) % WATCH_QUEUE;
	watches.count--;
}

int xs_read_watch(char *path, size_t psize, char *token, size_t tsize, uint64_t deadline)
{
	while (!watches.count) {
		int rc;

		if (!intf)
			return -XEN_ENODEV;
		if (broken)
			return -XEN_EIO;
		if ((rc = ring_read_message(deadline)))
			return rc;
		/* A reply now is a late one for a request that timed out: dropped. */
		if (rx.hdr.type == XS_WATCH_EVENT)
			watch_queue();
	}
	watch_pop(path, psize, token, tsize);
	return 0;
}

/* ---- requests */

struct seg {
	const void *p;
	size_t len;
};

/*
 * Send one request made of `n` pieces and wait for its reply in rx.
 * Watch events that come first are queued; replies to other ids (late
 * ones, after a timeout) are dropped.
 */
static int talk(uint32_t type, xs_transaction_t tx, const struct seg *segs, unsigned int n)
{
	struct xsd_sockmsg hdr = { .type = type, .tx_id = tx };
	uint64_t deadline = timeout_ns ? now_ns() + timeout_ns : 0;
	size_t len = 0;
	unsigned int i;
	int rc;

	if (!intf)
		return -XEN_ENODEV;
	if (broken)
		return -XEN_EIO;
	for (i = 0; i < n; i++)
		len += segs[i].len;
	if (len > XENSTORE_PAYLOAD_MAX)
		return -XEN_E2BIG;
	hdr.len = (uint32_t)len;
	hdr.req_id = ++next_req_id;
	if ((rc = ring_write(&hdr, sizeof(hdr), deadline)))
		return rc;
	for (i = 0; i < n; i++)
		if ((rc = ring_write(segs[i].p, segs[i].len, deadline)))
			return rc;
	notify();
	for (;;) {
		if ((rc = ring_read_message(deadline)))
			return rc;
		if (rx.hdr.type == XS_WATCH_EVENT)
			watch_queue();
		else if (rx.hdr.req_id == hdr.req_id)
			break;
	}
	if (rx.hdr.type == XS_ERROR)
		return error_from_string(rx.body);
	return 0;
}

/* Copy rx's payload out, NUL-terminated; -XEN_ERANGE if it does not fit. */
static int reply_copy(void *buf, size_t size)
{
	if ((size_t)rx.hdr.len + 1 > size)
		return -XEN_ERANGE;
	memcpy(buf, rx.body, rx.hdr.len + 1);
	return (int)rx.hdr.len;
}

int xenbus_request(uint32_t type, xs_transaction_t tx, const void *payload, size_t len,
		   void *reply, size_t *reply_len, uint32_t *reply_type)
{
	struct seg s = { payload, len };
	int rc = talk(type, tx, &s, 1);

	if (rc)
		return rc;
	if (reply_type)
		*reply_type = rx.hdr.type;
	if (reply && reply_len) {
		if ((rc = reply_copy(reply, *reply_len)) < 0)
			return rc;
		*reply_len = (size_t)rc;
	}
	return 0;
}

/* A request whose payload is one string, its terminator included. */
static int talk_str(uint32_t type, xs_transaction_t tx, const char *s)
{
	struct seg seg = { s, strlen(s) + 1 };
	int rc = talk(type, tx, &seg, 1);

	if (!rc && rx.hdr.type != type)
		return ring_broken("reply of another type");
	return rc;
}

int xs_read(xs_transaction_t tx, const char *path, char *buf, size_t size)
{
	int rc = talk_str(XS_READ, tx, path);

	return rc ? rc : reply_copy(buf, size);
}

int xs_write_bytes(xs_transaction_t tx, const char *path, const void *value, size_t len)
{
	struct seg segs[2] = { { path, strlen(path) + 1 }, { value, len } };
	int rc = talk(XS_WRITE, tx, segs, 2);

	if (!rc && rx.hdr.type != XS_WRITE)
		return ring_broken("reply of another type");
	return rc;
}

int xs_write(xs_transaction_t tx, const char *path, const char *value)
{
	return xs_write_bytes(tx, path, value, strlen(value));
}

int xs_mkdir(xs_transaction_t tx, const char *path)
{
	return talk_str(XS_MKDIR, tx, path);
}

int xs_rm(xs_transaction_t tx, const char *path)
{
	return talk_str(XS_RM, tx, path);
}

/* The number of NUL-terminated strings in rx's payload; -XEN_EIO if the last is not. */
static int reply_strings(void)
{
	uint32_t i;
	int n = 0;

	if (rx.hdr.len && rx.body[rx.hdr.len - 1])
		return ring_broken("list reply without its terminator");
	for (i = 0; i < rx.hdr.len; i++)
		n += !rx.body[i];
	return n;
}

int xs_directory(xs_transaction_t tx, const char *path, char *buf, size_t size)
{
	int rc = talk_str(XS_DIRECTORY, tx, path), n;

	if (rc)
		return rc;
	if ((n = reply_strings()) < 0)
		return n;
	if ((rc = reply_copy(buf, size)) < 0)
		return rc;
	return n;
}

static bool perm_char(char c)
{
	return c == 'n' || c == 'r' || c == 'w' || c == 'b';
}

int xs_get_perms(xs_transaction_t tx, const char *path, struct xs_perm *perms, unsigned int max)
{
	int rc = talk_str(XS_GET_PERMS, tx, path), n;
	const char *p = rx.body;
	int i;

	if (rc)
		return rc;
	if ((n = reply_strings()) < 0)
		return n;
	if ((unsigned int)n > max)
		return -XEN_ERANGE;
	for (i = 0; i < n; i++, p += strlen(p) + 1) {
		uint32_t id = 0;
		const char *d = p + 1;

		if (!perm_char(p[0]) || !*d)
			return -XEN_EIO;
		for (; *d >= '0' && *d <= '9' && id < 0x10000; d++)
			id = id * 10 + (uint32_t)(*d - '0');
		if (*d || id >= 0x10000)
			return -XEN_EIO;
		perms[i].perm = p[0];
		perms[i].id = (domid_t)id;
	}
	return n;
}

int xs_set_perms(xs_transaction_t tx, const char *path, const struct xs_perm *perms,
		 unsigned int n)
{
	/* "b65535\0" is 8 bytes at most; the path is checked against the wire by talk. */
	char *list = malloc((size_t)n * 8 + 1);
	struct seg segs[2];
	size_t len = 0;
	unsigned int i;
	int rc;

	if (!list)
		return -XEN_ENOMEM;
	for (i = 0; i < n; i++)
		len += (size_t)snprintf(list + len, 8, "%c%u", perms[i].perm, perms[i].id) + 1;
	segs[0] = (struct seg){ path, strlen(path) + 1 };
	segs[1] = (struct seg){ list, len };
	rc = talk(XS_SET_PERMS, tx, segs, 2);
	free(list);
	if (!rc && rx.hdr.type != XS_SET_PERMS)
		return ring_broken("reply of another type");
	return rc;
}

static int watch_op(uint32_t type, const char *path, const char *token)
{
	struct seg segs[2] = { { path, strlen(path) + 1 }, { token, strlen(token) + 1 } };
	int rc = talk(type, XBT_NULL, segs, 2);

	if (!rc && rx.hdr.type != type)
		return ring_broken("reply of another type");
	return rc;
}

int xs_watch(const char *path, const char *token)
{
	return watch_op(XS_WATCH, path, token);
}

int xs_unwatch(const char *path, const char *token)
{
	return watch_op(XS_UNWATCH, path, token);
}

int xs_reset_watches(void)
{
	int rc = talk_str(XS_RESET_WATCHES, XBT_NULL, "");

	if (!rc)
		watch_flush();
	return rc;
}

static int parse_u32(const char *s, uint32_t *v)
{
	uint64_t x = 0;

	if (!*s)
		return -XEN_EIO;
	for (; *s >= '0' && *s <= '9' && x <= 0xffffffffull; s++)
		x = x * 10 + (uint64_t)(*s - '0');
	if (*s || x > 0xffffffffull)
		return -XEN_EIO;
	*v = (uint32_t)x;
	return 0;
}

int xs_transaction_start(xs_transaction_t *tx)
{
	int rc = talk_str(XS_TRANSACTION_START, XBT_NULL, "");

	if (rc)
		return rc;
	if (parse_u32(rx.body, tx) || *tx == XBT_NULL)
		return ring_broken("bad transaction id");
	return 0;
}

int xs_transaction_end(xs_transaction_t tx, bool abort)
{
	return talk_str(XS_TRANSACTION_END, tx, abort ? "F" : "T");
}

int xs_get_domain_path(domid_t domid, char *buf, size_t size)
{
	char id[8];
	int rc;

	snprintf(id, sizeof(id), "%u", domid);
	if ((rc = talk_str(XS_GET_DOMAIN_PATH, XBT_NULL, id)))
		return rc;
	return reply_copy(buf, size);
}

int xs_is_domain_introduced(domid_t domid)
{
	char id[8];
	int rc;

	snprintf(id, sizeof(id), "%u", domid);
	if ((rc = talk_str(XS_IS_DOMAIN_INTRODUCED, XBT_NULL, id)))
		return rc;
	return !strcmp(rx.body, "T");
}

/* ---- clean shutdown */

int xenbus_shutdown_watch_start(void)
{
	static const char *const features[] = { "control/feature-poweroff",
						"control/feature-reboot" };
	unsigned int i;
	int rc;

	if ((rc = xenbus_init()))
		return rc;
	for (i = 0; i < ARRAY_SIZE(features); i++)
		if ((rc = xs_write(XBT_NULL, features[i], "1")))
			printk("xenbus: cannot write %s: %s\n", features[i], xenbus_strerror(rc));
	return xs_watch("control/shutdown", shutdown_token);
}

/* Take the request out of control/shutdown, as Linux does: "" back, in a transaction. */
static int shutdown_take(char *req, size_t size)
{
	xs_transaction_t tx;
	int rc;

	do {
		if ((rc = xs_transaction_start(&tx)))
			return rc;
		rc = xs_read(tx, "control/shutdown", req, size);
		if (rc < 0 || !rc) {
			xs_transaction_end(tx, true);
			return rc;
		}
		if (strcmp(req, "poweroff") && strcmp(req, "halt") && strcmp(req, "reboot")) {
			xs_transaction_end(tx, true);
			return rc;
		}
		if ((rc = xs_write(tx, "control/shutdown", ""))) {
			xs_transaction_end(tx, true);
			return rc;
		}
		rc = xs_transaction_end(tx, false);
	} while (rc == -XEN_EAGAIN);
	return rc ? rc : 1;
}

bool xenbus_shutdown_event(const char *path, const char *token)
{
	char req[32];
	int rc;

	(void)path;
	if (strcmp(token, shutdown_token))
		return false;
	rc = shutdown_take(req, sizeof(req));
	if (rc == -XEN_ENOENT || rc == -XEN_ERANGE || !rc)
		return true;
	if (rc < 0) {
		printk("shutdown: cannot read control/shutdown: %s\n", xenbus_strerror(rc));
		return true;
	}
	if (strcmp(req, "poweroff") && strcmp(req, "halt") && strcmp(req, "reboot")) {
		printk("shutdown: ignoring request %s\n", req);
		return true;
	}
	printk("shutdown: %s requested\n", req);
	shutdown(strcmp(req, "reboot") ? SHUTDOWN_poweroff : SHUTDOWN_reboot);
}

void xenbus_idle(void)
{
	char path[64], token[32];

	while (xs_read_watch(path, sizeof(path), token, sizeof(token), 0) == 0)
		xenbus_shutdown_event(path, token);
	for (;;)
		sleep_until(~0ull >> 1);
}
