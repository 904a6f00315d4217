/*
 * Unit tests for include/bulkhead/vchan_ring.h, the libxenvchan ring core.
 *
 * Each test builds what a server and a client would: one page-aligned
 * 4096-byte shared page, the server's core first (orders, grants, live
 * bytes, then vchan_core_init), then the client's, which reads the orders
 * back from the page, checks them and takes its indexes from it. Rings of
 * order 12 and up are separate heap buffers with guard bytes on both sides
 * (the "granted pages", which the client maps to the same bytes); rings of
 * order 10 and 11 are in the page, whose other bytes (grant list, unused
 * slot) are compared with a snapshot. Under ASan the guards and those page
 * bytes are also poisoned, so a read outside a ring fails as well as a
 * write.
 *
 * A hostile peer is the test writing the page directly; an honest one is
 * the other core.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bulkhead/vchan_ring.h"

#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/asan_interface.h>
#define POISON(p, n) ASAN_POISON_MEMORY_REGION(p, n)
#define UNPOISON(p, n) ASAN_UNPOISON_MEMORY_REGION(p, n)
#else
#define POISON(p, n) ((void)(p), (void)(n))
#define UNPOISON(p, n) ((void)(p), (void)(n))
#endif

#define HDR_SIZE sizeof(struct vchan_interface) /* 24: the grant list starts here */
#define GUARD 64u                               /* bytes each side of a granted ring */
#define CANARY 0xa5
#define MAX_RING (1u << VCHAN_MAX_ORDER)
/* The test stream: byte p of a direction is pat[(p + base) % PAT_P]; PAT_P is prime. */
#define PAT_P 1000003u
#define PAT_LEN (PAT_P + MAX_RING)
#define LEFT_BASE 0u
#define RIGHT_BASE 500000u

static uint8_t *pat; /* PAT_LEN random bytes, the first MAX_RING repeated at the end */

/* ---- helpers ------------------------------------------------------------- */

