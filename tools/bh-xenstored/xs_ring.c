/* bh-xenstored's hypervisor transport. See xs_ring.h. */
#include "xs_ring.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include <xen/xen.h>
#include <xen/io/xs_wire.h>

#include <bulkhead/control.h>

#include "ctl_client.h"
#include "ctl_io.h"
#include "log.h"
#include "xs_loop.h"

#define PAGE 4096u
#define MAX_RINGS 1024

struct ring {
	bool used;
	bool broken;           /* the guest broke the protocol: no longer served */
	bool pending;          /* work to do at the next pass */
	bool closed;           /* the guest's end of the port closed: the domain is gone */
	unsigned int domid;
	uint64_t mfn;
	uint32_t gport;        /* the guest's port */
	uint32_t lport;        /* ours */
	struct xenstore_domain_interface *intf;
	struct xs_conn *conn;  /* owned by the core once introduced */
};

static struct xs_store *store;
static struct xs_conn *self;   /* privileged: the entries written for a restarted domain */
static int ctl = -1;           /* bulkhead */
static int wake_fd = -1;       /* eventfd: ports arrived, or a ring has output */
static uint8_t *arena;
static uint32_t exc_port;
static struct ring rings[MAX_RINGS];
/* Domains whose ring port closed while they live: not introduced again until they go. */
static uint64_t port_closed[(DOMID_FIRST_RESERVED + 63) / 64];

static bool closed_while_alive(unsigned int domid)
{
	return domid < DOMID_FIRST_RESERVED && (port_closed[domid / 64] >> (domid % 64)) & 1;
}

static struct ring *ring_of_domid(unsigned int domid)
{
	for (unsigned int i = 0; i < MAX_RINGS; i++)
		if (rings[i].used && rings[i].domid == domid)
			return &rings[i];
	return NULL;
}

static void wake(void)
{
	uint64_t one = 1;

	if (write(wake_fd, &one, sizeof(one)) < 0 && errno != EAGAIN)
		log_warn("cannot wake the ring loop: %s", strerror(errno));
}

/* ---- events from bulkhead ------------------------------------------------------- */

static bool exc_pending;

/*
 * Called from inside any ctl_call: only note what fired (a reply may be
 * due next). A ring whose port closed is never touched again: bulkhead
 * may give its page to a new domain once we close our end, which the next
 * wake does (xs_domain_gone, then ring_release).
 */
static void on_notify(void *arg, uint16_t event, const uint8_t *payload, size_t len)
{
	(void)arg;
	if (event != BH_CTL_EV_EVTCHN && event != BH_CTL_EV_EVTCHN_CLOSED)
		return;
	for (size_t off = 0; off + 4 <= len; off += 4) {
		uint32_t port;

		memcpy(&port, payload + off, 4);
		if (event == BH_CTL_EV_EVTCHN_CLOSED) {
			for (unsigned int i = 0; i < MAX_RINGS; i++)
				if (rings[i].used && rings[i].lport == port)
					rings[i].closed = true;
			continue;
		}
		if (port == exc_port) {
			exc_pending = true;
			continue;
		}
		for (unsigned int i = 0; i < MAX_RINGS; i++)
			if (rings[i].used && rings[i].lport == port)
				rings[i].pending = true;
	}
	wake();
}

/* ---- one ring ------------------------------------------------------------------- */

static void ring_break(struct ring *r, const char *why)
{
	if (!r->broken)
		log_warn("domain %u: xenstore ring broken (%s); no longer served", r->domid, why);
	r->broken = true;
}

