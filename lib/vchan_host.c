/* vchan for dom0 services. See vchan_host.h. */
#include "vchan_host.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include <xen/grant_table.h>

#include <bulkhead/control.h>
#include <bulkhead/vchan_stream.h>

#include "ctl_client.h"
#include "ctl_io.h"
#include "xs_client.h"

#define PAGE 4096u
#define MAX_RING_PAGES (1u << (VCHAN_MAX_ORDER - VCHAN_PAGE_SHIFT))
#define DEFAULT_SPIN_NS 50000ull
#define COPY_CHUNK (32u << 10) /* bytes per GRANT_COPY: at most 9 pages, within its limits */

struct vchan_host_ctx {
	int ctl, xs, memfd;
	uint8_t *base;          /* the arena */
	uint32_t pages;
	uint8_t *used;          /* per page: 1 in use, 2 kept (a guest still maps it) */
	struct vchan_host *chans;
	bool broken;            /* the control connection failed */
};

struct vchan_host {
	struct vchan_host_ctx *ctx;
	struct vchan_host *next;
	const struct vchan_stream_ops *ops;
	uint16_t peer;
	bool server, blocking;
	bool gone;              /* closed, died, or broke the protocol */
	uint32_t port;          /* ours (dom0's) */
	uint64_t events, seen, notifies;
	int timeout_ms;
	uint64_t spin_ns;
	char path[256];
	/* server: the rings in our arena */
	struct vchan_core c;
	uint32_t first_page, nr_pages;
	uint32_t ref[1 + 2 * MAX_RING_PAGES];
	/* client: the guest's pages, by grant copy */
	uint32_t shared_ref;
	uint32_t ring_ref[2][MAX_RING_PAGES]; /* left, right */
	unsigned int order[2];
	uint32_t rd_idx, wr_idx;              /* ours: right.cons, left.prod */
	bool broken;
};

static uint64_t now_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000000000ull + (uint64_t)t.tv_nsec;
}

/* ---- the context --------------------------------------------------------------- */

static void on_notify(void *arg, uint16_t event, const uint8_t *payload, size_t len)
{
	struct vchan_host_ctx *ctx = arg;

	if (event != BH_CTL_EV_EVTCHN && event != BH_CTL_EV_EVTCHN_CLOSED)
		return;
	for (size_t off = 0; off + 4 <= len; off += 4) {
		uint32_t port;

		memcpy(&port, payload + off, 4);
		for (struct vchan_host *v = ctx->chans; v; v = v->next) {
			if (v->port != port)
				continue;
			v->events++;
			if (event == BH_CTL_EV_EVTCHN_CLOSED)
				v->gone = true; /* the guest's end is gone: its domain died */
		}
	}
}