static uint64_t rng_next(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

/* 1..size, small lengths half the time so that both many wraps and big copies happen. */
static uint32_t rand_len(uint64_t *s, uint32_t size)
{
	uint64_t x = rng_next(s);
	uint32_t small = size < 64 ? size : 64;

	return 1 + (uint32_t)((x & 1 ? (x >> 8) % small : (x >> 32) % size));
}

static const uint8_t *stream(uint32_t base, uint64_t pos)
{
	return pat + (pos + base) % PAT_P;
}

/* An independent model of a valid layout: no two byte ranges of the page overlap. */
static bool layout_model(unsigned int left, unsigned int right)
{
	unsigned int orders[2] = { left, right };
	size_t lo[3], hi[3], pages = 0;
	int n = 0;

	for (int i = 0; i < 2; i++) {
		if (orders[i] < 10 || orders[i] > 20)
			return false;
		if (orders[i] >= 12) {
			pages += (size_t)1 << (orders[i] - 12);
		} else {
			lo[n] = orders[i] == 10 ? 1024 : 2048;
			hi[n] = lo[n] + ((size_t)1 << orders[i]);
			n++;
		}
	}
	lo[n] = 0;
	hi[n] = HDR_SIZE + 4 * pages;
	n++;
	for (int i = 0; i < n; i++) {
		if (hi[i] > 4096)
			return false;
		for (int j = i + 1; j < n; j++)
			if (lo[i] < hi[j] && lo[j] < hi[i])
				return false;
	}
	return true;
}

/* ---- the channel --------------------------------------------------------- */

struct chan {
	struct vchan_interface *sh;
	unsigned int order[2]; /* left, right: the server's choice */
	uint8_t *mem[2];       /* GUARD + ring + GUARD for a granted ring, else NULL */
	uint8_t *data[2];
	uint8_t snap[VCHAN_PAGE_SIZE];
	struct vchan_core srv, cli;
};

static uint32_t ring_size(const struct chan *ch, int i)
{
	return 1u << ch->order[i];
}

/* Header fields and in-page rings: the page bytes the cores may touch. */
static bool page_byte_live(const struct chan *ch, size_t off)
{
	if (off < HDR_SIZE)
		return true;
	for (int i = 0; i < 2; i++) {
		size_t start = ch->order[i] == VCHAN_SMALL_ORDER ? 1024 : 2048;

		if (ch->order[i] < VCHAN_PAGE_SHIFT && off >= start && off < start + ring_size(ch, i))
			return true;
	}
	return false;
}

static void poison_all(struct chan *ch, bool poison)
{
	uint8_t *p = (uint8_t *)ch->sh;

	for (size_t off = 0; off < VCHAN_PAGE_SIZE;) {
		size_t end = off;

		while (end < VCHAN_PAGE_SIZE && !page_byte_live(ch, end))
			end++;
		if (end > off) {
			if (poison)
				POISON(p + off, end - off);
			else
				UNPOISON(p + off, end - off);
			off = end;
		} else {
			off++;
		}
	}
	for (int i = 0; i < 2; i++) {
		if (!ch->mem[i])
			continue;
		if (poison) {
			POISON(ch->mem[i], GUARD);
			POISON(ch->data[i] + ring_size(ch, i), GUARD);
		} else {
			UNPOISON(ch->mem[i], GUARD);
			UNPOISON(ch->data[i] + ring_size(ch, i), GUARD);
		}
	}
}

/* Every byte around the rings as it was when the channel was set up. */
static void check_canaries(struct chan *ch)
{
	const uint8_t *p = (const uint8_t *)ch->sh;
	unsigned int bad = 0;

	poison_all(ch, false);
	for (size_t off = 0; off < VCHAN_PAGE_SIZE; off++)
		if (!page_byte_live(ch, off) && p[off] != ch->snap[off])
			bad++;
	for (int i = 0; i < 2; i++) {
		if (!ch->mem[i])
			continue;
		for (unsigned int j = 0; j < GUARD; j++)
			bad += (ch->mem[i][j] != CANARY) +
			       (ch->data[i][ring_size(ch, i) + j] != CANARY);
	}
	poison_all(ch, true);
	assert_int_equal(bad, 0);
}

/* The server: page, orders, grants, rings, its core, live bytes. */
static void chan_open_server(struct chan *ch, unsigned int lo, unsigned int ro)
{
	uint32_t ngrants, ref;

	memset(ch, 0, sizeof(*ch));
	assert_true(vchan_layout_check(lo, ro));
	ch->sh = aligned_alloc(VCHAN_PAGE_SIZE, VCHAN_PAGE_SIZE);
	assert_non_null(ch->sh);
	memset(ch->sh, CANARY, VCHAN_PAGE_SIZE);
	ch->order[0] = lo;
	ch->order[1] = ro;
	ch->sh->left_order = (uint16_t)lo;
	ch->sh->right_order = (uint16_t)ro;
	ngrants = vchan_order_pages(lo) + vchan_order_pages(ro);
	for (uint32_t i = 0; i < ngrants; i++) {
		ref = 0x1000 + i;
		memcpy((uint8_t *)ch->sh + HDR_SIZE + 4 * i, &ref, 4);
	}
	for (int i = 0; i < 2; i++) {
		uint32_t size = ring_size(ch, i);

		if (ch->order[i] < VCHAN_PAGE_SHIFT) {
			ch->data[i] = (uint8_t *)ch->sh + (ch->order[i] == 10 ? 1024 : 2048);
			assert_ptr_equal(vchan_inpage_ring(ch->sh, ch->order[i]), ch->data[i]);
		} else {
			ch->mem[i] = malloc(size + 2 * GUARD);
			assert_non_null(ch->mem[i]);
			memset(ch->mem[i], CANARY, size + 2 * GUARD);
			ch->data[i] = ch->mem[i] + GUARD;
		}
		memset(ch->data[i], 0, size);
	}
	ch->sh->cli_notify = 0;
	ch->sh->srv_notify = 0;
	ch->sh->cli_live = VCHAN_WAITING;
	vchan_core_init(&ch->srv, ch->sh, true, lo, ch->data[0], ro, ch->data[1]);
	vchan_core_set_live(&ch->srv, VCHAN_CONNECTED);
	/* Both rings empty, whatever the page held before. */
	assert_int_equal(ch->sh->left.prod, 0);
	assert_int_equal(ch->sh->left.cons, 0);
	assert_int_equal(ch->sh->right.prod, 0);
	assert_int_equal(ch->sh->right.cons, 0);
	assert_int_equal(ch->srv.rd.idx, 0);
	assert_int_equal(ch->srv.wr.idx, 0);
	assert_false(ch->srv.broken);
	memcpy(ch->snap, ch->sh, VCHAN_PAGE_SIZE);
	poison_all(ch, true);
}

/* Both rings' indexes at start, in the page and in the server's core. */
static void chan_set_start(struct chan *ch, uint32_t start)
{
	ch->sh->left.prod = ch->sh->left.cons = start;
	ch->sh->right.prod = ch->sh->right.cons = start;
	ch->srv.rd.idx = ch->srv.wr.idx = start;
}

/* The client: orders from the page, checked, its mappings, its core. */
static void chan_connect_client(struct chan *ch)
{
	unsigned int lo = ch->sh->left_order, ro = ch->sh->right_order;
	uint8_t *ld, *rd;

	assert_true(vchan_layout_check(lo, ro));
	/* A granted ring maps to the server's bytes; an in-page one is where the order says. */
	ld = lo < VCHAN_PAGE_SHIFT ? vchan_inpage_ring(ch->sh, lo) : ch->data[0];
	rd = ro < VCHAN_PAGE_SHIFT ? vchan_inpage_ring(ch->sh, ro) : ch->data[1];
	assert_ptr_equal(ld, ch->data[0]);
	assert_ptr_equal(rd, ch->data[1]);
	vchan_core_init(&ch->cli, ch->sh, false, lo, ld, ro, rd);
	vchan_core_set_live(&ch->cli, VCHAN_CONNECTED);
}

static struct chan *chan_open(unsigned int lo, unsigned int ro, uint32_t start)
{
	struct chan *ch = malloc(sizeof(*ch));

	assert_non_null(ch);
	chan_open_server(ch, lo, ro);
	chan_set_start(ch, start);
	chan_connect_client(ch);
	return ch;
}

static void chan_close(struct chan *ch)
{
	check_canaries(ch);
	poison_all(ch, false);
	free(ch->mem[0]);
	free(ch->mem[1]);
	free(ch->sh);
	free(ch);
}

/* The page's copy of the ring a side reads, and of the one it writes. */
static struct ring_shared *rd_shared(struct chan *ch, bool server)
{
	return server ? &ch->sh->left : &ch->sh->right;
}

static struct ring_shared *wr_shared(struct chan *ch, bool server)
{
	return server ? &ch->sh->right : &ch->sh->left;
}

static struct vchan_core *core(struct chan *ch, bool server)
{
	return server ? &ch->srv : &ch->cli;
}

/* The ring bytes a side reads (writes), and their size, from the test's own layout. */
static uint8_t *rd_data(struct chan *ch, bool server)
{
	return ch->data[server ? 0 : 1];
}

static uint32_t rd_size(struct chan *ch, bool server)
{
	return ring_size(ch, server ? 0 : 1);
}

static uint8_t *wr_data(struct chan *ch, bool server)
{
	return ch->data[server ? 1 : 0];
}

static uint32_t wr_size(struct chan *ch, bool server)
{
	return ring_size(ch, server ? 1 : 0);
}

/* Fill the ring a side reads with the stream from position 0 at ring offset 0. */
static void fill_rd_ring(struct chan *ch, bool server)
{
	memcpy(rd_data(ch, server), stream(RIGHT_BASE, 0), rd_size(ch, server));
}

/*
 * Read n bytes into an exact-size heap buffer and check they are the ring's
 * bytes from our index on, wrapping at the ring's end.
 */
static void get_and_check(struct chan *ch, bool server, uint32_t n)
{
	struct vchan_core *c = core(ch, server);
	uint32_t idx = c->rd.idx, size = rd_size(ch, server);
	const uint8_t *ring = rd_data(ch, server);
	uint8_t *buf = malloc(n ? n : 1);
	unsigned int bad = 0;

	assert_non_null(buf);
	vchan_core_get(c, buf, n);
	for (uint32_t i = 0; i < n; i++)
		bad += buf[i] != ring[(idx + i) & (size - 1)];
	free(buf);
	assert_int_equal(bad, 0);
	assert_int_equal(c->rd.idx, idx + n);
	assert_int_equal(rd_shared(ch, server)->cons, idx + n);
}

/* Write n stream bytes and check they landed from our index on, wrapping. */
static void put_and_check(struct chan *ch, bool server, uint32_t n)
{
	struct vchan_core *c = core(ch, server);
	uint32_t idx = c->wr.idx, size = wr_size(ch, server);
	const uint8_t *ring = wr_data(ch, server);
	const uint8_t *src = stream(LEFT_BASE, idx);
	unsigned int bad = 0;

	vchan_core_put(c, src, n);
	for (uint32_t i = 0; i < n; i++)
		bad += ring[(idx + i) & (size - 1)] != src[i];
	assert_int_equal(bad, 0);
	assert_int_equal(c->wr.idx, idx + n);
	assert_int_equal(wr_shared(ch, server)->prod, idx + n);
}

/*
 * c is broken: nothing moves, and sane values in the page do not mend it.
 * Our indexes are where they were.
 */
static void expect_broken(struct chan *ch, bool server)
{
	struct vchan_core *c = core(ch, server);
	uint32_t rd_idx = c->rd.idx, wr_idx = c->wr.idx;

	assert_true(c->broken);
	assert_int_equal(vchan_core_ready(c), -1);
	assert_int_equal(vchan_core_space(c), -1);
	assert_int_equal(vchan_core_peer_state(c), VCHAN_DISCONNECTED);

	rd_shared(ch, server)->prod = rd_idx + 1;
	rd_shared(ch, server)->cons = rd_idx;
	wr_shared(ch, server)->cons = wr_idx;
	wr_shared(ch, server)->prod = wr_idx;
	if (server)
		ch->sh->cli_live = VCHAN_CONNECTED;
	else
		ch->sh->srv_live = VCHAN_CONNECTED;
	assert_int_equal(vchan_core_ready(c), -1);
	assert_int_equal(vchan_core_space(c), -1);
	assert_int_equal(vchan_core_ready_for(c, 1), -1);
	assert_int_equal(vchan_core_space_for(c, 1), -1);
	assert_int_equal(vchan_core_peer_state(c), VCHAN_DISCONNECTED);
	assert_int_equal(c->rd.idx, rd_idx);
	assert_int_equal(c->wr.idx, wr_idx);
	check_canaries(ch);
}

static const unsigned int hostile_layouts[][2] = {
	{ 10, 11 }, { 11, 10 }, { 12, 12 }, { 10, 16 }, { 16, 11 },
};
#define N_HOSTILE_LAYOUTS (sizeof(hostile_layouts) / sizeof(hostile_layouts[0]))
/* Starting indexes: 0, just below 2^32 (the first pass wraps them), just below 2^31. */
static const uint32_t starts[] = { 0, UINT32_MAX - 5, 0x80000000u - 3 };
#define N_STARTS (sizeof(starts) / sizeof(starts[0]))

/* ---- layout -------------------------------------------------------------- */

static void test_layout_check_table(void **state)
{
	static const struct {
		unsigned int l, r;
		bool ok;
	} cases[] = {
		/* both rings in the page, one in each slot */
		{ 10, 11, true }, { 11, 10, true },
		{ 10, 10, false }, { 11, 11, false },
		/* one in the page: with order 10, grants end by 1024 (at most 250) */
		{ 10, 12, true }, { 12, 10, true }, { 10, 19, true }, { 19, 10, true },
		{ 10, 20, false }, { 20, 10, false },
		/* with order 11, grants end by 2048 (at most 506) */
		{ 11, 12, true }, { 12, 11, true }, { 11, 20, true }, { 20, 11, true },
		/* both granted: grants end by 4096 (at most 1018) */
		{ 12, 12, true }, { 16, 16, true }, { 12, 20, true }, { 20, 20, true },
		/* orders out of range */
		{ 9, 11, false }, { 11, 9, false }, { 0, 12, false }, { 12, 0, false },
		{ 21, 12, false }, { 12, 21, false }, { 21, 21, false }, { 9, 9, false },
		{ 65535, 10, false }, { 10, 65535, false }, { 0xffffffffu, 12, false },
		{ 12, 0xffffffffu, false }, { 32, 12, false }, { 12, 44, false },
	};
	(void)state;

	/*
	 * The grant list ends at 24 + 4 * pages, and pages come in powers of
	 * two: next to the 1024 limit (an order-10 ring in the page) lists end
	 * at 536 (an order-19 ring: accepted) and 1048 (order 20: refused);
	 * next to 2048 (order 11) at most at 1048; next to 4096 (no ring in the
	 * page) at most at 2072, so any two granted rings fit.
	 */
	assert_int_equal(HDR_SIZE, 24);
	assert_int_equal(vchan_order_pages(10), 0);
	assert_int_equal(vchan_order_pages(11), 0);
	assert_int_equal(vchan_order_pages(12), 1);
	assert_int_equal(vchan_order_pages(20), 256);

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		if (vchan_layout_check(cases[i].l, cases[i].r) != cases[i].ok)
			fail_msg("vchan_layout_check(%u, %u) should be %d", cases[i].l, cases[i].r,
				 cases[i].ok);
	}
}