/* Requests in, replies out, until neither moves. Notifies the guest once if either did. */
static void ring_pass(struct ring *r)
{
	struct xenstore_domain_interface *in = r->intf;
	bool moved = false;
	char buf[XENSTORE_RING_SIZE];

	r->pending = false;
	if (r->broken || r->closed || !r->conn)
		return;
	for (;;) {
		XENSTORE_RING_IDX cons, prod, n, i;
		bool progress = false;
		const void *out;
		size_t olen;
		ssize_t took;

		/* Replies first: they make room for the guest, and flow control waits on them. */
		out = xs_conn_output(r->conn, &olen);
		if (out && olen) {
			cons = __atomic_load_n(&in->rsp_cons, __ATOMIC_ACQUIRE);
			prod = in->rsp_prod; /* ours: the guest may have scribbled on it */
			if (prod - cons > XENSTORE_RING_SIZE) {
				ring_break(r, "rsp indexes out of range");
				return;
			}
			n = XENSTORE_RING_SIZE - (prod - cons);
			if (n > olen)
				n = olen;
			for (i = 0; i < n; i++)
				in->rsp[MASK_XENSTORE_IDX(prod + i)] = ((const char *)out)[i];
			if (n) {
				__atomic_store_n(&in->rsp_prod, prod + n, __ATOMIC_RELEASE);
				xs_conn_consume(r->conn, n);
				progress = moved = true;
			}
		}
		if (xs_conn_can_accept(r->conn)) {
			cons = in->req_cons;
			prod = __atomic_load_n(&in->req_prod, __ATOMIC_ACQUIRE);
			if (prod - cons > XENSTORE_RING_SIZE) {
				ring_break(r, "req indexes out of range");
				return;
			}
			n = prod - cons;
			/* Copy, then parse: the guest may change the ring under us. */
			for (i = 0; i < n; i++)
				buf[i] = in->req[MASK_XENSTORE_IDX(cons + i)];
			if (n) {
				took = xs_conn_feed(r->conn, buf, n);
				if (took < 0) {
					ring_break(r, "protocol error");
					return;
				}
				if (took) {
					__atomic_store_n(&in->req_cons, cons + (XENSTORE_RING_IDX)took,
							 __ATOMIC_RELEASE);
					progress = moved = true;
				}
			}
		}
		if (!progress)
			break;
	}
	if (moved && ctl_call(ctl, BH_CTL_EVTCHN_SEND, &r->lport, sizeof(r->lport), NULL, NULL))
		log_debug("domain %u: notify failed", r->domid);
}

static void ring_kick(struct xs_conn *c, void *opaque)
{
	struct ring *r = opaque;

	(void)c;
	r->pending = true;
	wake();
}

static const struct xs_conn_ops ring_conn_ops = { .kick = ring_kick };

/* ---- introduce and release ------------------------------------------------------ */

static int ring_introduce(void *opaque, unsigned int domid, uint64_t mfn, unsigned int port)
{
	struct bh_ctl_evtchn_bind b = { domid, port };
	struct ring *r = ring_of_domid(domid);
	uint8_t *out;
	size_t len;
	int rc;

	(void)opaque;
	if (r)
		return r->mfn == mfn && r->gport == port ? 0 : EEXIST;
	if (ctl < 0)
		return 0; /* no hypervisor transport: only the mark */
	if (mfn >= XS_RING_ARENA_PAGES || port == 0)
		return EINVAL;
	for (r = rings; r < rings + MAX_RINGS && r->used; r++)
		;
	if (r == rings + MAX_RINGS)
		return ENOSPC;
	rc = ctl_call(ctl, BH_CTL_EVTCHN_BIND, &b, sizeof(b), &out, &len);
	if (rc || len != sizeof(uint32_t)) {
		free(out);
		log_warn("domain %u: cannot bind its xenstore port %u: %s", domid, port,
			 strerror(rc ? -rc : EPROTO));
		return rc == -EACCES ? EACCES : EINVAL;
	}
	memset(r, 0, sizeof(*r));
	memcpy(&r->lport, out, sizeof(r->lport));
	free(out);
	r->domid = domid;
	r->mfn = mfn;
	r->gport = port;
	r->intf = (struct xenstore_domain_interface *)(arena + mfn * PAGE);
	r->conn = xs_conn_new(store, domid, false, &ring_conn_ops, r);
	if (!r->conn) {
		ctl_call(ctl, BH_CTL_EVTCHN_CLOSE, &r->lport, sizeof(r->lport), NULL, NULL);
		return ENOMEM;
	}
	r->used = true;
	r->pending = true;
	rc = xs_domain_introduced(store, domid, r->conn);
	if (rc) {
		xs_conn_free(r->conn);
		ctl_call(ctl, BH_CTL_EVTCHN_CLOSE, &r->lport, sizeof(r->lport), NULL, NULL);
		r->used = false;
		return rc;
	}
	log_info("domain %u introduced: ring page %llu, port %u", domid, (unsigned long long)mfn,
		 port);
	wake();
	return 0;
}

static void ring_release(void *opaque, unsigned int domid)
{
	struct ring *r = ring_of_domid(domid);

	(void)opaque;
	if (!r)
		return;
	ctl_call(ctl, BH_CTL_EVTCHN_CLOSE, &r->lport, sizeof(r->lport), NULL, NULL);
	r->used = false;
	r->conn = NULL; /* the core frees it */
	log_info("domain %u released", domid);
}

