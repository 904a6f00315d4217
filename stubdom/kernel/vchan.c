/*
 * vchan, guest side: the rendezvous (grants, event channel, XenStore) and
 * libxenvchan's calls over the ring core in bulkhead/vchan_ring.h. See
 * bk/vchan.h.
 */
#include <xen/errno.h>
#include <xen/event_channel.h>

#include <bk/kernel.h>
#include <bk/vchan.h>
#include <bulkhead/vchan_stream.h>
#include <bk/xenbus.h>

#define PAGE 4096u
#define MAX_RING_PAGES (2u << (VCHAN_MAX_ORDER - VCHAN_PAGE_SHIFT))
#define PATH_MAX_LEN 160
#define DEFAULT_SPIN_NS 50000ull

struct vchan {
	struct vchan_core c;
	domid_t peer;
	bool server, blocking;
	bool gone;               /* the peer closed, died, or broke the protocol */
	bool check_port;         /* an event came with no progress: is the peer alive? */
	evtchn_port_t port;
	volatile uint64_t events; /* bumped by the port's handler */
	uint64_t seen, notifies;
	uint64_t timeout_ns, spin_ns;
	unsigned int left_order, right_order;
	unsigned int nr_pages;   /* the shared page and the ring pages */
	/* server */
	void *mem;               /* malloc'd; the pages start at the next page boundary */
	grant_ref_t ref[1 + MAX_RING_PAGES];
	char path[PATH_MAX_LEN];
	/* client */
	uint64_t gpa[3];         /* mapping areas: shared page, left ring, right ring */
	grant_handle_t handle[1 + MAX_RING_PAGES];
	uint64_t handle_gpa[1 + MAX_RING_PAGES];
};

static void on_event(evtchn_port_t port, void *arg)
{
	struct vchan *v = arg;

	(void)port;
	v->events++;
}

static struct vchan *vchan_alloc(domid_t peer, bool server)
{
	struct vchan *v = calloc(1, sizeof(*v));

	if (!v)
		return NULL;
	v->peer = peer;
	v->server = server;
	v->blocking = true;
	v->spin_ns = DEFAULT_SPIN_NS;
	return v;
}

static void notify(struct vchan *v)
{
	v->notifies++;
	evtchn_send(v->port);
}

static void start_events(struct vchan *v)
{
	evtchn_set_handler(v->port, on_event, v);
	evtchn_unmask(v->port);
}

/* ---- server ------------------------------------------------------------------ */

static void server_release(struct vchan *v)
{
	bool busy = false;
	unsigned int i;

	for (i = 0; i < v->nr_pages; i++) {
		if (!v->ref[i])
			continue;
		if (gnttab_end(v->ref[i])) {
			busy = true; /* the peer still maps it: the page must not be reused */
			continue;
		}
		gnttab_free_ref(v->ref[i]);
	}
	if (busy)
		printk("vchan: a page is still mapped by domain %u; keeping it\n", v->peer);
	else
		free(v->mem);
}

/* The path's two nodes, readable by the peer only. */
static int publish(struct vchan *v)
{
	struct xs_perm perms[2] = { { xenbus_domid(), 'n' }, { v->peer, 'r' } };
	char node[PATH_MAX_LEN + 16], val[16];
	int rc;

	snprintf(node, sizeof(node), "%s/ring-ref", v->path);
	snprintf(val, sizeof(val), "%u", v->ref[0]);
	rc = xs_write(XBT_NULL, node, val);
	if (!rc)
		rc = xs_set_perms(XBT_NULL, node, perms, 2);
	if (rc)
		return rc;
	snprintf(node, sizeof(node), "%s/event-channel", v->path);
	snprintf(val, sizeof(val), "%u", v->port);
	rc = xs_write(XBT_NULL, node, val);
	if (!rc)
		rc = xs_set_perms(XBT_NULL, node, perms, 2);
	return rc;
}

