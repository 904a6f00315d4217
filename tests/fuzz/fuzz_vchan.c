/*
 * libFuzzer target: one side of a vchan (include/bulkhead/vchan_ring.h)
 * against a peer that writes whatever it likes into the shared page.
 *
 * The input is a script. Its header:
 *   byte 0      bit 0: we are the server (else the client)
 *   bytes 1, 2  the orders in the page (byte < 0xc0: 10 + byte % 11, so
 *               that most inputs map; else byte - 0xc0, 0..63); both must
 *               pass vchan_layout_check, which is checked against a model
 *   bytes 3..18 left.prod, left.cons, right.prod, right.cons in the page
 *               before our init: as the server leaves them for a client;
 *               whatever was there before, for a server, whose init clears
 *               them
 * then operations, one byte (low 4 bits; bit 4 picks ready_for/space_for
 * where it applies) and its arguments each: our ready/space/get/put, with
 * lengths clamped to what ready/space returned as a library does, and the
 * peer's writes to indexes (relative to ours or absolute, ours included),
 * header bytes, ring bytes, its live byte and the notify bytes.
 *
 * Checked: our indexes move only by our get/put, and by exactly their
 * length; ready/space are -1 or in [0, size] and agree with a model of the
 * page (ready_for/space_for may instead give what they saw at their last
 * look, less what moved since, when that covers the length asked for); a
 * broken channel stays broken (ready/space -1, peer state disconnected);
 * get copies the ring's bytes and put writes them, from our index on; the
 * notify bits behave as fetch-or/fetch-and. Rings of order
 * 12 and up are exact-size heap buffers, and the page bytes outside the
 * header and in-page rings are poisoned, so ASan sees any access outside a
 * ring.
 */
#define FUZZ_NAME "fuzz_vchan"
#include "fuzz_check.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <sanitizer/asan_interface.h>

#include "bulkhead/vchan_ring.h"

#define HDR_SIZE sizeof(struct vchan_interface)
#define MAX_OPS 4096
/* Bytes our get/put may move per input, to keep big rings fast to fuzz. */
#define MAX_MOVED (2u << 20)

/* Bytes to write: random, so that a byte put in the wrong place shows. */
static uint8_t pattern[(1u << VCHAN_MAX_ORDER) + 256];
static bool pattern_ready;

static void fill_pattern(void)
{
	uint32_t x = 0x76636861;

	for (size_t i = 0; i < sizeof(pattern); i++) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		pattern[i] = (uint8_t)(x >> 24);
	}
	pattern_ready = true;
}

struct script {
	const uint8_t *p;
	size_t left;
};

static uint8_t take8(struct script *s)
{
	if (!s->left)
		return 0;
	s->left--;
	return *s->p++;
}

static uint32_t take32(struct script *s)
{
	uint32_t v = 0;

	for (int i = 0; i < 4; i++)
		v |= (uint32_t)take8(s) << (8 * i);
	return v;
}

static unsigned int take_order(struct script *s)
{
	uint8_t b = take8(s);

	return b < 0xc0 ? 10 + b % 11 : b - 0xc0;
}

/* Independent of vchan_layout_check: no two byte ranges of the page overlap. */
static bool layout_model(unsigned int left, unsigned int right)
{
	unsigned int o[2] = { left, right };
	size_t pages = 0, ring_lo[2], ring_hi[2];
	int n = 0;

	for (int i = 0; i < 2; i++) {
		if (o[i] < 10 || o[i] > 20)
			return false;
		if (o[i] >= 12) {
			pages += (size_t)1 << (o[i] - 12);
		} else {
			ring_lo[n] = o[i] == 10 ? 1024 : 2048;
			ring_hi[n] = ring_lo[n] + ((size_t)1 << o[i]);
			n++;
		}
	}
	if (n == 2 && ring_lo[0] < ring_hi[1] && ring_lo[1] < ring_hi[0])
		return false;
	for (int i = 0; i < n; i++)
		if (HDR_SIZE + 4 * pages > ring_lo[i])
			return false;
	return HDR_SIZE + 4 * pages <= 4096;
}

struct side {
	struct vchan_core c;
	struct vchan_interface *sh;
	unsigned int order[2]; /* left, right */
	uint8_t *data[2];
	bool inpage[2];
	/* What must not change but by our own calls. */
	struct vchan_core ref;
	bool broken;
	uint32_t rd_avail, wr_avail; /* ready (space) at the last look, less what moved since */
	uint64_t moved;
};

enum how { SOME, ALL, CACHED };

