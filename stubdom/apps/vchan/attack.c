/*
 * The hostile peer, and the victims that must survive it.
 *
 * mode=attack attack=A: connect (role=server or client, as usual), then
 *   prod-ahead    claim more than a ring of data on the ring it writes
 *   prod-behind   move that prod backwards (a huge unsigned distance)
 *   cons-ahead    consume past what the victim produced, then send data
 *                 so that the victim's echo writes into the broken ring
 *   live-bogus    set its live byte to 7
 *   live-waiting  as server, claim "client not yet connected" (2)
 *   own-index     scribble over the victim's own indexes in the page
 *   storm         events as fast as it can for 2 s, no data
 *   die           send half of bytes=N, then crash without closing
 * mode=attack attack=offers (as server): publish five broken offers at
 *   PATH-0..PATH-4 (orders 10/10, order 25, ungranted ring pages, a
 *   ring-ref that is no number, an event channel not offered), then idle.
 *
 * mode=victim: echo until the channel fails, then it must be closed
 *   within 10 s: "vchan: closed after N bytes", PASS.
 * mode=refuse (client): connecting to each of PATH-0..4 must fail, each
 *   with "vchan: refused PATH-K: ERR", then PASS.
 */
#include "vchan_app.h"

#define SEC 1000000000ull
#define MS 1000000ull

/* ---- attacks on a connected channel ------------------------------------------------ */

static void set_u32(uint32_t *p, uint32_t v)
{
	__atomic_store_n(p, v, __ATOMIC_SEQ_CST);
}

static int corrupt(struct vchan *v)
{
	struct vchan_interface *sh = vchan_shared(v);
	/* The ring this side writes, and the one it reads (the victim writes). */
	struct ring_shared *mine = o.server ? &sh->right : &sh->left;
	struct ring_shared *theirs = o.server ? &sh->left : &sh->right;
	uint32_t size = vchan_write_size(v);
	uint8_t junk[64];

	memset(junk, 0xa5, sizeof(junk));
	if (!strcmp(o.attack, "prod-ahead")) {
		set_u32(&mine->prod, mine->cons + size + 1);
	} else if (!strcmp(o.attack, "prod-behind")) {
		set_u32(&mine->prod, mine->cons - 1);
	} else if (!strcmp(o.attack, "cons-ahead")) {
		set_u32(&theirs->cons, theirs->prod + 5);
		vchan_write(v, junk, sizeof(junk)); /* the victim echoes into the broken ring */
	} else if (!strcmp(o.attack, "live-bogus")) {
		__atomic_store_n(o.server ? &sh->srv_live : &sh->cli_live, 7, __ATOMIC_SEQ_CST);
	} else if (!strcmp(o.attack, "live-waiting")) {
		__atomic_store_n(&sh->srv_live, VCHAN_WAITING, __ATOMIC_SEQ_CST);
	} else if (!strcmp(o.attack, "own-index")) {
		/* The victim's own cons (on the ring we write) and prod (on the ring it writes). */
		set_u32(&mine->cons, 0xdeadbeef);
		set_u32(&theirs->prod, 0x12345678);
		sh->left_order = 25;
		sh->right_order = 3;
	} else if (!strcmp(o.attack, "storm")) {
		uint64_t end = now_ns() + 2 * SEC, n = 0;

		while (now_ns() < end) {
			evtchn_send(vchan_port(v));
			n++;
		}
		printk("vchan: attack storm sent %llu events\n", (unsigned long long)n);
	} else if (!strcmp(o.attack, "die")) {
		static uint8_t buf[4096];
		uint64_t sent = 0;

		memset(buf, 0x3c, sizeof(buf));
		while (sent < o.bytes / 2) {
			if (vchan_write(v, buf, sizeof(buf)) != sizeof(buf))
				return fail("write before dying");
			sent += sizeof(buf);
		}
		printk("vchan: attack die after %llu bytes\n", (unsigned long long)sent);
		shutdown(SHUTDOWN_crash);
	} else {
		return fail("unknown attack");
	}
	/* Prod the victim so that it looks now, then leave without closing cleanly. */
	evtchn_send(vchan_port(v));
	printk("vchan: attack %s done\n", o.attack);
	sleep_until(now_ns() + 3 * SEC);
	return 0;
}

/* ---- broken offers --------------------------------------------------------------------- */