/* Every pair of orders 0..40 against the overlap model. */
static void test_layout_check_model(void **state)
{
	unsigned int accepted = 0;
	(void)state;

	for (unsigned int l = 0; l <= 40; l++) {
		for (unsigned int r = 0; r <= 40; r++) {
			bool ok = vchan_layout_check(l, r);

			if (ok != layout_model(l, r))
				fail_msg("vchan_layout_check(%u, %u) = %d, model says %d", l, r, ok,
					 !ok);
			accepted += ok;
		}
	}
	/* 11 x 11 pairs in range, less (10,10), (11,11), (10,20) and (20,10). */
	assert_int_equal(accepted, 11 * 11 - 4);
}

static const size_t mins[] = {
	0, 1, 1023, 1024, 1025, 2047, 2048, 2049, 4095, 4096, 4097, 65536, 65537,
	1u << 19, (1u << 19) + 1, 1u << 20, (1u << 20) + 1, SIZE_MAX,
};
#define N_MINS (sizeof(mins) / sizeof(mins[0]))

static bool holds(unsigned int l, unsigned int r, size_t lmin, size_t rmin)
{
	return ((size_t)1 << l) >= lmin && ((size_t)1 << r) >= rmin;
}

static bool some_layout_holds(size_t lmin, size_t rmin)
{
	for (unsigned int l = 10; l <= 20; l++)
		for (unsigned int r = 10; r <= 20; r++)
			if (layout_model(l, r) && holds(l, r, lmin, rmin))
				return true;
	return false;
}