struct vchan *vchan_server_init(domid_t peer, const char *xs_path, size_t read_min,
				size_t write_min, int *err)
{
	unsigned int l, r, lp, rp, i;
	struct vchan_interface *sh;
	uint8_t *base;
	struct vchan *v;
	int rc;

	*err = -XEN_EINVAL;
	if (vchan_choose_orders(read_min, write_min, &l, &r) || strlen(xs_path) >= PATH_MAX_LEN)
		return NULL;
	if ((rc = gnttab_init())) {
		*err = rc < 0 ? rc : -XEN_EIO;
		return NULL;
	}
	*err = -XEN_ENOMEM;
	v = vchan_alloc(peer, true);
	if (!v)
		return NULL;
	memcpy(v->path, xs_path, strlen(xs_path) + 1);
	lp = vchan_order_pages(l);
	rp = vchan_order_pages(r);
	v->left_order = l;
	v->right_order = r;
	v->nr_pages = 1 + lp + rp;
	v->mem = malloc((size_t)v->nr_pages * PAGE + PAGE - 1);
	if (!v->mem) {
		free(v);
		return NULL;
	}
	base = (uint8_t *)(((uintptr_t)v->mem + PAGE - 1) & ~(uintptr_t)(PAGE - 1));
	memset(base, 0, (size_t)v->nr_pages * PAGE);
	sh = (struct vchan_interface *)base;
	for (i = 0; i < v->nr_pages; i++) {
		v->ref[i] = gnttab_alloc_ref();
		if (!v->ref[i]) {
			*err = -XEN_ENOSPC;
			goto fail;
		}
		if (i > 0)
			sh->grants[i - 1] = v->ref[i];
		gnttab_grant(v->ref[i], peer, ((uintptr_t)base >> 12) + i, false);
	}
	sh->left_order = l;
	sh->right_order = r;
	vchan_core_init(&v->c, sh, true, l, lp ? base + PAGE : vchan_inpage_ring(sh, l), r,
			rp ? base + PAGE * (1 + lp) : vchan_inpage_ring(sh, r));
	sh->cli_live = VCHAN_WAITING;
	sh->srv_live = VCHAN_CONNECTED;
	/* Hear of the client's first write, and of its connecting. */
	sh->cli_notify = VCHAN_NOTIFY_WRITE;
	rc = evtchn_alloc_unbound(peer, &v->port);
	if (rc) {
		*err = rc;
		goto fail;
	}
	start_events(v);
	rc = publish(v);
	if (rc) {
		*err = rc;
		xs_rm(XBT_NULL, v->path);
		evtchn_close(v->port);
		evtchn_set_handler(v->port, NULL, NULL);
		goto fail;
	}
	*err = 0;
	return v;
fail:
	server_release(v);
	free(v);
	return NULL;
}

/* ---- client ------------------------------------------------------------------ */

/* A decimal below limit, and nothing else. */
static bool parse_u32(const char *s, uint64_t limit, uint32_t *out)
{
	uint64_t n = 0;

	if (!*s)
		return false;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return false;
		n = n * 10 + (uint64_t)(*s - '0');
		if (n >= limit)
			return false;
	}
	*out = (uint32_t)n;
	return true;
}

static int read_node(const char *path, const char *leaf, uint64_t limit, uint32_t *out)
{
	char node[PATH_MAX_LEN + 48], val[24];
	int rc;

	snprintf(node, sizeof(node), "%s/%s", path, leaf);
	rc = xs_read(XBT_NULL, node, val, sizeof(val));
	if (rc < 0)
		return rc;
	return parse_u32(val, limit, out) ? 0 : -XEN_EBADMSG;
}

/* Map n grants, refs taken from the list, at consecutive pages from gpa. */
static int map_run(struct vchan *v, const uint32_t *refs, unsigned int n, uint64_t gpa)
{
	for (unsigned int i = 0; i < n; i++) {
		unsigned int h = v->nr_pages;
		int st = gnttab_map(v->peer, refs[i], gpa + (uint64_t)i * PAGE, false, &v->handle[h]);

		if (st)
			return st == GNTST_permission_denied ? -XEN_EACCES : -XEN_EINVAL;
		v->handle_gpa[h] = gpa + (uint64_t)i * PAGE;
		v->nr_pages++;
	}
	return 0;
}

static void client_release(struct vchan *v)
{
	unsigned int i;

	for (i = 0; i < v->nr_pages; i++)
		gnttab_unmap(v->handle_gpa[i], v->handle[i]);
	if (v->gpa[0])
		map_area_free(v->gpa[0], 1);
	if (v->gpa[1])
		map_area_free(v->gpa[1], vchan_order_pages(v->left_order));
	if (v->gpa[2])
		map_area_free(v->gpa[2], vchan_order_pages(v->right_order));
}

struct vchan *vchan_client_init(domid_t peer, const char *xs_path, int *err)
{
	uint32_t grants[MAX_RING_PAGES];
	struct vchan_interface *sh;
	unsigned int l, r, lp, rp, i;
	uint32_t ref, port;
	struct vchan *v;
	int rc;