const struct xs_store_ops xs_ring_store_ops = {
	.introduce = ring_introduce,
	.release = ring_release,
};

/* ---- domains coming and going ----------------------------------------------------- */

/* One request on our own privileged connection; its reply is dropped. */
static void self_request(uint32_t type, const char *a, const char *b)
{
	struct {
		struct xsd_sockmsg h;
		char body[512];
	} m = { .h = { .type = type } };
	size_t la = strlen(a) + 1, lb = b ? strlen(b) + (type == XS_SET_PERMS) : 0;
	const void *out;
	size_t olen;

	if (la + lb > sizeof(m.body))
		return;
	memcpy(m.body, a, la);
	if (b)
		memcpy(m.body + la, b, lb);
	m.h.len = la + lb;
	if (xs_conn_feed(self, &m, sizeof(m.h) + m.h.len) < 0)
		log_warn("writing %s failed", a);
	while ((out = xs_conn_output(self, &olen)) && olen)
		xs_conn_consume(self, olen);
}

/* What `bh create` writes; done here for a domain that bulkhead restarted by itself. */
static void write_entries(const struct bh_ctl_dominfo *d)
{
	char path[96], val[64];

	snprintf(val, sizeof(val), "%u", d->domid);
	snprintf(path, sizeof(path), "/local/domain/%u/domid", d->domid);
	self_request(XS_WRITE, path, val);
	snprintf(path, sizeof(path), "/local/domain/%u/name", d->domid);
	self_request(XS_WRITE, path, d->name);
	snprintf(path, sizeof(path), "/local/domain/%u/control/shutdown", d->domid);
	self_request(XS_WRITE, path, "");
	snprintf(val, sizeof(val), "n%u", d->domid);
	snprintf(path, sizeof(path), "/local/domain/%u", d->domid);
	self_request(XS_SET_PERMS, path, val);
	snprintf(path, sizeof(path), "/local/domain/%u/control", d->domid);
	self_request(XS_SET_PERMS, path, val);
	snprintf(path, sizeof(path), "/local/domain/%u/control/shutdown", d->domid);
	self_request(XS_SET_PERMS, path, val);
}

static void scan_domains(void)
{
	struct bh_ctl_dominfo *v;
	uint8_t *out;
	size_t len, n;
	int rc;

	exc_pending = false;
	rc = ctl_call(ctl, BH_CTL_DOMAIN_LIST, NULL, 0, &out, &len);
	if (rc || len % sizeof(*v)) {
		log_warn("listing domains: %s", strerror(rc ? -rc : EPROTO));
		free(out);
		return;
	}
	v = (struct bh_ctl_dominfo *)out;
	n = len / sizeof(*v);
	/* Gone: every ring whose domain is not listed, or is dying. */
	for (unsigned int i = 0; i < MAX_RINGS; i++) {
		bool alive = false;

		if (!rings[i].used)
			continue;
		for (size_t k = 0; k < n; k++)
			if (v[k].domid == rings[i].domid && v[k].state != BH_DOMSTATE_DYING)
				alive = true;
		if (!alive)
			xs_domain_gone(store, rings[i].domid);
	}
	/* A domain that is gone may have its id reused: forget that its port closed. */
	for (unsigned int id = 1; id < DOMID_FIRST_RESERVED; id++) {
		bool listed = false;

		if (!closed_while_alive(id))
			continue;
		for (size_t k = 0; k < n && !listed; k++)
			listed = v[k].domid == id && v[k].state != BH_DOMSTATE_DYING;
		if (!listed)
			port_closed[id / 64] &= ~(1ull << (id % 64));
	}
	/* New, with a ring in our arena that nobody introduced. */
	for (size_t k = 0; k < n; k++) {
		if (v[k].store_mfn == BH_NO_STORE || v[k].state == BH_DOMSTATE_DYING ||
		    xs_domain_is_introduced(store, v[k].domid) || closed_while_alive(v[k].domid))
			continue;
		if (!ring_introduce(NULL, v[k].domid, v[k].store_mfn, v[k].store_evtchn))
			write_entries(&v[k]);
	}
	free(out);
}