static void test_choose_orders_table(void **state)
{
	static const struct {
		size_t lmin, rmin;
		int rc;
		unsigned int l, r;
	} cases[] = {
		{ 0, 0, 0, 10, 11 },
		{ 1024, 1024, 0, 10, 11 },
		{ 1025, 0, 0, 11, 10 },
		{ 0, 1025, 0, 10, 11 },
		{ 1025, 1025, 0, 11, 12 },
		{ 2048, 2048, 0, 11, 12 },
		{ 2049, 2048, 0, 12, 11 },
		{ 4096, 4096, 0, 12, 12 },
		{ 4096, 0, 0, 12, 10 },
		{ 65536, 1024, 0, 16, 10 },
		{ 65536, 65536, 0, 16, 16 },
		{ 65537, 65536, 0, 17, 16 },
		{ 1u << 19, 0, 0, 19, 10 },
		{ 1u << 20, 2048, 0, 20, 11 },
		{ 1u << 20, 1u << 20, 0, 20, 20 },
		{ (1u << 20) + 1, 0, -1, 0, 0 },
		{ 0, (1u << 20) + 1, -1, 0, 0 },
		{ (1u << 20) + 1, (1u << 20) + 1, -1, 0, 0 },
		{ SIZE_MAX, 0, -1, 0, 0 },
	};
	(void)state;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		unsigned int l = 99, r = 99;
		int rc = vchan_choose_orders(cases[i].lmin, cases[i].rmin, &l, &r);

		if (rc != cases[i].rc)
			fail_msg("choose(%zu, %zu) = %d, expected %d", cases[i].lmin, cases[i].rmin,
				 rc, cases[i].rc);
		if (rc == 0 && (l != cases[i].l || r != cases[i].r))
			fail_msg("choose(%zu, %zu) = (%u, %u), expected (%u, %u)", cases[i].lmin,
				 cases[i].rmin, l, r, cases[i].l, cases[i].r);
		if (rc != 0 && (l != 99 || r != 99))
			fail_msg("choose(%zu, %zu) failed but wrote (%u, %u)", cases[i].lmin,
				 cases[i].rmin, l, r);
	}
}

/*
 * Whatever it chooses is a valid layout that holds both minimums, and no
 * valid layout is smaller in one ring without being bigger in the other.
 */
static void test_choose_orders_sound(void **state)
{
	(void)state;

	for (size_t i = 0; i < N_MINS; i++) {
		for (size_t j = 0; j < N_MINS; j++) {
			unsigned int l = 99, r = 99;
			int rc = vchan_choose_orders(mins[i], mins[j], &l, &r);

			if (rc != 0) {
				assert_int_equal(rc, -1);
				assert_int_equal(l, 99);
				assert_int_equal(r, 99);
				continue;
			}
			if (!vchan_layout_check(l, r) || !layout_model(l, r) ||
			    !holds(l, r, mins[i], mins[j]))
				fail_msg("choose(%zu, %zu) = (%u, %u): invalid or too small", mins[i],
					 mins[j], l, r);
			for (unsigned int l2 = 10; l2 <= l; l2++)
				for (unsigned int r2 = 10; r2 <= r; r2++)
					if ((l2 != l || r2 != r) && layout_model(l2, r2) &&
					    holds(l2, r2, mins[i], mins[j]))
						fail_msg("choose(%zu, %zu) = (%u, %u), but (%u, %u) "
							 "is smaller",
							 mins[i], mins[j], l, r, l2, r2);
		}
	}
}

/*
 * "-1 when no layout holds them": it fails only when no valid layout would
 * do. Every pair that goes wrong is listed before the test fails.
 */
static void test_choose_orders_complete(void **state)
{
	unsigned int wrong = 0;
	(void)state;

	for (size_t i = 0; i < N_MINS; i++) {
		for (size_t j = 0; j < N_MINS; j++) {
			unsigned int l, r;
			int rc = vchan_choose_orders(mins[i], mins[j], &l, &r);
			bool exists = some_layout_holds(mins[i], mins[j]);

			if ((rc == 0) != exists) {
				print_error("choose(%zu, %zu) = %d, but a layout that holds them %s\n",
					    mins[i], mins[j], rc, exists ? "exists" : "does not exist");
				wrong++;
			}
		}
	}
	assert_int_equal(wrong, 0);
}

/* ---- data ---------------------------------------------------------------- */

struct flow {
	struct vchan_core *w, *r;
	uint32_t base; /* stream */
	uint64_t put, got;
};

/*
 * Random writes and reads in both directions, single-threaded, checking
 * ready and space exactly against what went through, and every byte.
 */
static void run_integrity(unsigned int lo, unsigned int ro, uint32_t start, uint64_t seed,
			  unsigned int ops)
{
	struct chan *ch = chan_open(lo, ro, start);
	struct flow flows[2] = {
		{ &ch->cli, &ch->srv, LEFT_BASE, 0, 0 },  /* left: client to server */
		{ &ch->srv, &ch->cli, RIGHT_BASE, 0, 0 }, /* right: server to client */
	};
	uint32_t sizes[2] = { 1u << lo, 1u << ro };
	uint8_t *buf = malloc(MAX_RING + GUARD);
	uint64_t s = seed;

	assert_non_null(buf);
	for (unsigned int op = 0; op < ops; op++) {
		uint64_t x = rng_next(&s);
		int d = (int)(x & 1);
		struct flow *f = &flows[d];
		uint32_t size = sizes[d], n = rand_len(&s, size);
		uint32_t queued = (uint32_t)(f->put - f->got);

		if (x & 2) {
			int64_t space = vchan_core_space(f->w);

			assert_int_equal(space, size - queued);
			if (n > space)
				n = (uint32_t)space;
			if (!n)
				continue;
			vchan_core_put(f->w, stream(f->base, f->put), n);
			f->put += n;
			assert_int_equal(f->w->wr.idx, (uint32_t)(start + f->put));
			assert_int_equal(f->w->wr.shr->prod, f->w->wr.idx);
		} else {
			int64_t ready = vchan_core_ready(f->r);

			assert_int_equal(ready, queued);
			if (n > ready)
				n = (uint32_t)ready;
			if (!n)
				continue;
			memset(buf + n, CANARY, GUARD);
			vchan_core_get(f->r, buf, n);
			if (memcmp(buf, stream(f->base, f->got), n) != 0)
				fail_msg("orders (%u, %u) start %#x: %s bytes %llu..+%u differ", lo, ro,
					 start, d ? "right" : "left", (unsigned long long)f->got, n);
			for (uint32_t i = 0; i < GUARD; i++)
				assert_int_equal(buf[n + i], CANARY);
			f->got += n;
			assert_int_equal(f->r->rd.idx, (uint32_t)(start + f->got));
			assert_int_equal(f->r->rd.shr->cons, f->r->rd.idx);
		}
	}
	for (int d = 0; d < 2; d++) {
		/* Each ring went round many times, and its indexes through 2^32 if they started near it. */
		assert_true(flows[d].got >= 8ull * sizes[d]);
		if (start > UINT32_MAX - MAX_RING)
			assert_true(start + flows[d].got > UINT32_MAX);
		assert_false(flows[d].w->broken);
		assert_false(flows[d].r->broken);
	}
	free(buf);
	chan_close(ch);
}