/* Everything past the header but the in-page rings, for ASan; or all of it back. */
static void poison_page(const struct side *sd, bool poison)
{
	uint8_t *p = (uint8_t *)sd->sh;

	if (!poison) {
		ASAN_UNPOISON_MEMORY_REGION(p, VCHAN_PAGE_SIZE);
		return;
	}
	ASAN_POISON_MEMORY_REGION(p + HDR_SIZE, VCHAN_PAGE_SIZE - HDR_SIZE);
	for (int i = 0; i < 2; i++)
		if (sd->inpage[i])
			ASAN_UNPOISON_MEMORY_REGION(sd->data[i], (size_t)1 << sd->order[i]);
}

/* The fields of our core that only our own calls may change. */
static void check_core(const struct side *sd)
{
	const struct vchan_core *c = &sd->c, *r = &sd->ref;

	CHECK(c->sh == r->sh && c->server == r->server);
	CHECK(c->rd.shr == r->rd.shr && c->rd.data == r->rd.data && c->rd.size == r->rd.size);
	CHECK(c->wr.shr == r->wr.shr && c->wr.data == r->wr.data && c->wr.size == r->wr.size);
	CHECK(c->rd.idx == r->rd.idx);
	CHECK(c->wr.idx == r->wr.idx);
	CHECK(!sd->broken || c->broken);
}

/*
 * ready, or with cached, ready_for(want): that may answer from what it saw
 * at its last look at the page, less what we took since, while that covers
 * want; otherwise it must look.
 */
static int64_t do_ready(struct side *sd, bool cached, uint32_t want)
{
	uint32_t prod = sd->c.rd.shr->prod, n = prod - sd->c.rd.idx;
	bool look = !cached || !want || sd->rd_avail < want;
	int64_t r = cached ? vchan_core_ready_for(&sd->c, want) : vchan_core_ready(&sd->c);

	CHECK(r == -1 || (r >= 0 && r <= sd->c.rd.size));
	if (sd->broken)
		CHECK(r == -1);
	else if (n > sd->c.rd.size)
		CHECK(r == -1 || (!look && r == sd->rd_avail));
	else
		CHECK(r == n || (!look && r == sd->rd_avail));
	if (r < 0) {
		CHECK(sd->c.broken);
		sd->broken = true;
	} else {
		sd->rd_avail = (uint32_t)r;
	}
	return r;
}

static int64_t do_space(struct side *sd, bool cached, uint32_t want)
{
	uint32_t cons = sd->c.wr.shr->cons, used = sd->c.wr.idx - cons;
	bool look = !cached || !want || sd->wr_avail < want;
	int64_t s = cached ? vchan_core_space_for(&sd->c, want) : vchan_core_space(&sd->c);

	CHECK(s == -1 || (s >= 0 && s <= sd->c.wr.size));
	if (sd->broken)
		CHECK(s == -1);
	else if (used > sd->c.wr.size)
		CHECK(s == -1 || (!look && s == sd->wr_avail));
	else
		CHECK(s == sd->c.wr.size - used || (!look && s == sd->wr_avail));
	if (s < 0) {
		CHECK(sd->c.broken);
		sd->broken = true;
	} else {
		sd->wr_avail = (uint32_t)s;
	}
	return s;
}

/* Whether buf[0..n) is the ring's bytes from index idx on, wrapping at its end. */
static bool ring_equal(const uint8_t *ring, uint32_t mask, uint32_t idx, const uint8_t *buf,
		       uint32_t n)
{
	uint32_t off = idx & mask, first = mask + 1 - off;

	if (first > n)
		first = n;
	return !memcmp(ring + off, buf, first) && !memcmp(ring, buf + first, n - first);
}

/*
 * How much to move once ready/space said avail: all of it, len of it as
 * vchan_read/vchan_write do with ready_for/space_for, or 1 + len % avail.
 */
static uint32_t clamp_len(int64_t avail, uint32_t len, enum how how)
{
	if (avail <= 0)
		return 0;
	if (how == ALL)
		return (uint32_t)avail;
	if (how == CACHED)
		return len < avail ? len : (uint32_t)avail;
	return 1 + len % (uint32_t)avail;
}

/* Read into a buffer of exactly the length read. */
static void do_get(struct side *sd, uint32_t len, enum how how)
{
	int64_t r = do_ready(sd, how == CACHED, len);
	uint32_t n = clamp_len(r, len, how), idx = sd->c.rd.idx, mask = sd->c.rd.size - 1;
	uint8_t *buf;

	if (!n || sd->moved >= MAX_MOVED)
		return;
	buf = malloc(n);
	CHECK(buf);
	vchan_core_get(&sd->c, buf, n);
	CHECK(ring_equal(sd->c.rd.data, mask, idx, buf, n));
	free(buf);
	CHECK(sd->c.rd.idx == idx + n);
	CHECK(sd->c.rd.shr->cons == idx + n);
	sd->ref.rd.idx = idx + n;
	sd->rd_avail -= n;
	sd->moved += n;
}