static void on_wake(void *arg, uint32_t events)
{
	uint64_t cnt;

	(void)arg;
	(void)events;
	if (read(wake_fd, &cnt, sizeof(cnt)) < 0 && errno != EAGAIN)
		log_warn("wake: %s", strerror(errno));
	/* A closed ring port: the domain is gone, whatever the next scan would say. */
	for (unsigned int i = 0; i < MAX_RINGS; i++)
		if (rings[i].used && rings[i].closed) {
			log_info("domain %u: its xenstore port closed", rings[i].domid);
			if (rings[i].domid < DOMID_FIRST_RESERVED)
				port_closed[rings[i].domid / 64] |= 1ull << (rings[i].domid % 64);
			xs_domain_gone(store, rings[i].domid);
			if (rings[i].used) /* it was not introduced: nothing released it */
				ring_release(NULL, rings[i].domid);
		}
	if (exc_pending)
		scan_domains();
	for (unsigned int i = 0; i < MAX_RINGS; i++)
		if (rings[i].used && rings[i].pending)
			ring_pass(&rings[i]);
}

static void on_ctl(void *arg, uint32_t events)
{
	struct bh_ctl_hdr h;
	uint8_t first;
	ssize_t n;

	(void)arg;
	if (events & (EPOLLHUP | EPOLLERR)) {
		log_err("bulkhead closed the control connection; exiting");
		exit(1);
	}
	/*
	 * The readiness may be stale: a ctl_call made earlier in this epoll
	 * batch (ring_pass's EVTCHN_SEND, an introduce) reads the notifications
	 * that precede its reply and hands them to on_notify. A blocking read
	 * of the empty socket would stall every ring until bulkhead next wrote.
	 */
	n = recv(ctl, &first, 1, MSG_PEEK | MSG_DONTWAIT);
	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
		return;
	if (n <= 0 || ctl_read_full(ctl, &h, sizeof(h)) || h.magic != BH_CTL_MAGIC ||
	    ctl_read_notify(ctl, &h)) {
		log_err("bulkhead's control connection failed; exiting");
		exit(1);
	}
}

int xs_ring_init(struct xs_store *s, const char *control_path)
{
	struct bh_ctl_arena a = { BH_ARENA_XENSTORE, XS_RING_ARENA_PAGES };
	uint32_t virq = VIRQ_DOM_EXC;
	uint8_t *out;
	size_t len;
	int mfd, rc;

	store = s;
	self = xs_conn_new(s, 0, true, NULL, NULL);
	wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (!self || wake_fd < 0 || xs_loop_add(wake_fd, EPOLLIN, on_wake, NULL)) {
		log_err("ring transport: out of resources");
		return -1;
	}
	ctl = ctl_connect(ctl_socket_path(control_path));
	if (ctl < 0) {
		log_err("cannot reach bulkhead at %s: %s", ctl_socket_path(control_path),
			strerror(-ctl));
		return -1;
	}
	ctl_set_notify(on_notify, NULL);
	mfd = memfd_create("xenstore-arena", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (mfd < 0 || ftruncate(mfd, (off_t)a.pages * PAGE) ||
	    fcntl(mfd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL)) {
		log_err("the arena: %s", strerror(errno));
		return -1;
	}
	arena = mmap(NULL, (size_t)a.pages * PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, mfd, 0);
	if (arena == MAP_FAILED) {
		log_err("mapping the arena: %s", strerror(errno));
		return -1;
	}
	rc = ctl_call_fd(ctl, BH_CTL_ARENA_REGISTER, &a, sizeof(a), mfd, &out, &len);
	close(mfd);
	if (rc) {
		log_err("bulkhead refused the arena: %.*s%s", (int)len, out ? (char *)out : "",
			len ? "" : strerror(-rc));
		free(out);
		return -1;
	}
	rc = ctl_call(ctl, BH_CTL_EVTCHN_BIND_VIRQ, &virq, sizeof(virq), &out, &len);
	if (rc || len != sizeof(exc_port)) {
		log_err("binding VIRQ_DOM_EXC: %s", strerror(rc ? -rc : EPROTO));
		free(out);
		return -1;
	}
	memcpy(&exc_port, out, sizeof(exc_port));
	free(out);
	if (xs_loop_add(ctl, EPOLLIN, on_ctl, NULL)) {
		log_err("epoll: %s", strerror(errno));
		return -1;
	}
	exc_pending = true; /* domains that exist already */
	wake();
	return 0;
}

void xs_ring_fini(void)
{
	if (ctl >= 0)
		close(ctl);
	ctl = -1;
}