static void test_integrity_inpage(void **state)
{
	(void)state;
	run_integrity(10, 11, UINT32_MAX - 1000, 1, 40000);
	run_integrity(11, 10, UINT32_MAX - 1000, 2, 40000);
	run_integrity(10, 11, 0, 3, 20000);
}

static void test_integrity_granted(void **state)
{
	(void)state;
	run_integrity(12, 12, UINT32_MAX - 1000, 4, 40000);
	run_integrity(12, 12, 0, 5, 20000);
	run_integrity(16, 16, UINT32_MAX - 70000, 6, 40000);
}

static void test_integrity_mixed(void **state)
{
	(void)state;
	run_integrity(10, 16, UINT32_MAX - 1, 7, 30000);
	run_integrity(16, 11, UINT32_MAX, 8, 30000);
	run_integrity(12, 10, 0x7fffff00u, 9, 30000);
}

struct thread_side {
	struct vchan_core *c;
	uint32_t wbase, rbase;
	uint64_t total, seed;
	unsigned int errors;
};

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* One side of a concurrent exchange: write and read total bytes each way. */
static void *thread_side_run(void *arg)
{
	struct thread_side *t = arg;
	uint64_t put = 0, got = 0, s = t->seed;
	uint8_t *buf = malloc(MAX_RING);
	double deadline = now() + 60;

	if (!buf) {
		t->errors++;
		return NULL;
	}
	while ((put < t->total || got < t->total) && !t->errors) {
		int64_t space = vchan_core_space(t->c), ready = vchan_core_ready(t->c);
		uint32_t n;

		if (space < 0 || ready < 0 || now() > deadline) {
			t->errors++;
			break;
		}
		n = rand_len(&s, t->c->wr.size);
		if (n > space)
			n = (uint32_t)space;
		if (n > t->total - put)
			n = (uint32_t)(t->total - put);
		if (n) {
			vchan_core_put(t->c, stream(t->wbase, put), n);
			put += n;
		}
		n = rand_len(&s, t->c->rd.size);
		if (n > ready)
			n = (uint32_t)ready;
		if (n) {
			vchan_core_get(t->c, buf, n);
			if (memcmp(buf, stream(t->rbase, got), n) != 0)
				t->errors++;
			got += n;
		}
	}
	free(buf);
	return NULL;
}

/* Both cores in their own threads, as in real use: acquire/release pairs hold. */
static void test_integrity_threads(void **state)
{
	struct chan *ch = chan_open(12, 10, UINT32_MAX - 100);
	struct thread_side srv = { &ch->srv, RIGHT_BASE, LEFT_BASE, 4u << 20, 11, 0 };
	struct thread_side cli = { &ch->cli, LEFT_BASE, RIGHT_BASE, 4u << 20, 12, 0 };
	pthread_t th;
	(void)state;

	assert_int_equal(pthread_create(&th, NULL, thread_side_run, &srv), 0);
	thread_side_run(&cli);
	assert_int_equal(pthread_join(th, NULL), 0);
	assert_int_equal(srv.errors, 0);
	assert_int_equal(cli.errors, 0);
	assert_int_equal(ch->srv.rd.idx, (uint32_t)(UINT32_MAX - 100 + (4u << 20)));
	assert_int_equal(ch->cli.rd.idx, (uint32_t)(UINT32_MAX - 100 + (4u << 20)));
	chan_close(ch);
}

/*
 * ready_for/space_for may answer from what the last look at the page saw,
 * less what moved since, while that covers the length asked for: never
 * more than that, and a look when it does not cover it, or for 0.
 */
static void test_ready_for_space_for(void **state)
{
	(void)state;

	for (int server = 0; server < 2; server++) {
		struct chan *ch = chan_open(12, 11, UINT32_MAX - 10);
		struct vchan_core *c = core(ch, server), *peer = core(ch, !server);
		uint32_t size = rd_size(ch, server);
		uint8_t scratch[100];
		int64_t r;

		assert_int_equal(vchan_core_ready_for(c, 1), 0);
		/* Free space seen, so that only the broken flag can stop space_for below. */
		assert_int_equal(vchan_core_space_for(c, 1), wr_size(ch, server));
		vchan_core_put(peer, stream(RIGHT_BASE, 0), 100);
		assert_int_equal(vchan_core_ready_for(c, 50), 100);
		get_and_check(ch, server, 60);
		vchan_core_put(peer, stream(RIGHT_BASE, 100), 10);
		r = vchan_core_ready_for(c, 40);
		assert_true(r == 40 || r == 50);
		assert_int_equal(vchan_core_ready_for(c, 41), 50);
		vchan_core_put(peer, stream(RIGHT_BASE, 110), 5);
		assert_int_equal(vchan_core_ready_for(c, 0), 55);
		get_and_check(ch, server, 55);
		assert_int_equal(vchan_core_ready_for(c, 1), 0);

		/* A hostile index is caught at the next look. */
		vchan_core_put(peer, stream(RIGHT_BASE, 115), 30);
		assert_int_equal(vchan_core_ready(c), 30);
		rd_shared(ch, server)->prod = c->rd.idx + size + 1;
		r = vchan_core_ready_for(c, 30);
		assert_true(r == 30 || r == -1);
		assert_int_equal(vchan_core_ready_for(c, 31), -1);
		assert_int_equal(vchan_core_ready_for(c, 1), -1);
		assert_int_equal(vchan_core_space_for(c, 1), -1);
		expect_broken(ch, server);
		chan_close(ch);

		ch = chan_open(12, 11, UINT32_MAX - 10);
		c = core(ch, server);
		peer = core(ch, !server);
		size = wr_size(ch, server);
		assert_int_equal(vchan_core_space_for(c, 1), size);
		/* Data seen, so that only the broken flag can stop ready_for below. */
		vchan_core_put(peer, stream(RIGHT_BASE, 0), 3);
		assert_int_equal(vchan_core_ready_for(c, 1), 3);
		put_and_check(ch, server, 100);
		assert_int_equal(vchan_core_ready(peer), 100);
		vchan_core_get(peer, scratch, 100);
		r = vchan_core_space_for(c, size - 100);
		assert_true(r == size - 100 || r == size);
		assert_int_equal(vchan_core_space_for(c, size - 99), size);
		put_and_check(ch, server, size);
		assert_int_equal(vchan_core_space_for(c, 1), 0);
		wr_shared(ch, server)->cons = c->wr.idx + 1;
		assert_int_equal(vchan_core_space_for(c, 0), -1);
		assert_int_equal(vchan_core_space_for(c, 1), -1);
		assert_int_equal(vchan_core_ready_for(c, 1), -1);
		expect_broken(ch, server);
		chan_close(ch);
	}
}