struct vchan_host_ctx *vchan_host_open(const char *ctl_path, const char *xs_path,
				       uint32_t arena_pages, char *err, size_t errlen)
{
	struct vchan_host_ctx *ctx = calloc(1, sizeof(*ctx));
	struct bh_ctl_arena a = { BH_ARENA_GRANT, arena_pages };
	int rc;

	if (!ctx || !(ctx->used = calloc(arena_pages ? arena_pages : 1, 1))) {
		snprintf(err, errlen, "out of memory");
		goto fail_alloc;
	}
	ctx->ctl = ctx->xs = ctx->memfd = -1;
	ctx->pages = arena_pages;
	ctx->ctl = ctl_connect(ctl_path);
	if (ctx->ctl < 0) {
		snprintf(err, errlen, "cannot connect to bulkhead at %s: %s", ctl_path,
			 strerror(errno));
		goto fail;
	}
	ctx->xs = xs_open(xs_path);
	if (ctx->xs < 0) {
		snprintf(err, errlen, "cannot connect to xenstored at %s: %s",
			 xs_socket_path(xs_path), strerror(errno));
		goto fail;
	}
	ctx->memfd = memfd_create("vchan-arena", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (ctx->memfd < 0 || ftruncate(ctx->memfd, (off_t)arena_pages * PAGE) ||
	    fcntl(ctx->memfd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW)) {
		snprintf(err, errlen, "the arena: %s", strerror(errno));
		goto fail;
	}
	ctx->base = mmap(NULL, (size_t)arena_pages * PAGE, PROT_READ | PROT_WRITE, MAP_SHARED,
			 ctx->memfd, 0);
	if (ctx->base == MAP_FAILED) {
		ctx->base = NULL;
		snprintf(err, errlen, "mapping the arena: %s", strerror(errno));
		goto fail;
	}
	ctl_set_notify(on_notify, ctx);
	rc = ctl_call_fd(ctx->ctl, BH_CTL_ARENA_REGISTER, &a, sizeof(a), ctx->memfd, NULL, NULL);
	if (rc) {
		snprintf(err, errlen, "registering the arena: %s", strerror(-rc));
		goto fail;
	}
	return ctx;
fail:
	vchan_host_ctx_close(ctx);
	return NULL;
fail_alloc:
	free(ctx);
	return NULL;
}

void vchan_host_ctx_close(struct vchan_host_ctx *ctx)
{
	if (!ctx)
		return;
	while (ctx->chans)
		vchan_host_close(ctx->chans);
	if (ctx->base)
		munmap(ctx->base, (size_t)ctx->pages * PAGE);
	if (ctx->memfd >= 0)
		close(ctx->memfd);
	if (ctx->xs >= 0)
		close(ctx->xs);
	if (ctx->ctl >= 0)
		close(ctx->ctl);
	ctl_set_notify(NULL, NULL);
	free(ctx->used);
	free(ctx);
}

int vchan_host_fd(const struct vchan_host_ctx *ctx)
{
	return ctx->ctl;
}

int vchan_host_dispatch(struct vchan_host_ctx *ctx)
{
	struct bh_ctl_hdr h;

	if (ctx->broken)
		return -1;
	/* Only notifications come outside a call; anything else is the end. */
	if (ctl_read_full(ctx->ctl, &h, sizeof(h)) || h.magic != BH_CTL_MAGIC ||
	    ctl_read_notify(ctx->ctl, &h)) {
		ctx->broken = true;
		for (struct vchan_host *v = ctx->chans; v; v = v->next)
			v->gone = true;
		return -1;
	}
	return 0;
}

static int ctl_u32(struct vchan_host_ctx *ctx, uint16_t op, uint32_t arg)
{
	uint8_t *out = NULL;
	size_t n = 0;
	uint32_t val;
	int rc = ctl_call(ctx->ctl, op, &arg, sizeof(arg), &out, &n);

	if (rc == 0 && n == sizeof(val)) {
		memcpy(&val, out, sizeof(val));
		rc = (int)val;
	}
	free(out);
	return rc;
}

static void notify(struct vchan_host *v)
{
	v->notifies++;
	ctl_u32(v->ctx, BH_CTL_EVTCHN_SEND, v->port);
}

static struct vchan_host *chan_new(struct vchan_host_ctx *ctx, uint16_t peer, const char *path,
				   bool server, char *err, size_t errlen)
{
	struct vchan_host *v = calloc(1, sizeof(*v));
	int n;

	if (!v) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	if (server || path[0] == '/')
		n = snprintf(v->path, sizeof(v->path), "%s", path);
	else
		n = snprintf(v->path, sizeof(v->path), "/local/domain/%u/%s", peer, path);
	if (n < 0 || (size_t)n >= sizeof(v->path) || !path[0]) {
		snprintf(err, errlen, "bad XenStore path '%s'", path);
		free(v);
		return NULL;
	}
	v->ctx = ctx;
	v->peer = peer;
	v->server = server;
	v->blocking = true;
	v->timeout_ms = -1;
	v->spin_ns = DEFAULT_SPIN_NS;
	return v;
}

static void chan_link(struct vchan_host *v)
{
	v->next = v->ctx->chans;
	v->ctx->chans = v;
}

/* ---- waiting --------------------------------------------------------------------- */

int vchan_host_wait(struct vchan_host *v)
{
	uint64_t deadline = v->timeout_ms < 0 ? 0 : now_ns() + (uint64_t)v->timeout_ms * 1000000;

	while (v->events == v->seen) {
		struct pollfd p = { v->ctx->ctl, POLLIN, 0 };
		int ms = -1, rc;

		if (deadline) {
			uint64_t now = now_ns();

			if (now >= deadline)
				return -1;
			ms = (int)((deadline - now + 999999) / 1000000);
		}
		rc = poll(&p, 1, ms);
		if (rc < 0 && errno != EINTR)
			return -1;
		if (rc > 0 && vchan_host_dispatch(v->ctx))
			return -1;
	}
	v->seen = v->events;
	return 0;
}

/* ---- server: rings in the arena ----------------------------------------------------- */

static int64_t srv_ready(void *p, uint32_t want)
{
	return vchan_core_ready_for(&((struct vchan_host *)p)->c, want);
}

static int64_t srv_space(void *p, uint32_t want)
{
	return vchan_core_space_for(&((struct vchan_host *)p)->c, want);
}

static void srv_get(void *p, void *buf, uint32_t n)
{
	struct vchan_host *v = p;

	vchan_core_get(&v->c, buf, n);
	if (vchan_core_take_request(&v->c, VCHAN_NOTIFY_READ))
		notify(v);
}

static void srv_put(void *p, const void *buf, uint32_t n)
{
	struct vchan_host *v = p;

	vchan_core_put(&v->c, buf, n);
	if (vchan_core_take_request(&v->c, VCHAN_NOTIFY_WRITE))
		notify(v);
}

static int srv_is_open(void *p)
{
	struct vchan_host *v = p;
	int st;

	if (v->gone)
		return VCHAN_DISCONNECTED;
	st = vchan_core_peer_state(&v->c);
	if (st == VCHAN_DISCONNECTED)
		v->gone = true;
	return st;
}

static int srv_wait_for(struct vchan_host *v, int64_t (*have)(struct vchan_core *), uint32_t want,
			uint8_t bit)
{
	uint64_t spin_end = now_ns() + v->spin_ns;
	int64_t n;

	while (now_ns() < spin_end) {
		n = have(&v->c);
		if (n < 0 || n >= want || v->gone)
			return 0;
		__builtin_ia32_pause();
	}
	vchan_core_request(&v->c, bit);
	n = have(&v->c);
	if (n < 0 || n >= want)
		return 0;
	if (srv_is_open(v) == VCHAN_DISCONNECTED)
		return -1;
	return vchan_host_wait(v);
}

static int srv_wait_ready(void *p, uint32_t want)
{
	return srv_wait_for(p, vchan_core_ready, want, VCHAN_NOTIFY_WRITE);
}

static int srv_wait_space(void *p, uint32_t want)
{
	return srv_wait_for(p, vchan_core_space, want, VCHAN_NOTIFY_READ);
}

static uint32_t srv_read_size(void *p) { return ((struct vchan_host *)p)->c.rd.size; }
static uint32_t srv_write_size(void *p) { return ((struct vchan_host *)p)->c.wr.size; }

static const struct vchan_stream_ops server_ops = {
	srv_ready, srv_space, srv_get, srv_put, srv_is_open, srv_wait_ready, srv_wait_space,
	srv_read_size, srv_write_size,
};

/* A run of n free arena pages; its first page, or -1. */
static int64_t arena_alloc(struct vchan_host_ctx *ctx, uint32_t n)
{
	uint32_t run = 0;

	for (uint32_t i = 0; i < ctx->pages; i++) {
		run = ctx->used[i] ? 0 : run + 1;
		if (run == n) {
			memset(ctx->used + i + 1 - n, 1, n);
			return i + 1 - n;
		}
	}
	return -1;
}

static int publish(struct vchan_host *v)
{
	char node[300], val[16], perms[16];
	int plen = snprintf(perms, sizeof(perms), "n0%cr%u", 0, v->peer) + 1;
	int rc;

	snprintf(node, sizeof(node), "%s/ring-ref", v->path);
	snprintf(val, sizeof(val), "%u", v->ref[0]);
	rc = xs_write(v->ctx->xs, node, val);
	if (!rc)
		rc = xs_set_perms(v->ctx->xs, node, perms, (size_t)plen);
	if (rc)
		return rc;
	snprintf(node, sizeof(node), "%s/event-channel", v->path);
	snprintf(val, sizeof(val), "%u", v->port);
	rc = xs_write(v->ctx->xs, node, val);
	if (!rc)
		rc = xs_set_perms(v->ctx->xs, node, perms, (size_t)plen);
	return rc;
}

/* End the grants; pages a guest still maps stay out of use. */
static void server_release(struct vchan_host *v)
{
	for (uint32_t i = 0; i < v->nr_pages; i++) {
		bool kept = v->ref[i] && ctl_u32(v->ctx, BH_CTL_GRANT_END, v->ref[i]) == -EBUSY;

		v->ctx->used[v->first_page + i] = kept ? 2 : 0;
	}
}

struct vchan_host *vchan_host_server_init(struct vchan_host_ctx *ctx, uint16_t peer,
					  const char *xs_path, size_t read_min,
					  size_t write_min, char *err, size_t errlen)
{
	unsigned int l, r, lp, rp;
	struct vchan_interface *sh;
	struct vchan_host *v;
	uint8_t *base;
	int64_t first;
	int rc;

	if (vchan_choose_orders(read_min, write_min, &l, &r)) {
		snprintf(err, errlen, "no vchan layout holds rings of %zu and %zu bytes", read_min,
			 write_min);
		return NULL;
	}
	v = chan_new(ctx, peer, xs_path, true, err, errlen);
	if (!v)
		return NULL;
	v->ops = &server_ops;
	lp = vchan_order_pages(l);
	rp = vchan_order_pages(r);
	first = arena_alloc(ctx, 1 + lp + rp);
	if (first < 0) {
		snprintf(err, errlen, "the arena has no %u free pages in a row", 1 + lp + rp);
		free(v);
		return NULL;
	}
	v->first_page = (uint32_t)first;
	base = ctx->base + (size_t)first * PAGE;
	memset(base, 0, (size_t)(1 + lp + rp) * PAGE);
	sh = (struct vchan_interface *)base;
	for (uint32_t i = 0; i < 1 + lp + rp; i++) {
		struct bh_ctl_grant_access g = { peer, v->first_page + i, 0 };
		uint8_t *out = NULL;
		size_t n = 0;

		rc = ctl_call(ctx->ctl, BH_CTL_GRANT_ACCESS, &g, sizeof(g), &out, &n);
		if (rc == 0 && n == 4)
			memcpy(&v->ref[i], out, 4);
		free(out);
		if (rc || n != 4) {
			snprintf(err, errlen, "granting page %u to domain %u: %s", i, peer,
				 strerror(rc ? -rc : EPROTO));
			goto fail;
		}
		v->nr_pages = i + 1;
		if (i)
			sh->grants[i - 1] = v->ref[i];
	}
	sh->left_order = (uint16_t)l;
	sh->right_order = (uint16_t)r;
	vchan_core_init(&v->c, sh, true, l, lp ? base + PAGE : vchan_inpage_ring(sh, l), r,
			rp ? base + PAGE * (1 + lp) : vchan_inpage_ring(sh, r));
	sh->cli_live = VCHAN_WAITING;
	sh->srv_live = VCHAN_CONNECTED;
	sh->cli_notify = VCHAN_NOTIFY_WRITE;
	rc = ctl_u32(ctx, BH_CTL_EVTCHN_ALLOC_UNBOUND, peer);
	if (rc <= 0) {
		snprintf(err, errlen, "an event channel for domain %u: %s", peer,
			 strerror(rc ? -rc : EPROTO));
		goto fail;
	}
	v->port = (uint32_t)rc;
	rc = publish(v);
	if (rc) {
		snprintf(err, errlen, "writing %s to XenStore: %s", v->path, strerror(-rc));
		xs_rm(ctx->xs, v->path);
		ctl_u32(ctx, BH_CTL_EVTCHN_CLOSE, v->port);
		goto fail;
	}
	chan_link(v);
	return v;
fail:
	server_release(v);
	free(v);
	return NULL;
}

/* ---- client: the guest's pages by grant copy ------------------------------------------ */

/*
 * One GRANT_COPY of n segments (to_guest bytes follow in order in data);
 * the bytes read land in out. 0, or -1 (and the channel broken) if the
 * call failed or any segment did: the guest took a grant back.
 */
static int gcopy(struct vchan_host *v, const struct bh_ctl_grant_copy_seg *seg, uint32_t n,
		 const void *data, size_t data_len, void *out, size_t out_len)
{
	size_t in_len = sizeof(uint32_t) + n * sizeof(*seg) + data_len, st_len = (n + 1) / 2 * 4;
	uint8_t *in = malloc(in_len), *rep = NULL;
	size_t rep_len = 0;
	int rc;

	if (!in)
		return -1;
	memcpy(in, &n, sizeof(n));
	memcpy(in + sizeof(n), seg, n * sizeof(*seg));
	if (data_len)
		memcpy(in + sizeof(n) + n * sizeof(*seg), data, data_len);
	rc = ctl_call(v->ctx->ctl, BH_CTL_GRANT_COPY, in, in_len, &rep, &rep_len);
	free(in);
	if (!rc && rep_len == st_len + out_len) {
		for (uint32_t i = 0; i < n; i++) {
			int16_t st;

			memcpy(&st, rep + 2 * i, sizeof(st));
			if (st != GNTST_okay)
				rc = -1;
		}
		if (!rc && out_len)
			memcpy(out, rep + st_len, out_len);
	} else {
		rc = -1;
	}
	free(rep);
	if (rc)
		v->broken = true;
	return rc;
}

static struct bh_ctl_grant_copy_seg seg_shared(struct vchan_host *v, uint16_t off, uint16_t len,
					       bool to_guest)
{
	return (struct bh_ctl_grant_copy_seg){ v->peer, v->shared_ref, off, len,
					       to_guest ? BH_GNTCOPY_TO_GUEST : 0 };
}

/* The segments for len bytes of ring k from position pos; their count. */
static uint32_t ring_segs(struct vchan_host *v, int k, uint32_t pos, uint32_t len, bool to_guest,
			  struct bh_ctl_grant_copy_seg *seg)
{
	uint32_t size = 1u << v->order[k], n = 0;

	while (len) {
		uint32_t off = pos & (size - 1), chunk = size - off;

		if (v->order[k] < VCHAN_PAGE_SHIFT) {
			if (chunk > len)
				chunk = len;
			seg[n++] = seg_shared(v, (uint16_t)((v->order[k] == VCHAN_SMALL_ORDER ? 1024 : 2048) +
						  off), (uint16_t)chunk, to_guest);
		} else {
			if (chunk > PAGE - (off & (PAGE - 1)))
				chunk = PAGE - (off & (PAGE - 1));
			if (chunk > len)
				chunk = len;
			seg[n++] = (struct bh_ctl_grant_copy_seg){
				v->peer, v->ring_ref[k][off >> VCHAN_PAGE_SHIFT],
				(uint16_t)(off & (PAGE - 1)), (uint16_t)chunk,
				to_guest ? BH_GNTCOPY_TO_GUEST : 0 };
		}
		pos += chunk;
		len -= chunk;
	}
	return n;
}

/* The first 24 bytes of the guest's page: indexes, orders, live and notify bytes. */
static int fetch_header(struct vchan_host *v, struct vchan_interface *h)
{
	struct bh_ctl_grant_copy_seg s = seg_shared(v, 0, sizeof(*h), false);

	return gcopy(v, &s, 1, NULL, 0, h, sizeof(*h));
}

static int put_u32(struct vchan_host *v, size_t off, uint32_t val)
{
	struct bh_ctl_grant_copy_seg s = seg_shared(v, (uint16_t)off, 4, true);

	return gcopy(v, &s, 1, &val, 4, NULL, 0);
}

static int cli_is_open(void *p)
{
	struct vchan_host *v = p;
	struct vchan_interface h;

	if (v->gone || v->broken || fetch_header(v, &h))
		goto closed;
	if (h.srv_live == VCHAN_CONNECTED)
		return VCHAN_CONNECTED;
	if (h.srv_live != VCHAN_DISCONNECTED)
		v->broken = true; /* a server cannot be "waiting" or anything else */
closed:
	v->gone = true;
	return VCHAN_DISCONNECTED;
}

static int64_t cli_ready(void *p, uint32_t want)
{
	struct vchan_host *v = p;
	struct vchan_interface h;
	uint32_t n;

	(void)want;
	if (v->broken || fetch_header(v, &h))
		return -1;
	n = h.right.prod - v->rd_idx;
	if (n > 1u << v->order[1]) {
		v->broken = true;
		return -1;
	}
	return n;
}

static int64_t cli_space(void *p, uint32_t want)
{
	struct vchan_host *v = p;
	struct vchan_interface h;
	uint32_t used;

	(void)want;
	if (v->broken || fetch_header(v, &h))
		return -1;
	used = v->wr_idx - h.left.cons;
	if (used > 1u << v->order[0]) {
		v->broken = true;
		return -1;
	}
	return (1u << v->order[0]) - used;
}

static void cli_get(void *p, void *buf, uint32_t n)
{
	struct bh_ctl_grant_copy_seg seg[BH_GRANT_COPY_MAX_SEGS];
	struct vchan_host *v = p;

	for (uint32_t done = 0; done < n && !v->broken;) {
		uint32_t chunk = n - done > COPY_CHUNK ? COPY_CHUNK : n - done;
		uint32_t k = ring_segs(v, 1, v->rd_idx, chunk, false, seg);

		if (gcopy(v, seg, k, NULL, 0, (uint8_t *)buf + done, chunk))
			return;
		v->rd_idx += chunk;
		done += chunk;
	}
	if (!put_u32(v, offsetof(struct vchan_interface, right.cons), v->rd_idx))
		notify(v); /* no atomic test of the request bit by copy: always tell */
}

static void cli_put(void *p, const void *buf, uint32_t n)
{
	struct bh_ctl_grant_copy_seg seg[BH_GRANT_COPY_MAX_SEGS];
	struct vchan_host *v = p;

	for (uint32_t done = 0; done < n && !v->broken;) {
		uint32_t chunk = n - done > COPY_CHUNK ? COPY_CHUNK : n - done;
		uint32_t k = ring_segs(v, 0, v->wr_idx, chunk, true, seg);

		if (gcopy(v, seg, k, (const uint8_t *)buf + done, chunk, NULL, 0))
			return;
		v->wr_idx += chunk;
		done += chunk;
	}
	if (!put_u32(v, offsetof(struct vchan_interface, left.prod), v->wr_idx))
		notify(v);
}

/* Ask the server for an event: srv_notify |= bit, by copy (a lost race only adds an event). */
static int cli_request(struct vchan_host *v, uint8_t bit)
{
	struct bh_ctl_grant_copy_seg s = seg_shared(v, offsetof(struct vchan_interface, srv_notify),
						    1, true);
	struct vchan_interface h;
	uint8_t b;

	if (v->broken || fetch_header(v, &h))
		return -1;
	b = h.srv_notify | bit;
	return gcopy(v, &s, 1, &b, 1, NULL, 0);
}

static int cli_wait_for(struct vchan_host *v, int64_t (*have)(void *, uint32_t), uint32_t want,
			uint8_t bit)
{
	int64_t n;

	if (cli_request(v, bit))
		return -1;
	n = have(v, want);
	if (n < 0 || n >= want)
		return 0;
	if (cli_is_open(v) == VCHAN_DISCONNECTED)
		return -1;
	return vchan_host_wait(v);
}

static int cli_wait_ready(void *p, uint32_t want)
{
	return cli_wait_for(p, cli_ready, want, VCHAN_NOTIFY_WRITE);
}

static int cli_wait_space(void *p, uint32_t want)
{
	return cli_wait_for(p, cli_space, want, VCHAN_NOTIFY_READ);
}

static uint32_t cli_read_size(void *p) { return 1u << ((struct vchan_host *)p)->order[1]; }
static uint32_t cli_write_size(void *p) { return 1u << ((struct vchan_host *)p)->order[0]; }

static const struct vchan_stream_ops client_ops = {
	cli_ready, cli_space, cli_get, cli_put, cli_is_open, cli_wait_ready, cli_wait_space,
	cli_read_size, cli_write_size,
};

static int read_node(struct vchan_host *v, const char *leaf, uint32_t *out)
{
	char node[300], *val = NULL, *end;
	unsigned long n;
	int rc;

	snprintf(node, sizeof(node), "%s/%s", v->path, leaf);
	rc = xs_read(v->ctx->xs, node, &val);
	if (rc)
		return rc;
	errno = 0;
	n = strtoul(val, &end, 10);
	rc = val[0] < '0' || val[0] > '9' || *end || errno || n > UINT32_MAX ? -EBADMSG : 0;
	free(val);
	*out = (uint32_t)n;
	return rc;
}

static int read_offer(struct vchan_host *v, uint32_t *port)
{
	int rc = read_node(v, "ring-ref", &v->shared_ref);

	return rc ? rc : read_node(v, "event-channel", port);
}

/*
 * The server's two nodes, waited for while either is missing. The server
 * writes them one after the other, so a client started with its domain
 * may see neither, or only ring-ref. Any other error is final.
 */
static int await_server(struct vchan_host *v, uint32_t *port, int timeout_ms, char *err,
			size_t errlen)
{
	int rc = read_offer(v, port), wrc = 0;
	uint64_t deadline;

	if (rc != -ENOENT || timeout_ms == 0)
		goto out;
	deadline = timeout_ms < 0 ? 0 : now_ns() + (uint64_t)timeout_ms * 1000000;
	rc = xs_watch(v->ctx->xs, v->path, "vchan");
	if (rc) {
		snprintf(err, errlen, "watching %s: %s", v->path, strerror(-rc));
		return rc;
	}
	/* The watch fires once when set, then at each change below the path. */
	while ((rc = read_offer(v, port)) == -ENOENT) {
		int left = timeout_ms < 0 ? -1 : (int)((int64_t)(deadline - now_ns()) / 1000000);

		if (timeout_ms >= 0 && left <= 0) {
			wrc = -ETIMEDOUT;
			break;
		}
		wrc = xs_wait_watch(v->ctx->xs, left);
		if (wrc && wrc != -ETIMEDOUT)
			break;
	}
	xs_unwatch(v->ctx->xs, v->path, "vchan");
	if (wrc == -ETIMEDOUT && rc == -ENOENT) {
		snprintf(err, errlen, "no server at %s after %d ms (is domain %u running one?)",
			 v->path, timeout_ms, v->peer);
		return -ETIMEDOUT;
	}
	if (wrc && rc == -ENOENT) {
		snprintf(err, errlen, "waiting for %s: %s", v->path, strerror(-wrc));
		return wrc;
	}
out:
	if (rc)
		snprintf(err, errlen, "reading %s: %s", v->path, strerror(-rc));
	return rc;
}

struct vchan_host *vchan_host_client_init(struct vchan_host_ctx *ctx, uint16_t peer,
					  const char *xs_path, int timeout_ms, char *err,
					  size_t errlen)
{
	uint8_t page[PAGE] __attribute__((aligned(8)));
	struct bh_ctl_grant_copy_seg s;
	struct vchan_interface *sh = (struct vchan_interface *)page;
	struct bh_ctl_evtchn_bind b = { peer, 0 };
	struct vchan_host *v;
	uint32_t lp, rp;
	uint8_t *out = NULL;
	size_t n = 0;
	int rc;

	v = chan_new(ctx, peer, xs_path, false, err, errlen);
	if (!v)
		return NULL;
	v->ops = &client_ops;
	rc = await_server(v, &b.remote_port, timeout_ms, err, errlen);
	if (rc)
		goto fail;
	/* One copy of the page, read once: the orders and grants come from it. */
	s = seg_shared(v, 0, PAGE, false);
	if (gcopy(v, &s, 1, NULL, 0, page, PAGE)) {
		snprintf(err, errlen, "copying domain %u's ring-ref %u failed", peer, v->shared_ref);
		goto fail;
	}
	if (!vchan_layout_check(sh->left_order, sh->right_order)) {
		snprintf(err, errlen, "domain %u offers a broken layout (orders %u and %u)", peer,
			 sh->left_order, sh->right_order);
		goto fail;
	}
	v->order[0] = sh->left_order;
	v->order[1] = sh->right_order;
	lp = vchan_order_pages(v->order[0]);
	rp = vchan_order_pages(v->order[1]);
	memcpy(v->ring_ref[0], sh->grants, lp * sizeof(uint32_t));
	memcpy(v->ring_ref[1], sh->grants + lp, rp * sizeof(uint32_t));
	if (sh->srv_live != VCHAN_CONNECTED) {
		snprintf(err, errlen, "domain %u's server is not live", peer);
		goto fail;
	}
	v->rd_idx = sh->right.cons;
	v->wr_idx = sh->left.prod;
	rc = ctl_call(ctx->ctl, BH_CTL_EVTCHN_BIND, &b, sizeof(b), &out, &n);
	if (rc == 0 && n == 4)
		memcpy(&v->port, out, 4);
	free(out);
	if (rc || n != 4) {
		snprintf(err, errlen, "binding domain %u's port %u: %s", peer, b.remote_port,
			 strerror(rc ? -rc : EPROTO));
		goto fail;
	}
	/* Prove every ring page is there before saying we are. */
	for (int k = 0; k < 2; k++) {
		uint32_t size = 1u << v->order[k];

		for (uint32_t pos = 0; pos < size && !v->broken; pos += COPY_CHUNK) {
			struct bh_ctl_grant_copy_seg r[BH_GRANT_COPY_MAX_SEGS];
			uint8_t probe[COPY_CHUNK];
			uint32_t len = size - pos < COPY_CHUNK ? size - pos : COPY_CHUNK;

			gcopy(v, r, ring_segs(v, k, pos, len, false, r), NULL, 0, probe, len);
		}
	}
	if (v->broken) {
		snprintf(err, errlen, "domain %u's ring pages cannot be copied", peer);
		ctl_u32(ctx, BH_CTL_EVTCHN_CLOSE, v->port);
		goto fail;
	}
	{
		struct bh_ctl_grant_copy_seg live = seg_shared(v, offsetof(struct vchan_interface, cli_live),
							       1, true);
		uint8_t one = VCHAN_CONNECTED;

		gcopy(v, &live, 1, &one, 1, NULL, 0);
	}
	chan_link(v);
	notify(v);
	return v;
fail:
	free(v);
	return NULL;
}

/* ---- the calls ------------------------------------------------------------------------- */

int vchan_host_read(struct vchan_host *v, void *data, size_t size)
{
	return vchan_stream_read(v->ops, v, v->blocking, data, size);
}

int vchan_host_write(struct vchan_host *v, const void *data, size_t size)
{
	return vchan_stream_write(v->ops, v, v->blocking, data, size);
}

int vchan_host_recv(struct vchan_host *v, void *data, size_t size)
{
	return vchan_stream_recv(v->ops, v, v->blocking, data, size);
}

int vchan_host_send(struct vchan_host *v, const void *data, size_t size)
{
	return vchan_stream_send(v->ops, v, v->blocking, data, size);
}

int vchan_host_data_ready(struct vchan_host *v)
{
	int64_t n;

	if (v->server)
		vchan_core_request(&v->c, VCHAN_NOTIFY_WRITE);
	else
		cli_request(v, VCHAN_NOTIFY_WRITE);
	n = v->ops->ready(v, 0);
	return n < 0 ? 0 : (int)n;
}

int vchan_host_buffer_space(struct vchan_host *v)
{
	int64_t n;

	if (v->server)
		vchan_core_request(&v->c, VCHAN_NOTIFY_READ);
	else
		cli_request(v, VCHAN_NOTIFY_READ);
	n = v->ops->space(v, 0);
	return n < 0 ? 0 : (int)n;
}

int vchan_host_is_open(struct vchan_host *v)
{
	return v->ops->is_open(v);
}

void vchan_host_close(struct vchan_host *v)
{
	struct vchan_host **pp;

	for (pp = &v->ctx->chans; *pp; pp = &(*pp)->next)
		if (*pp == v) {
			*pp = v->next;
			break;
		}
	if (v->server) {
		vchan_core_set_live(&v->c, VCHAN_DISCONNECTED);
		notify(v);
		ctl_u32(v->ctx, BH_CTL_EVTCHN_CLOSE, v->port);
		xs_rm(v->ctx->xs, v->path);
		server_release(v);
	} else {
		struct bh_ctl_grant_copy_seg live = seg_shared(v, offsetof(struct vchan_interface, cli_live),
							       1, true);
		uint8_t zero = VCHAN_DISCONNECTED;

		if (!v->broken && !v->gone)
			gcopy(v, &live, 1, &zero, 1, NULL, 0);
		notify(v);
		ctl_u32(v->ctx, BH_CTL_EVTCHN_CLOSE, v->port);
	}
	free(v);
}

void vchan_host_set_blocking(struct vchan_host *v, bool blocking) { v->blocking = blocking; }
void vchan_host_set_timeout(struct vchan_host *v, int timeout_ms) { v->timeout_ms = timeout_ms; }
void vchan_host_set_spin(struct vchan_host *v, uint64_t ns) { v->spin_ns = ns; }
uint32_t vchan_host_read_size(const struct vchan_host *v)
{
	return v->ops->read_size((void *)v);
}
uint32_t vchan_host_write_size(const struct vchan_host *v)
{
	return v->ops->write_size((void *)v);
}
uint64_t vchan_host_events(const struct vchan_host *v) { return v->events; }
uint64_t vchan_host_notifies(const struct vchan_host *v) { return v->notifies; }