	*err = -XEN_ENOMEM;
	v = vchan_alloc(peer, false);
	if (!v)
		return NULL;
	/* A relative path is the server's: under its domain's tree. */
	if (xs_path[0] == '/')
		rc = snprintf(v->path, sizeof(v->path), "%s", xs_path);
	else
		rc = snprintf(v->path, sizeof(v->path), "/local/domain/%u/%s", peer, xs_path);
	if (rc < 0 || rc >= (int)sizeof(v->path)) {
		*err = -XEN_EINVAL;
		free(v);
		return NULL;
	}
	rc = read_node(v->path, "ring-ref", UINT32_MAX, &ref);
	if (!rc)
		rc = read_node(v->path, "event-channel", UINT32_MAX, &port);
	if (rc) {
		*err = rc;
		free(v);
		return NULL;
	}
	v->gpa[0] = map_area_alloc(1);
	if (!v->gpa[0]) {
		*err = -XEN_ENOSPC;
		goto fail;
	}
	rc = map_run(v, &ref, 1, v->gpa[0]);
	if (rc) {
		*err = rc;
		goto fail;
	}
	sh = (struct vchan_interface *)(uintptr_t)v->gpa[0];
	/* Read once: the server may change them; the copies are what we use. */
	l = __atomic_load_n(&sh->left_order, __ATOMIC_RELAXED);
	r = __atomic_load_n(&sh->right_order, __ATOMIC_RELAXED);
	*err = -XEN_EBADMSG;
	if (!vchan_layout_check(l, r))
		goto fail;
	v->left_order = l;
	v->right_order = r;
	lp = vchan_order_pages(l);
	rp = vchan_order_pages(r);
	for (i = 0; i < lp + rp; i++)
		grants[i] = __atomic_load_n(&sh->grants[i], __ATOMIC_RELAXED);
	*err = -XEN_ENOSPC;
	if ((lp && !(v->gpa[1] = map_area_alloc(lp))) || (rp && !(v->gpa[2] = map_area_alloc(rp))))
		goto fail;
	rc = map_run(v, grants, lp, v->gpa[1]);
	if (!rc)
		rc = map_run(v, grants + lp, rp, v->gpa[2]);
	if (rc) {
		*err = rc;
		goto fail;
	}
	rc = evtchn_bind_interdomain(peer, port, &v->port);
	if (rc) {
		*err = rc;
		goto fail;
	}
	start_events(v);
	vchan_core_init(&v->c, sh, false, l, lp ? (uint8_t *)(uintptr_t)v->gpa[1] :
			vchan_inpage_ring(sh, l), r,
			rp ? (uint8_t *)(uintptr_t)v->gpa[2] : vchan_inpage_ring(sh, r));
	if (vchan_core_peer_state(&v->c) != VCHAN_CONNECTED) {
		*err = -XEN_ECONNREFUSED;
		evtchn_close(v->port);
		evtchn_set_handler(v->port, NULL, NULL);
		goto fail;
	}
	vchan_core_set_live(&v->c, VCHAN_CONNECTED);
	notify(v);
	*err = 0;
	return v;
fail:
	client_release(v);
	free(v);
	return NULL;
}

/* ---- state ------------------------------------------------------------------- */

int vchan_is_open(struct vchan *v)
{
	struct evtchn_status st;
	int state;

	if (v->gone)
		return VCHAN_DISCONNECTED;
	state = vchan_core_peer_state(&v->c);
	if (state == VCHAN_CONNECTED && v->check_port) {
		/* A dead peer's end closes, and ours goes back to unbound. */
		v->check_port = false;
		if (evtchn_status(v->port, &st) || st.status != EVTCHNSTAT_interdomain)
			state = VCHAN_DISCONNECTED;
	}
	if (state == VCHAN_DISCONNECTED) {
		if (v->c.broken)
			printk("vchan: domain %u broke the protocol; closing\n", v->peer);
		v->gone = true;
	}
	return state;
}

static int wait_once(struct vchan *v)
{
	uint64_t deadline = v->timeout_ns ? now_ns() + v->timeout_ns : 0;
	bool moved = wait_event(&v->events, v->seen, deadline);

	v->seen = v->events;
	return moved ? 0 : -1;
}

/* A caller's own wait: the next vchan_is_open also asks whether the peer is alive. */
int vchan_wait(struct vchan *v)
{
	int rc = wait_once(v);

	if (!rc)
		v->check_port = true;
	return rc;
}

/*
 * Wait in a blocking call until have() may reach want: spin on the ring
 * first, then ask the peer for an event (bit), look again, and block.
 * 0 to look again, -1 on timeout or a closed channel.
 */