/* ---- a hostile peer ------------------------------------------------------ */

/*
 * The peer sets the producer index of the ring we read to our consumer
 * index + delta, delta = mult * ring size + add (mod 2^32): up to the ring
 * size is data we may read (and we read it all first, from wherever our
 * index is), beyond it the channel breaks.
 */
static void hostile_prod(uint32_t mult, uint32_t add, bool breaks)
{
	for (size_t li = 0; li < N_HOSTILE_LAYOUTS; li++) {
		for (size_t si = 0; si < N_STARTS; si++) {
			for (int server = 0; server < 2; server++) {
				struct chan *ch = chan_open(hostile_layouts[li][0],
							    hostile_layouts[li][1], starts[si]);
				struct vchan_core *c = core(ch, server);
				uint32_t size = rd_size(ch, server), delta = mult * size + add;

				fill_rd_ring(ch, server);
				/* Move off offset 0 first, so a full read wraps. */
				rd_shared(ch, server)->prod = c->rd.idx + 7;
				assert_int_equal(vchan_core_ready(c), 7);
				get_and_check(ch, server, 7);
				/* At the limit: a full ring, read whole. */
				rd_shared(ch, server)->prod = c->rd.idx + size;
				assert_int_equal(vchan_core_ready(c), size);
				get_and_check(ch, server, size);
				check_canaries(ch);

				rd_shared(ch, server)->prod = c->rd.idx + delta;
				if (!breaks) {
					assert_int_equal(vchan_core_ready(c), delta);
					assert_false(c->broken);
				} else {
					assert_int_equal(vchan_core_ready(c), -1);
					expect_broken(ch, server);
				}
				chan_close(ch);
			}
		}
	}
}

static void test_hostile_prod_beyond_size(void **state)
{
	(void)state;
	hostile_prod(0, 0, false);
	hostile_prod(0, 1, false);
	hostile_prod(1, 0u - 1, false);
	hostile_prod(1, 0, false);
	hostile_prod(1, 1, true);
	hostile_prod(2, 0, true);
	hostile_prod(0, 0x7fffffffu, true);
}

static void test_hostile_prod_behind_cons(void **state)
{
	(void)state;
	hostile_prod(0, 0u - 1, true); /* one behind */
	hostile_prod(0u - 1, 0, true);
	hostile_prod(0u - 1, 0u - 1, true);
	hostile_prod(0, 0x80000000u, true);
}

/* The exact limit for each ring, whatever its size. */
static void test_hostile_prod_limit_each_size(void **state)
{
	static const unsigned int layouts[][2] = { { 10, 11 }, { 11, 10 }, { 12, 13 }, { 20, 20 } };
	(void)state;

	for (size_t li = 0; li < sizeof(layouts) / sizeof(layouts[0]); li++) {
		for (int server = 0; server < 2; server++) {
			for (int over = 0; over < 2; over++) {
				struct chan *ch = chan_open(layouts[li][0], layouts[li][1], UINT32_MAX);
				struct vchan_core *c = core(ch, server);
				uint32_t size = rd_size(ch, server);

				rd_shared(ch, server)->prod = c->rd.idx + size + (uint32_t)over;
				if (over) {
					assert_int_equal(vchan_core_ready(c), -1);
					expect_broken(ch, server);
				} else {
					assert_int_equal(vchan_core_ready(c), size);
					fill_rd_ring(ch, server);
					get_and_check(ch, server, size);
					assert_int_equal(vchan_core_ready(c), 0);
				}
				chan_close(ch);
			}
		}
	}
}

/*
 * The peer sets the consumer index of the ring we write to our producer
 * index - behind, behind = mult * ring size + add (mod 2^32): from 0 to the
 * ring size behind is room we may fill (and we fill it all first), ahead of
 * us or further behind breaks the channel.
 */
static void hostile_cons(uint32_t mult, uint32_t add, bool breaks)
{
	for (size_t li = 0; li < N_HOSTILE_LAYOUTS; li++) {
		for (size_t si = 0; si < N_STARTS; si++) {
			for (int server = 0; server < 2; server++) {
				struct chan *ch = chan_open(hostile_layouts[li][0],
							    hostile_layouts[li][1], starts[si]);
				struct vchan_core *c = core(ch, server);
				uint32_t size = wr_size(ch, server), behind = mult * size + add;

				assert_int_equal(vchan_core_space(c), size);
				put_and_check(ch, server, 5);
				assert_int_equal(vchan_core_space(c), size - 5);
				/* The peer read it: the whole ring is free, from offset 5. */
				wr_shared(ch, server)->cons = c->wr.idx;
				assert_int_equal(vchan_core_space(c), size);
				put_and_check(ch, server, size);
				assert_int_equal(vchan_core_space(c), 0);
				check_canaries(ch);

				wr_shared(ch, server)->cons = c->wr.idx - behind;
				if (!breaks) {
					assert_int_equal(vchan_core_space(c), size - behind);
					assert_false(c->broken);
				} else {
					assert_int_equal(vchan_core_space(c), -1);
					expect_broken(ch, server);
				}
				chan_close(ch);
			}
		}
	}
}

static void test_hostile_cons_ahead_of_prod(void **state)
{
	(void)state;
	hostile_cons(0, 0, false);
	hostile_cons(0, 0u - 1, true); /* one ahead of what we produced */
	hostile_cons(0u - 1, 0, true);
	hostile_cons(0, 0x80000000u, true);
}

static void test_hostile_cons_far_behind(void **state)
{
	(void)state;
	hostile_cons(0, 1, false);
	hostile_cons(1, 0u - 1, false);
	hostile_cons(1, 0, false); /* a full ring: space 0 */
	hostile_cons(1, 1, true);
	hostile_cons(2, 0, true);
	hostile_cons(0, 0x7fffffffu, true);
}

/* The exact space limit for each ring size. */
static void test_hostile_cons_limit_each_size(void **state)
{
	static const unsigned int layouts[][2] = { { 10, 11 }, { 11, 10 }, { 13, 12 }, { 20, 20 } };
	(void)state;

	for (size_t li = 0; li < sizeof(layouts) / sizeof(layouts[0]); li++) {
		for (int server = 0; server < 2; server++) {
			for (int over = 0; over < 2; over++) {
				struct chan *ch = chan_open(layouts[li][0], layouts[li][1], 3);
				struct vchan_core *c = core(ch, server);
				uint32_t size = wr_size(ch, server);

				wr_shared(ch, server)->cons = c->wr.idx - size - (uint32_t)over;
				if (over) {
					assert_int_equal(vchan_core_space(c), -1);
					expect_broken(ch, server);
				} else {
					assert_int_equal(vchan_core_space(c), 0);
				}
				chan_close(ch);
			}
		}
	}
}

