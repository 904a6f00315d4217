/*
 * vchan rings: one side's view of the libxenvchan shared page
 * (xen/io/libxenvchan.h). Shared by the guest library (stubdom/kernel/vchan.c),
 * the host library for dom0 services (lib/vchan_host.c) and their tests.
 * Freestanding: it needs memcpy and nothing else.
 *
 * The page and the rings are shared with the peer, which may change any
 * byte at any moment. So, as libxenvchan keeps its own copy of the ring
 * size because it "can't trust the order in the shared page":
 * - the index this side owns (consumer on the ring it reads, producer on
 *   the ring it writes) lives in struct vchan_ring and is only ever
 *   written to the page, never read back from it;
 * - a peer index is read once per call, and its distance from ours must be
 *   at most the ring size, or the channel is broken;
 * - the ring orders and grant references are read once, when the client
 *   connects, and checked by vchan_layout_check;
 * - the peer's live byte must hold a value its role can hold.
 * A broken channel moves no more data: reads and writes return -1 and the
 * library closes it. Nothing a peer writes makes a call copy outside a ring,
 * loop, or wait longer than the caller asked.
 *
 * Left ring: the client writes, the server reads. Right ring: the server
 * writes, the client reads. Orders 10 and 11 are rings inside the shared
 * page at offsets 1024 and 2048 (at most one ring in each slot); order 12
 * and up are 2^(order-12) granted pages, listed in grants[] after the
 * header, left ring first.
 *
 * Notification, as libxenvchan: a side that wants to hear of the peer's
 * writes (or reads) sets VCHAN_NOTIFY_WRITE (READ) in the peer's byte
 * (cli_notify for a server, srv_notify for a client); the peer, after
 * writing (reading), clears the bit in its own byte and sends an event if
 * it was set. Callers lock nothing: one thread per direction and side.
 */
#ifndef BULKHEAD_VCHAN_RING_H
#define BULKHEAD_VCHAN_RING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#if __STDC_HOSTED__
#include <string.h>
#else
void *memcpy(void *d, const void *s, size_t n);
#endif

#include <xen/io/libxenvchan.h>

#define VCHAN_PAGE_SHIFT 12
#define VCHAN_PAGE_SIZE (1u << VCHAN_PAGE_SHIFT)
#define VCHAN_SMALL_ORDER 10 /* in the shared page at offset 1024 */
#define VCHAN_LARGE_ORDER 11 /* in the shared page at offset 2048 */
#define VCHAN_MAX_ORDER 20   /* libxenvchan's largest ring: 1 MiB, 256 pages */

/* libxenvchan_is_open's values, and the live bytes' */
enum {
	VCHAN_DISCONNECTED = 0,
	VCHAN_CONNECTED = 1,
	VCHAN_WAITING = 2, /* a server whose client has not connected yet */
};

struct vchan_ring {
	struct ring_shared *shr; /* in the shared page */
	uint8_t *data;           /* the ring's bytes, size of them, contiguous here */
	uint32_t size;           /* 1 << order, from our own copy of the order */
	uint32_t idx;            /* ours: cons of the ring we read, prod of the one we write */
	uint32_t avail;          /* bytes known ready (or free) at the last look */
};

struct vchan_core {
	struct vchan_interface *sh;
	struct vchan_ring rd, wr;
	bool server;
	bool broken; /* the peer wrote something impossible */
};

/* ---- layout -------------------------------------------------------------- */

/* Pages a ring of this order needs outside the shared page. */
static inline uint32_t vchan_order_pages(unsigned int order)
{
	return order >= VCHAN_PAGE_SHIFT ? 1u << (order - VCHAN_PAGE_SHIFT) : 0;
}

/*
 * Whether (left, right) orders describe a usable layout: each in
 * [10, VCHAN_MAX_ORDER], no two rings in one slot of the shared page, and
 * the grant list (left pages, then right) ending before the first in-page
 * ring. A client checks the orders the server wrote with this.
 */
static inline bool vchan_layout_check(unsigned int left, unsigned int right)
{
	size_t end = VCHAN_PAGE_SIZE, grants;

	if (left < VCHAN_SMALL_ORDER || left > VCHAN_MAX_ORDER || right < VCHAN_SMALL_ORDER ||
	    right > VCHAN_MAX_ORDER)
		return false;
	if (left == right && left < VCHAN_PAGE_SHIFT)
		return false;
	if (left == VCHAN_SMALL_ORDER || right == VCHAN_SMALL_ORDER)
		end = 1024;
	else if (left == VCHAN_LARGE_ORDER || right == VCHAN_LARGE_ORDER)
		end = 2048;
	grants = (size_t)vchan_order_pages(left) + vchan_order_pages(right);
	return sizeof(struct vchan_interface) + grants * sizeof(uint32_t) <= end;
}