static void do_put(struct side *sd, uint32_t len, enum how how, uint8_t fill)
{
	int64_t s = do_space(sd, how == CACHED, len);
	uint32_t n = clamp_len(s, len, how), idx = sd->c.wr.idx, mask = sd->c.wr.size - 1;
	uint8_t *buf;

	if (!n || sd->moved >= MAX_MOVED)
		return;
	buf = malloc(n);
	CHECK(buf);
	memcpy(buf, pattern + fill, n);
	vchan_core_put(&sd->c, buf, n);
	CHECK(ring_equal(sd->c.wr.data, mask, idx, buf, n));
	free(buf);
	CHECK(sd->c.wr.idx == idx + n);
	CHECK(sd->c.wr.shr->prod == idx + n);
	sd->ref.wr.idx = idx + n;
	sd->wr_avail -= n;
	sd->moved += n;
}

static void do_peer_state(struct side *sd)
{
	uint8_t live = sd->c.server ? sd->sh->cli_live : sd->sh->srv_live;
	int st = vchan_core_peer_state(&sd->c);

	CHECK(st == VCHAN_DISCONNECTED || st == VCHAN_CONNECTED || st == VCHAN_WAITING);
	if (sd->broken) {
		CHECK(st == VCHAN_DISCONNECTED);
	} else if (live == VCHAN_CONNECTED || live == VCHAN_DISCONNECTED ||
		   (live == VCHAN_WAITING && sd->c.server)) {
		CHECK(st == live);
		CHECK(!sd->c.broken);
	} else {
		CHECK(st == VCHAN_DISCONNECTED);
		CHECK(sd->c.broken);
		sd->broken = true;
	}
}

static void do_notify(struct side *sd, uint8_t arg)
{
	uint8_t bit = arg & 0x80 ? arg & 0x7f : (arg & 1 ? VCHAN_NOTIFY_READ : VCHAN_NOTIFY_WRITE);
	uint8_t *peer_byte = sd->c.server ? &sd->sh->cli_notify : &sd->sh->srv_notify;
	uint8_t *our_byte = sd->c.server ? &sd->sh->srv_notify : &sd->sh->cli_notify;
	uint8_t before_peer = *peer_byte, before_ours = *our_byte;

	if (arg & 0x40) {
		vchan_core_request(&sd->c, bit);
		CHECK(*peer_byte == (before_peer | bit));
		CHECK(*our_byte == before_ours);
	} else {
		bool asked = vchan_core_take_request(&sd->c, bit);

		CHECK(asked == ((before_ours & bit) != 0));
		CHECK(*our_byte == (before_ours & (uint8_t)~bit));
		CHECK(*peer_byte == before_peer);
	}
}