static int wait_for(struct vchan *v, int64_t (*have)(struct vchan_core *), uint32_t want,
		    uint8_t bit)
{
	uint64_t spin_end = now_ns() + v->spin_ns;
	int64_t n;

	while (now_ns() < spin_end) {
		n = have(&v->c);
		if (n < 0 || n >= want)
			return 0;
		cpu_relax();
	}
	vchan_core_request(&v->c, bit);
	n = have(&v->c);
	if (n < 0 || n >= want)
		return 0;
	if (vchan_is_open(v) == VCHAN_DISCONNECTED)
		return -1;
	if (wait_once(v))
		return -1;
	n = have(&v->c);
	if (n >= 0 && n < want)
		v->check_port = true;
	return 0;
}

/* ---- data -------------------------------------------------------------------- */

static int64_t op_ready(void *p, uint32_t want)
{
	return vchan_core_ready_for(&((struct vchan *)p)->c, want);
}

static int64_t op_space(void *p, uint32_t want)
{
	return vchan_core_space_for(&((struct vchan *)p)->c, want);
}

static void op_get(void *p, void *data, uint32_t n)
{
	struct vchan *v = p;

	vchan_core_get(&v->c, data, n);
	if (vchan_core_take_request(&v->c, VCHAN_NOTIFY_READ))
		notify(v);
}

static void op_put(void *p, const void *data, uint32_t n)
{
	struct vchan *v = p;

	vchan_core_put(&v->c, data, n);
	if (vchan_core_take_request(&v->c, VCHAN_NOTIFY_WRITE))
		notify(v);
}

static int op_is_open(void *p) { return vchan_is_open(p); }

static int op_wait_ready(void *p, uint32_t want)
{
	return wait_for(p, vchan_core_ready, want, VCHAN_NOTIFY_WRITE);
}

static int op_wait_space(void *p, uint32_t want)
{
	return wait_for(p, vchan_core_space, want, VCHAN_NOTIFY_READ);
}

static uint32_t op_read_size(void *p) { return ((struct vchan *)p)->c.rd.size; }
static uint32_t op_write_size(void *p) { return ((struct vchan *)p)->c.wr.size; }

static const struct vchan_stream_ops ops = {
	op_ready, op_space, op_get, op_put, op_is_open, op_wait_ready, op_wait_space,
	op_read_size, op_write_size,
};

int vchan_read(struct vchan *v, void *data, size_t size)
{
	return vchan_stream_read(&ops, v, v->blocking, data, size);
}

int vchan_recv(struct vchan *v, void *data, size_t size)
{
	return vchan_stream_recv(&ops, v, v->blocking, data, size);
}

int vchan_write(struct vchan *v, const void *data, size_t size)
{
	return vchan_stream_write(&ops, v, v->blocking, data, size);
}

int vchan_send(struct vchan *v, const void *data, size_t size)
{
	return vchan_stream_send(&ops, v, v->blocking, data, size);
}

int vchan_data_ready(struct vchan *v)
{
	int64_t n;

	vchan_core_request(&v->c, VCHAN_NOTIFY_WRITE);
	n = vchan_core_ready(&v->c);
	return n < 0 ? 0 : (int)n;
}

int vchan_buffer_space(struct vchan *v)
{
	int64_t n;

	vchan_core_request(&v->c, VCHAN_NOTIFY_READ);
	n = vchan_core_space(&v->c);
	return n < 0 ? 0 : (int)n;
}

/* ---- the rest ---------------------------------------------------------------- */

void vchan_close(struct vchan *v)
{
	if (!v)
		return;
	vchan_core_set_live(&v->c, VCHAN_DISCONNECTED);
	notify(v);
	evtchn_close(v->port);
	evtchn_set_handler(v->port, NULL, NULL);
	if (v->server) {
		xs_rm(XBT_NULL, v->path);
		server_release(v);
	} else {
		client_release(v);
	}
	free(v);
}

void vchan_set_blocking(struct vchan *v, bool blocking) { v->blocking = blocking; }
void vchan_set_timeout(struct vchan *v, uint64_t ns) { v->timeout_ns = ns; }
void vchan_set_spin(struct vchan *v, uint64_t ns) { v->spin_ns = ns; }
uint32_t vchan_read_size(const struct vchan *v) { return v->c.rd.size; }
uint32_t vchan_write_size(const struct vchan *v) { return v->c.wr.size; }
struct vchan_interface *vchan_shared(struct vchan *v) { return v->c.sh; }
evtchn_port_t vchan_port(const struct vchan *v) { return v->port; }
uint64_t vchan_notifies(const struct vchan *v) { return v->notifies; }
uint64_t vchan_events(const struct vchan *v) { return v->events; }