static int publish_raw(int k, grant_ref_t ref, const char *ring_ref, evtchn_port_t port)
{
	struct xs_perm perms[2] = { { xenbus_domid(), 'n' }, { o.peer, 'r' } };
	char node[128], val[24];
	int rc;

	snprintf(node, sizeof(node), "%s-%d/ring-ref", o.path, k);
	if (ring_ref)
		snprintf(val, sizeof(val), "%s", ring_ref);
	else
		snprintf(val, sizeof(val), "%u", ref);
	rc = xs_write(XBT_NULL, node, val);
	if (!rc)
		rc = xs_set_perms(XBT_NULL, node, perms, 2);
	snprintf(node, sizeof(node), "%s-%d/event-channel", o.path, k);
	snprintf(val, sizeof(val), "%u", port);
	if (!rc)
		rc = xs_write(XBT_NULL, node, val);
	if (!rc)
		rc = xs_set_perms(XBT_NULL, node, perms, 2);
	return rc;
}

static int offers(void)
{
	static uint8_t pages[5][4096] __attribute__((aligned(4096)));
	evtchn_port_t port;
	int k;

	if (gnttab_init() || evtchn_alloc_unbound(o.peer, &port))
		return fail("grant table or alloc_unbound");
	for (k = 0; k < 5; k++) {
		struct vchan_interface *sh = (struct vchan_interface *)pages[k];
		grant_ref_t ref = gnttab_alloc_ref();

		sh->srv_live = VCHAN_CONNECTED;
		sh->cli_live = VCHAN_WAITING;
		sh->left_order = 12;
		sh->right_order = 12;
		sh->grants[0] = 900; /* never granted */
		sh->grants[1] = 901;
		if (k == 0)
			sh->left_order = sh->right_order = 10;
		if (k == 1)
			sh->left_order = 25;
		gnttab_grant(ref, o.peer, (uintptr_t)sh >> 12, false);
		if (k == 4) {
			/* A good page and ring, but a port nobody offered. */
			grant_ref_t r1 = gnttab_alloc_ref(), r2 = gnttab_alloc_ref();
			static uint8_t ring[2][4096] __attribute__((aligned(4096)));

			gnttab_grant(r1, o.peer, (uintptr_t)ring[0] >> 12, false);
			gnttab_grant(r2, o.peer, (uintptr_t)ring[1] >> 12, false);
			sh->grants[0] = r1;
			sh->grants[1] = r2;
		}
		if (publish_raw(k, ref, k == 3 ? "12abc" : NULL, k == 4 ? port + 40 : port))
			return fail("publish");
	}
	printk("vchan: offers published\n");
	sleep_until(now_ns() + o.timeout);
	return 0;
}

int attack_main(void)
{
	struct vchan *v;

	if (!strcmp(o.attack, "offers"))
		return offers();
	v = connect();
	if (!v)
		return fail("connect");
	return corrupt(v);
}

/* ---- victims --------------------------------------------------------------------------- */

int victim_main(struct vchan *v)
{
	static uint8_t buf[4096];
	uint64_t got = 0, deadline;
	int n;

	/* Echo as long as the channel lets us. */
	while ((n = vchan_read(v, buf, sizeof(buf))) > 0) {
		got += (uint64_t)n;
		if (vchan_write(v, buf, (size_t)n) != n)
			break;
	}
	deadline = now_ns() + 10 * SEC;
	while (vchan_is_open(v) != VCHAN_DISCONNECTED && now_ns() < deadline)
		vchan_wait(v);
	printk("vchan: closed after %llu bytes\n", (unsigned long long)got);
	return vchan_is_open(v) == VCHAN_DISCONNECTED ? 0 : fail("still open");
}

int refuse_main(void)
{
	uint64_t deadline = now_ns() + o.timeout;
	char path[128];
	int k, err;

	/* Wait for the offers, then try each. */
	snprintf(path, sizeof(path), "/local/domain/%u/%s-4/event-channel", o.peer, o.path);
	while (xs_read(XBT_NULL, path, (char[24]){ 0 }, 24) < 0) {
		if (now_ns() > deadline)
			return fail("no offers");
		sleep_until(now_ns() + 20 * MS);
	}
	for (k = 0; k < 5; k++) {
		struct vchan *v;

		snprintf(path, sizeof(path), "%s-%d", o.path, k);
		v = vchan_client_init(o.peer, path, &err);
		if (v) {
			vchan_close(v);
			printk("vchan: accepted %s\n", path);
			return fail("a broken offer was accepted");
		}
		printk("vchan: refused %s: %s\n", path, xenbus_strerror(err));
	}
	return 0;
}