static void run(struct side *sd, struct script *s)
{
	struct vchan_interface *sh = sd->sh;
	struct ring_shared *rd = sd->c.rd.shr, *wr = sd->c.wr.shr;
	unsigned int ops = 0;

	while (s->left && ops++ < MAX_OPS) {
		uint8_t op = take8(s);

		switch (op & 0x0f) {
		case 0:
			if (op & 0x10)
				do_ready(sd, true, take32(s));
			else
				do_ready(sd, false, 0);
			break;
		case 1:
			if (op & 0x10)
				do_space(sd, true, take32(s));
			else
				do_space(sd, false, 0);
			break;
		case 2: /* get: a length, and whether through ready_for */
			do_get(sd, take32(s), op & 0x10 ? CACHED : SOME);
			break;
		case 3:
			do_put(sd, take32(s), op & 0x10 ? CACHED : SOME, op);
			break;
		case 4: /* the peer's producer index, from our consumer index */
			rd->prod = sd->c.rd.idx + take32(s);
			break;
		case 5: /* the peer's consumer index, behind our producer index */
			wr->cons = sd->c.wr.idx - take32(s);
			break;
		case 6: { /* any index, ours included, to any value */
			uint8_t which = take8(s);
			uint32_t v = take32(s);
			struct ring_shared *r = which & 2 ? &sh->right : &sh->left;

			if (which & 1)
				r->cons = v;
			else
				r->prod = v;
			break;
		}
		case 7: { /* any header byte */
			uint8_t off = take8(s);

			((uint8_t *)sh)[off % HDR_SIZE] = take8(s);
			break;
		}
		case 8: { /* any ring byte, in either ring */
			uint8_t which = take8(s);
			uint32_t off = take32(s);
			int i = which & 1;

			sd->data[i][off & ((1u << sd->order[i]) - 1)] = take8(s);
			break;
		}
		case 9:
			*(sd->c.server ? &sh->cli_live : &sh->srv_live) = take8(s);
			break;
		case 10:
			do_peer_state(sd);
			break;
		case 11:
			do_notify(sd, take8(s));
			break;
		case 12: /* the peer produces a little */
			rd->prod += take8(s);
			break;
		case 13: /* the peer consumes a little */
			wr->cons += take8(s);
			break;
		case 14:
			do_get(sd, 0, ALL);
			break;
		case 15:
			do_put(sd, 0, ALL, op);
			break;
		}
		check_core(sd);
		if (sd->broken) {
			CHECK(vchan_core_ready(&sd->c) == -1);
			CHECK(vchan_core_space(&sd->c) == -1);
			CHECK(vchan_core_peer_state(&sd->c) == VCHAN_DISCONNECTED);
		}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct script s = { data, size };
	bool server = take8(&s) & 1;
	unsigned int lo = take_order(&s), ro = take_order(&s);
	uint32_t idx[4];
	struct side sd;

	if (!pattern_ready)
		fill_pattern();
	for (int i = 0; i < 4; i++)
		idx[i] = take32(&s);
	CHECK(vchan_layout_check(lo, ro) == layout_model(lo, ro));
	if (!vchan_layout_check(lo, ro))
		return 0;

	memset(&sd, 0, sizeof(sd));
	sd.sh = aligned_alloc(VCHAN_PAGE_SIZE, VCHAN_PAGE_SIZE);
	CHECK(sd.sh);
	memset(sd.sh, 0, VCHAN_PAGE_SIZE);
	sd.order[0] = lo;
	sd.order[1] = ro;
	sd.sh->left_order = (uint16_t)lo;
	sd.sh->right_order = (uint16_t)ro;
	sd.sh->srv_live = VCHAN_CONNECTED;
	sd.sh->cli_live = server ? VCHAN_WAITING : VCHAN_CONNECTED;
	for (int i = 0; i < 2; i++) {
		sd.inpage[i] = sd.order[i] < VCHAN_PAGE_SHIFT;
		if (sd.inpage[i]) {
			sd.data[i] = (uint8_t *)sd.sh + (sd.order[i] == 10 ? 1024 : 2048);
			CHECK(vchan_inpage_ring(sd.sh, sd.order[i]) == sd.data[i]);
		} else {
			sd.data[i] = calloc(1, (size_t)1 << sd.order[i]);
			CHECK(sd.data[i]);
		}
	}
	poison_page(&sd, true);
	sd.sh->left.prod = idx[0];
	sd.sh->left.cons = idx[1];
	sd.sh->right.prod = idx[2];
	sd.sh->right.cons = idx[3];
	vchan_core_init(&sd.c, sd.sh, server, lo, sd.data[0], ro, sd.data[1]);
	if (server)
		CHECK(!sd.sh->left.prod && !sd.sh->left.cons && !sd.sh->right.prod &&
		      !sd.sh->right.cons);
	/* Our live byte, and only ours. */
	vchan_core_set_live(&sd.c, 0x7f);
	CHECK(*(server ? &sd.sh->srv_live : &sd.sh->cli_live) == 0x7f);
	CHECK(*(server ? &sd.sh->cli_live : &sd.sh->srv_live) ==
	      (server ? VCHAN_WAITING : VCHAN_CONNECTED));
	vchan_core_set_live(&sd.c, VCHAN_CONNECTED);
	/* A server starts with both rings empty; a client where the server left them. */
	CHECK(sd.c.rd.size == 1u << (server ? lo : ro));
	CHECK(sd.c.wr.size == 1u << (server ? ro : lo));
	CHECK(sd.c.rd.shr == (server ? &sd.sh->left : &sd.sh->right));
	CHECK(sd.c.wr.shr == (server ? &sd.sh->right : &sd.sh->left));
	CHECK(sd.c.rd.data == sd.data[server ? 0 : 1]);
	CHECK(sd.c.wr.data == sd.data[server ? 1 : 0]);
	CHECK(sd.c.rd.idx == (server ? 0 : idx[3]));
	CHECK(sd.c.wr.idx == (server ? 0 : idx[0]));
	CHECK(!sd.c.broken && sd.c.server == server);
	sd.ref = sd.c;

	run(&sd, &s);

	poison_page(&sd, false);
	for (int i = 0; i < 2; i++)
		if (!sd.inpage[i])
			free(sd.data[i]);
	free(sd.sh);
	return 0;
}