/* The smallest order that holds min bytes (at least VCHAN_SMALL_ORDER); 0 if none does. */
static inline unsigned int vchan_order_for(size_t min)
{
	unsigned int o = VCHAN_SMALL_ORDER;

	while (o <= VCHAN_MAX_ORDER && ((size_t)1 << o) < min)
		o++;
	return o <= VCHAN_MAX_ORDER ? o : 0;
}

/*
 * A server's choice: the smallest rings that hold the minimums, using the
 * free slots in the shared page before granting pages, as libxenvchan
 * does; when the grant list would not fit before an in-page ring, that
 * ring grows. Of the layouts that hold both, the one with the fewest
 * granted pages, then the smallest rings. 0, or -1 when none holds them.
 */
static inline int vchan_choose_orders(size_t left_min, size_t right_min, unsigned int *left,
				      unsigned int *right)
{
	unsigned int l0 = vchan_order_for(left_min), r0 = vchan_order_for(right_min);
	unsigned int best_l = 0, best_r = 0, l, r;
	uint64_t best = UINT64_MAX;

	if (!l0 || !r0)
		return -1;
	for (l = l0; l <= VCHAN_MAX_ORDER; l++) {
		for (r = r0; r <= VCHAN_MAX_ORDER; r++) {
			uint64_t cost = ((uint64_t)(vchan_order_pages(l) + vchan_order_pages(r)) << 32) +
					(1ull << l) + (1ull << r);

			if (vchan_layout_check(l, r) && cost < best) {
				best = cost;
				best_l = l;
				best_r = r;
			}
		}
	}
	if (best == UINT64_MAX)
		return -1;
	*left = best_l;
	*right = best_r;
	return 0;
}

/* Where an in-page ring of this order sits in the shared page. */
static inline uint8_t *vchan_inpage_ring(struct vchan_interface *sh, unsigned int order)
{
	return (uint8_t *)sh + (order == VCHAN_SMALL_ORDER ? 1024 : 2048);
}

/*
 * Set up c over the shared page sh, once both rings' bytes are mapped:
 * left_data and right_data are where each ring's bytes are, contiguous.
 * The orders are the caller's own copies (checked with vchan_layout_check).
 */
static inline void vchan_core_init(struct vchan_core *c, struct vchan_interface *sh, bool server,
				   unsigned int left_order, uint8_t *left_data,
				   unsigned int right_order, uint8_t *right_data)
{
	struct vchan_ring left = { &sh->left, left_data, 1u << left_order, 0, 0 };
	struct vchan_ring right = { &sh->right, right_data, 1u << right_order, 0, 0 };

	c->sh = sh;
	c->server = server;
	c->broken = false;
	c->rd = server ? left : right;
	c->wr = server ? right : left;
	/* A server starts both rings empty; a client takes over where they stand. */
	if (server) {
		__atomic_store_n(&sh->left.prod, 0, __ATOMIC_RELAXED);
		__atomic_store_n(&sh->left.cons, 0, __ATOMIC_RELAXED);
		__atomic_store_n(&sh->right.prod, 0, __ATOMIC_RELAXED);
		__atomic_store_n(&sh->right.cons, 0, __ATOMIC_RELAXED);
	} else {
		c->rd.idx = __atomic_load_n(&c->rd.shr->cons, __ATOMIC_ACQUIRE);
		c->wr.idx = __atomic_load_n(&c->wr.shr->prod, __ATOMIC_ACQUIRE);
	}
}

/* ---- the peer's state ---------------------------------------------------- */

/*
 * VCHAN_CONNECTED, VCHAN_WAITING (a server whose client has not come) or
 * VCHAN_DISCONNECTED; a live byte that the peer's role cannot hold breaks
 * the channel. Only the client may be "not yet connected".
 */
static inline int vchan_core_peer_state(struct vchan_core *c)
{
	uint8_t live = __atomic_load_n(c->server ? &c->sh->cli_live : &c->sh->srv_live,
				       __ATOMIC_ACQUIRE);

	if (c->broken)
		return VCHAN_DISCONNECTED;
	if (live == VCHAN_CONNECTED || live == VCHAN_DISCONNECTED)
		return live;
	if (live == VCHAN_WAITING && c->server)
		return VCHAN_WAITING;
	c->broken = true;
	return VCHAN_DISCONNECTED;
}