/*
 * The peer rewrites the indexes we own in the page (the consumer index of
 * the ring we read, the producer index of the one we write): we go on from
 * our private copies and put them back with our next get/put.
 */
static void test_peer_moves_our_index(void **state)
{
	static const uint32_t junk[] = { 1, 50, 0x80000000u, UINT32_MAX, 0u - 1024 };
	(void)state;

	for (size_t li = 0; li < N_HOSTILE_LAYOUTS; li++) {
		for (int server = 0; server < 2; server++) {
			struct chan *ch = chan_open(hostile_layouts[li][0], hostile_layouts[li][1],
						    UINT32_MAX - 60);
			struct vchan_core *c = core(ch, server), *peer = core(ch, !server);
			uint32_t r0 = c->rd.idx, w0 = c->wr.idx;
			uint32_t wsize = wr_size(ch, server);

			/* The honest peer writes 100 bytes; then moves our consumer index. */
			vchan_core_put(peer, stream(RIGHT_BASE, 0), 100);
			for (size_t j = 0; j < sizeof(junk) / sizeof(junk[0]); j++) {
				rd_shared(ch, server)->cons = r0 + junk[j];
				assert_int_equal(vchan_core_ready(c), 100);
				assert_int_equal(c->rd.idx, r0);
			}
			get_and_check(ch, server, 60);
			assert_int_equal(rd_shared(ch, server)->cons, r0 + 60);
			rd_shared(ch, server)->cons = r0;
			assert_int_equal(vchan_core_ready(c), 40);
			get_and_check(ch, server, 40);
			assert_int_equal(rd_shared(ch, server)->cons, r0 + 100);
			/* The honest peer sees the bytes consumed, from the page. */
			assert_int_equal(vchan_core_space(peer), rd_size(ch, server));

			/* Our producer index: space still from our copy. */
			for (size_t j = 0; j < sizeof(junk) / sizeof(junk[0]); j++) {
				wr_shared(ch, server)->prod = w0 + junk[j];
				assert_int_equal(vchan_core_space(c), wsize);
				assert_int_equal(c->wr.idx, w0);
			}
			put_and_check(ch, server, 10);
			assert_int_equal(wr_shared(ch, server)->prod, w0 + 10);
			assert_int_equal(vchan_core_ready(peer), 10);
			assert_int_equal(vchan_core_space(c), wsize - 10);
			assert_false(c->broken);
			assert_false(peer->broken);
			chan_close(ch);
		}
	}
}

/* A server that hands a client impossible indexes before it connects. */
static void test_hostile_client_init(void **state)
{
	(void)state;

	for (size_t li = 0; li < N_HOSTILE_LAYOUTS; li++) {
		unsigned int lo = hostile_layouts[li][0], ro = hostile_layouts[li][1];

		for (int what = 0; what < 4; what++) {
			struct chan *ch = malloc(sizeof(*ch));

			assert_non_null(ch);
			chan_open_server(ch, lo, ro);
			switch (what) {
			case 0: /* sane, if odd, indexes: taken over as they stand */
				ch->sh->right.cons = 0xfffffff0u;
				ch->sh->right.prod = 0xfffffff0u + (1u << ro);
				ch->sh->left.cons = 12345;
				ch->sh->left.prod = 12345 + (1u << lo) - 1;
				break;
			case 1: /* more to read than the ring holds */
				ch->sh->right.cons = 0xfffffff0u;
				ch->sh->right.prod = 0xfffffff0u + (1u << ro) + 1;
				break;
			case 2: /* consumer of the client's ring ahead of its producer */
				ch->sh->left.prod = 77;
				ch->sh->left.cons = 78;
				break;
			case 3: /* more written than the ring holds */
				ch->sh->left.cons = 77;
				ch->sh->left.prod = 77 + (1u << lo) + 1;
				break;
			}
			chan_connect_client(ch);
			assert_int_equal(ch->cli.rd.idx, ch->sh->right.cons);
			assert_int_equal(ch->cli.wr.idx, ch->sh->left.prod);
			if (what == 0) {
				assert_int_equal(vchan_core_ready(&ch->cli), 1u << ro);
				assert_int_equal(vchan_core_space(&ch->cli), 1);
				get_and_check(ch, false, 1u << ro);
				put_and_check(ch, false, 1);
				assert_int_equal(vchan_core_space(&ch->cli), 0);
			} else if (what == 1) {
				assert_int_equal(vchan_core_ready(&ch->cli), -1);
				expect_broken(ch, false);
			} else {
				assert_int_equal(vchan_core_space(&ch->cli), -1);
				expect_broken(ch, false);
			}
			chan_close(ch);
		}
	}
}

/* The peer's live byte: a value its role cannot hold breaks the channel. */
static void live_case(bool server, uint8_t live, int expect, bool breaks)
{
	struct chan *ch = chan_open(10, 12, UINT32_MAX - 2);
	struct vchan_core *c = core(ch, server), *peer = core(ch, !server);

	vchan_core_put(peer, stream(RIGHT_BASE, 0), 5);
	assert_int_equal(vchan_core_peer_state(c), VCHAN_CONNECTED);
	if (server)
		ch->sh->cli_live = live;
	else
		ch->sh->srv_live = live;
	assert_int_equal(vchan_core_peer_state(c), expect);
	if (breaks) {
		expect_broken(ch, server);
	} else {
		/* Still readable after the peer left, as libxenvchan lets a reader drain. */
		assert_false(c->broken);
		assert_int_equal(vchan_core_ready(c), 5);
		assert_int_equal(vchan_core_space(c), wr_size(ch, server));
		get_and_check(ch, server, 5);
	}
	chan_close(ch);
}