/* Our own live byte. */
static inline void vchan_core_set_live(struct vchan_core *c, uint8_t live)
{
	__atomic_store_n(c->server ? &c->sh->srv_live : &c->sh->cli_live, live, __ATOMIC_SEQ_CST);
}

/* ---- notification -------------------------------------------------------- */

/* Ask the peer for an event when it next writes (VCHAN_NOTIFY_WRITE) or reads. */
static inline void vchan_core_request(struct vchan_core *c, uint8_t bit)
{
	__atomic_fetch_or(c->server ? &c->sh->cli_notify : &c->sh->srv_notify, bit,
			  __ATOMIC_SEQ_CST);
}

/*
 * After our write (read): whether the peer asked to hear of it. Clears the
 * request. The fence orders our index store before the load of the bit, as
 * the peer's request orders the bit before its load of our index: one of
 * the two sees the other. Only a set bit is written, so that a stream
 * nobody waits on does not bounce the cache line.
 */
static inline bool vchan_core_take_request(struct vchan_core *c, uint8_t bit)
{
	uint8_t *mine = c->server ? &c->sh->srv_notify : &c->sh->cli_notify;

	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (!(__atomic_load_n(mine, __ATOMIC_RELAXED) & bit))
		return false;
	return __atomic_fetch_and(mine, (uint8_t)~bit, __ATOMIC_SEQ_CST) & bit;
}

/* ---- data ---------------------------------------------------------------- */

/* Bytes ready to read; -1 when the channel is broken. */
static inline int64_t vchan_core_ready(struct vchan_core *c)
{
	uint32_t prod, n;

	if (c->broken)
		return -1;
	prod = __atomic_load_n(&c->rd.shr->prod, __ATOMIC_ACQUIRE);
	n = prod - c->rd.idx;
	if (n > c->rd.size) {
		c->broken = true;
		return -1;
	}
	c->rd.avail = n;
	return n;
}

/* Bytes free to write; -1 when the channel is broken. */
static inline int64_t vchan_core_space(struct vchan_core *c)
{
	uint32_t cons, used;

	if (c->broken)
		return -1;
	cons = __atomic_load_n(&c->wr.shr->cons, __ATOMIC_ACQUIRE);
	used = c->wr.idx - cons;
	if (used > c->wr.size) {
		c->broken = true;
		return -1;
	}
	c->wr.avail = c->wr.size - used;
	return c->wr.avail;
}

/*
 * The same, but without looking at the page while what we saw last time
 * covers want bytes: the peer only ever adds to it. Saves a cache miss
 * per small write or read.
 */
static inline int64_t vchan_core_ready_for(struct vchan_core *c, uint32_t want)
{
	if (!c->broken && c->rd.avail >= want && want)
		return c->rd.avail;
	return vchan_core_ready(c);
}

static inline int64_t vchan_core_space_for(struct vchan_core *c, uint32_t want)
{
	if (!c->broken && c->wr.avail >= want && want)
		return c->wr.avail;
	return vchan_core_space(c);
}

/*
 * Copy n bytes out of the read ring and release them to the peer. The
 * caller has seen at least n bytes ready (vchan_core_ready): the copy never
 * depends on the page again.
 */
static inline void vchan_core_get(struct vchan_core *c, void *buf, uint32_t n)
{
	uint32_t off = c->rd.idx & (c->rd.size - 1), first = c->rd.size - off;

	if (first > n)
		first = n;
	memcpy(buf, c->rd.data + off, first);
	memcpy((uint8_t *)buf + first, c->rd.data, n - first);
	c->rd.idx += n;
	c->rd.avail = c->rd.avail > n ? c->rd.avail - n : 0;
	__atomic_store_n(&c->rd.shr->cons, c->rd.idx, __ATOMIC_RELEASE);
}

/* Copy n bytes into the write ring and publish them. The caller has seen the space. */
static inline void vchan_core_put(struct vchan_core *c, const void *buf, uint32_t n)
{
	uint32_t off = c->wr.idx & (c->wr.size - 1), first = c->wr.size - off;

	if (first > n)
		first = n;
	memcpy(c->wr.data + off, buf, first);
	memcpy(c->wr.data, (const uint8_t *)buf + first, n - first);
	c->wr.idx += n;
	c->wr.avail = c->wr.avail > n ? c->wr.avail - n : 0;
	__atomic_store_n(&c->wr.shr->prod, c->wr.idx, __ATOMIC_RELEASE);
}

#endif