static void test_live_bytes(void **state)
{
	struct chan *ch = malloc(sizeof(*ch));
	(void)state;

	/* Before the client connects, its byte says so; after, both are live. */
	assert_non_null(ch);
	chan_open_server(ch, 11, 10);
	assert_int_equal(ch->sh->srv_live, VCHAN_CONNECTED);
	assert_int_equal(vchan_core_peer_state(&ch->srv), VCHAN_WAITING);
	assert_false(ch->srv.broken);
	chan_connect_client(ch);
	assert_int_equal(ch->sh->cli_live, VCHAN_CONNECTED);
	assert_int_equal(vchan_core_peer_state(&ch->srv), VCHAN_CONNECTED);
	assert_int_equal(vchan_core_peer_state(&ch->cli), VCHAN_CONNECTED);
	vchan_core_set_live(&ch->cli, VCHAN_DISCONNECTED);
	assert_int_equal(ch->sh->cli_live, VCHAN_DISCONNECTED);
	assert_int_equal(ch->sh->srv_live, VCHAN_CONNECTED);
	assert_int_equal(vchan_core_peer_state(&ch->srv), VCHAN_DISCONNECTED);
	chan_close(ch);

	/* A server's byte, as the client sees it: 2 is a client's state only. */
	live_case(false, VCHAN_DISCONNECTED, VCHAN_DISCONNECTED, false);
	live_case(false, VCHAN_CONNECTED, VCHAN_CONNECTED, false);
	live_case(false, VCHAN_WAITING, VCHAN_DISCONNECTED, true);
	live_case(false, 3, VCHAN_DISCONNECTED, true);
	live_case(false, 255, VCHAN_DISCONNECTED, true);
	/* A client's byte, as the server sees it. */
	live_case(true, VCHAN_DISCONNECTED, VCHAN_DISCONNECTED, false);
	live_case(true, VCHAN_CONNECTED, VCHAN_CONNECTED, false);
	live_case(true, VCHAN_WAITING, VCHAN_WAITING, false);
	live_case(true, 3, VCHAN_DISCONNECTED, true);
	live_case(true, 255, VCHAN_DISCONNECTED, true);
	live_case(true, 0x80, VCHAN_DISCONNECTED, true);
}

/* ---- notification -------------------------------------------------------- */

static void test_notify_bits(void **state)
{
	struct chan *ch = chan_open(12, 12, 0);
	struct vchan_interface *sh = ch->sh;
	(void)state;

	assert_int_equal(VCHAN_NOTIFY_WRITE, 1);
	assert_int_equal(VCHAN_NOTIFY_READ, 2);

	/* The server asks to hear of the client's writes: a bit in cli_notify. */
	vchan_core_request(&ch->srv, VCHAN_NOTIFY_WRITE);
	assert_int_equal(sh->cli_notify, VCHAN_NOTIFY_WRITE);
	assert_int_equal(sh->srv_notify, 0);
	/* Only the client takes it, only for a write, and only once. */
	assert_false(vchan_core_take_request(&ch->srv, VCHAN_NOTIFY_WRITE));
	assert_false(vchan_core_take_request(&ch->cli, VCHAN_NOTIFY_READ));
	assert_int_equal(sh->cli_notify, VCHAN_NOTIFY_WRITE);
	assert_true(vchan_core_take_request(&ch->cli, VCHAN_NOTIFY_WRITE));
	assert_int_equal(sh->cli_notify, 0);
	assert_false(vchan_core_take_request(&ch->cli, VCHAN_NOTIFY_WRITE));

	/* The client asks to hear of the server's reads: a bit in srv_notify. */
	vchan_core_request(&ch->cli, VCHAN_NOTIFY_READ);
	assert_int_equal(sh->srv_notify, VCHAN_NOTIFY_READ);
	assert_int_equal(sh->cli_notify, 0);
	assert_false(vchan_core_take_request(&ch->cli, VCHAN_NOTIFY_READ));
	assert_false(vchan_core_take_request(&ch->srv, VCHAN_NOTIFY_WRITE));
	assert_true(vchan_core_take_request(&ch->srv, VCHAN_NOTIFY_READ));
	assert_int_equal(sh->srv_notify, 0);
	assert_false(vchan_core_take_request(&ch->srv, VCHAN_NOTIFY_READ));

	/* Both bits at once: taking one leaves the other, and other bits stay. */
	sh->cli_notify = 0x80;
	vchan_core_request(&ch->srv, VCHAN_NOTIFY_WRITE);
	vchan_core_request(&ch->srv, VCHAN_NOTIFY_READ);
	assert_int_equal(sh->cli_notify, 0x80 | VCHAN_NOTIFY_WRITE | VCHAN_NOTIFY_READ);
	assert_true(vchan_core_take_request(&ch->cli, VCHAN_NOTIFY_WRITE));
	assert_int_equal(sh->cli_notify, 0x80 | VCHAN_NOTIFY_READ);
	assert_true(vchan_core_take_request(&ch->cli, VCHAN_NOTIFY_READ));
	assert_int_equal(sh->cli_notify, 0x80);
	assert_int_equal(sh->srv_notify, 0);

	/* As a library uses it: the client waits for data, the server writes and notifies. */
	vchan_core_request(&ch->cli, VCHAN_NOTIFY_WRITE);
	vchan_core_put(&ch->srv, stream(RIGHT_BASE, 0), 10);
	assert_true(vchan_core_take_request(&ch->srv, VCHAN_NOTIFY_WRITE));
	vchan_core_put(&ch->srv, stream(RIGHT_BASE, 10), 10);
	assert_false(vchan_core_take_request(&ch->srv, VCHAN_NOTIFY_WRITE));
	assert_int_equal(vchan_core_ready(&ch->cli), 20);
	chan_close(ch);
}

/* ---- main ---------------------------------------------------------------- */

static int group_setup(void **state)
{
	uint64_t s = 0x76636861ull; /* "vcha" */
	(void)state;

	pat = malloc(PAT_LEN);
	if (!pat)
		return -1;
	for (size_t i = 0; i < PAT_P; i++)
		pat[i] = (uint8_t)(rng_next(&s) >> 56);
	for (size_t i = PAT_P; i < PAT_LEN; i++)
		pat[i] = pat[i - PAT_P];
	return 0;
}

static int group_teardown(void **state)
{
	(void)state;
	free(pat);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_layout_check_table),
		cmocka_unit_test(test_layout_check_model),
		cmocka_unit_test(test_choose_orders_table),
		cmocka_unit_test(test_choose_orders_sound),
		cmocka_unit_test(test_choose_orders_complete),
		cmocka_unit_test(test_integrity_inpage),
		cmocka_unit_test(test_integrity_granted),
		cmocka_unit_test(test_integrity_mixed),
		cmocka_unit_test(test_integrity_threads),
		cmocka_unit_test(test_ready_for_space_for),
		cmocka_unit_test(test_hostile_prod_beyond_size),
		cmocka_unit_test(test_hostile_prod_behind_cons),
		cmocka_unit_test(test_hostile_prod_limit_each_size),
		cmocka_unit_test(test_hostile_cons_ahead_of_prod),
		cmocka_unit_test(test_hostile_cons_far_behind),
		cmocka_unit_test(test_hostile_cons_limit_each_size),
		cmocka_unit_test(test_peer_moves_our_index),
		cmocka_unit_test(test_hostile_client_init),
		cmocka_unit_test(test_live_bytes),
		cmocka_unit_test(test_notify_bits),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
