/*
 * grant: a grant sharer and mapper pair, with every misuse, and copies.
 *
 *   role=sharer peer=D [die=1] [bench=1]
 *       grants ref 8 (read-write, page "A"), ref 9 (read-only, page "B")
 *       and ref 10 (to domain 99, not to D), offers event channel port 2
 *       to D, and checks what D does in two steps. With die=1 it powers
 *       off while D still maps its pages. bench=1 also grants refs 16-31.
 *   role=mapper peer=D [survive=1] [bench=1]
 *       binds D's port 2, maps refs 8 and 9 above its RAM, writes through
 *       them, tries every misuse, unmaps, and copies both ways. survive=1:
 *       the sharer dies while mapped; the page must stay usable until the
 *       unmap. bench=1 prints copy and map figures against memcpy.
 *
 * Prints "grant: ok CASE" or "grant: FAIL CASE: ...", then PASS or FAIL.
 */
#include <xen/errno.h>
#include <xen/event_channel.h>
#include <xen/grant_table.h>

#include <bk/kernel.h>

#define SEC 1000000000ull
#define PAGE 4096
#define BENCH_PAGES 16

static uint8_t pages[3 + BENCH_PAGES][PAGE] __attribute__((aligned(PAGE)));
static uint8_t local[BENCH_PAGES][PAGE] __attribute__((aligned(PAGE)));
static volatile uint64_t events;
static unsigned int failures;
static evtchn_port_t port;

static void check(bool ok, const char *name, const char *fmt, long v)
{
	if (ok) {
		printk("grant: ok %s\n", name);
		return;
	}
	printk("grant: FAIL %s: ", name);
	printk(fmt, v);
	printk("\n");
	failures++;
}

static void expect(const char *name, long got, long want)
{
	check(got == want, name, "got %ld", got);
}

static void on_event(evtchn_port_t p, void *arg)
{
	(void)p;
	(void)arg;
	events++;
}

static bool filled(const volatile uint8_t *p, uint8_t c, unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		if (p[i] != c)
			return false;
	return true;
}

/* Tell the peer, then wait for its answer. */
static bool step(uint64_t *seen)
{
	evtchn_send(port);
	if (!wait_event(&events, *seen, now_ns() + 30 * SEC))
		return false;
	*seen = events;
	return true;
}

static int sharer(domid_t peer, bool die, bool bench)
{
	uint64_t seen, i;
	int rc = gnttab_init();

	if (rc) {
		printk("grant: FAIL gnttab_init: %d\n", rc);
		return 1;
	}
	memset(pages[0], 'A', PAGE);
	memset(pages[1], 'B', PAGE);
	memset(pages[2], 'X', PAGE);
	gnttab_grant(8, peer, (uintptr_t)pages[0] >> 12, false);
	gnttab_grant(9, peer, (uintptr_t)pages[1] >> 12, true);
	gnttab_grant(10, 99, (uintptr_t)pages[2] >> 12, false);
	for (i = 0; bench && i < BENCH_PAGES; i++)
		gnttab_grant(16 + i, peer, (uintptr_t)pages[3 + i] >> 12, true);
	if (evtchn_alloc_unbound(peer, &port)) {
		printk("grant: FAIL alloc_unbound\n");
		return 1;
	}
	evtchn_set_handler(port, on_event, NULL);
	evtchn_unmask(port);
	printk("grant: sharing refs 8-10 with domain %u, port %u\n", peer, port);

	/* Step 1: the mapper has mapped 8 and 9 and written through 8. */
	seen = 0;
	if (!wait_event(&events, seen, now_ns() + 60 * SEC)) {
		printk("grant: FAIL no word from the mapper\n");
		return 1;
	}
	seen = events;
	check(filled(pages[0], 'M', 64), "write-visible", "first byte %ld", pages[0][0]);
	check(filled(pages[1], 'B', PAGE), "readonly-untouched", "first byte %ld", pages[1][0]);
	check(gnttab_flags(8) & GTF_writing, "flags-writing", "flags %lx", gnttab_flags(8));
	expect("end-while-mapped-rw", gnttab_end(8), -XEN_EBUSY);
	expect("end-while-mapped-ro", gnttab_end(9), -XEN_EBUSY);
	if (die) {
		printk("grant: powering off while mapped\n");
		return failures ? 1 : 0;
	}
	/* Step 2: unmapped, and copies done. */
	if (!step(&seen)) {
		printk("grant: FAIL no second word from the mapper\n");
		return 1;
	}
	check(filled(pages[0], 'C', 100) && filled(pages[0] + 100, 'M', 100) &&
		      filled(pages[0] + 2000, 'C', 96),
	      "copied-in", "first byte %ld", pages[0][0]);
	check(!(gnttab_flags(8) & (GTF_reading | GTF_writing)), "flags-clear", "flags %lx",
	      gnttab_flags(8));
	expect("end-after-unmap-rw", gnttab_end(8), 0);
	expect("end-after-unmap-ro", gnttab_end(9), 0);
	evtchn_send(port);
	printk(failures ? "grant: FAIL\n" : "grant: PASS\n");
	return failures ? 1 : 0;
}

static void misuse(domid_t peer, uint64_t w)
{
	struct gnttab_copy c = { .flags = GNTCOPY_source_gref };
	grant_handle_t h;

	expect("map-ref-out-of-range", gnttab_map(peer, 100000, w + 4 * PAGE, false, &h),
	       GNTST_bad_gntref);
	expect("map-ref-for-another", gnttab_map(peer, 10, w + 4 * PAGE, false, &h),
	       GNTST_permission_denied);
	expect("map-ref-not-granted", gnttab_map(peer, 11, w + 4 * PAGE, true, &h),
	       GNTST_permission_denied);
	expect("map-rw-of-readonly", gnttab_map(peer, 9, w + 4 * PAGE, false, &h),
	       GNTST_permission_denied);
	expect("map-over-own-ram", gnttab_map(peer, 8, 0x200000, false, &h), GNTST_bad_virt_addr);
	expect("map-over-mapping", gnttab_map(peer, 8, w, false, &h), GNTST_bad_virt_addr);
	expect("map-unaligned", gnttab_map(peer, 8, w + 4 * PAGE + 8, false, &h),
	       GNTST_bad_virt_addr);
	expect("map-no-domain", gnttab_map(31000, 8, w + 4 * PAGE, false, &h), GNTST_bad_domain);
	expect("unmap-never-mapped", gnttab_unmap(w + 5 * PAGE, 77), GNTST_bad_handle);

	c.source.domid = peer;
	c.source.u.ref = 9;
	c.dest.domid = DOMID_SELF;
	c.dest.u.gmfn = (uintptr_t)local[0] >> 12;
	c.source.offset = 4000;
	c.len = 200;
	gnttab_copy(&c, 1);
	expect("copy-crosses-page", c.status, GNTST_bad_copy_arg);
	c.source.offset = 0;
	c.len = 5000;
	gnttab_copy(&c, 1);
	expect("copy-bad-length", c.status, GNTST_bad_copy_arg);
	c.len = 16;
	c.flags = GNTCOPY_dest_gref;
	c.source.domid = DOMID_SELF;
	c.source.u.gmfn = (uintptr_t)local[0] >> 12;
	c.dest.domid = peer;
	c.dest.u.ref = 9;
	gnttab_copy(&c, 1);
	expect("copy-into-readonly", c.status, GNTST_permission_denied);
	c.dest.u.ref = 10;
	gnttab_copy(&c, 1);
	expect("copy-ref-for-another", c.status, GNTST_permission_denied);
}

static void bench_copies(domid_t peer, uint64_t w)
{
	static struct gnttab_copy ops[BENCH_PAGES];
	uint64_t t, i, n = 200, copy1, batch, mcpy, mapun;
	unsigned int k;
	grant_handle_t h;

	for (k = 0; k < BENCH_PAGES; k++) {
		ops[k] = (struct gnttab_copy){ .flags = GNTCOPY_source_gref, .len = PAGE };
		ops[k].source.domid = peer;
		ops[k].source.u.ref = 16 + k;
		ops[k].dest.domid = DOMID_SELF;
		ops[k].dest.u.gmfn = (uintptr_t)local[k] >> 12;
	}
	t = now_ns();
	for (i = 0; i < n; i++)
		gnttab_copy(ops, 1);
	copy1 = (now_ns() - t) / n;
	t = now_ns();
	for (i = 0; i < n; i++)
		gnttab_copy(ops, BENCH_PAGES);
	batch = (now_ns() - t) / n;
	t = now_ns();
	for (i = 0; i < n * 10; i++) {
		memcpy(local[i % BENCH_PAGES], pages[i % BENCH_PAGES], PAGE);
		__asm__ volatile("" ::: "memory");
	}
	mcpy = (now_ns() - t) / (n * 10);
	t = now_ns();
	for (i = 0; i < 20; i++) {
		gnttab_map(peer, 16, w + 8 * PAGE, true, &h);
		gnttab_unmap(w + 8 * PAGE, h);
	}
	mapun = (now_ns() - t) / 20;
	printk("grant-bench: copy_4k_ns %lu batch16_4k_ns %lu memcpy_4k_ns %lu map_unmap_ns %lu\n",
	       copy1, batch, mcpy, mapun);
}

static int mapper(domid_t peer, bool survive, bool bench)
{
	uint64_t w = ram_end(), seen, start;
	volatile uint8_t *rw = (volatile uint8_t *)(uintptr_t)w;
	volatile uint8_t *ro = (volatile uint8_t *)(uintptr_t)(w + PAGE);
	struct gnttab_copy c[3];
	grant_handle_t h8, h9;
	int rc = -1;

	for (start = now_ns(); rc && now_ns() - start < 20 * SEC;) {
		rc = evtchn_bind_interdomain(peer, 2, &port);
		if (rc)
			sleep_until(now_ns() + 1000000);
	}
	if (rc) {
		printk("grant: FAIL bind_interdomain: %d\n", rc);
		return 1;
	}
	evtchn_set_handler(port, on_event, NULL);
	evtchn_unmask(port);
	evtchn_poll();
	seen = events;

	expect("map-rw", gnttab_map(peer, 8, w, false, &h8), GNTST_okay);
	expect("map-ro", gnttab_map(peer, 9, w + PAGE, true, &h9), GNTST_okay);
	check(filled(rw, 'A', PAGE), "read-rw-mapping", "first byte %ld", rw[0]);
	check(filled(ro, 'B', PAGE), "read-ro-mapping", "first byte %ld", ro[0]);
	memset((void *)rw, 'M', PAGE);
	/* A write through the read-only mapping has no effect. */
	ro[0] = 'Z';
	check(ro[0] == 'B', "write-through-readonly", "byte now %ld", ro[0]);
	misuse(peer, w);
	if (bench)
		bench_copies(peer, w);

	if (survive) {
		struct evtchn_status st;

		evtchn_send(port);
		/* The sharer powers off and is destroyed; our end of the channel says so. */
		do {
			sleep_until(now_ns() + 2000000);
			evtchn_status(port, &st);
		} while (st.status == EVTCHNSTAT_interdomain && now_ns() - start < 60 * SEC);
		expect("sharer-gone", st.status, EVTCHNSTAT_unbound);
		check(filled(rw, 'M', PAGE), "page-outlives-granter", "first byte %ld", rw[0]);
		memset((void *)rw, 'N', PAGE);
		check(filled(rw, 'N', PAGE), "page-still-writable", "first byte %ld", rw[0]);
		expect("unmap-after-death", gnttab_unmap(w, h8), GNTST_okay);
		expect("unmap-ro-after-death", gnttab_unmap(w + PAGE, h9), GNTST_okay);
		printk(failures ? "grant: FAIL\n" : "grant: PASS\n");
		return failures ? 1 : 0;
	}

	/* Step 1 done: the sharer checks our write and that it cannot take the pages back. */
	if (!step(&seen))
		check(false, "sharer-checked", "%ld", 0);
	expect("unmap-rw", gnttab_unmap(w, h8), GNTST_okay);
	expect("unmap-ro", gnttab_unmap(w + PAGE, h9), GNTST_okay);
	expect("unmap-twice", gnttab_unmap(w, h8), GNTST_bad_handle);
	check(rw[0] != 'M', "unmapped-page-gone", "byte %ld", rw[0]);

	/* Copies, batched: read the read-only grant, write two ranges of the writable one. */
	memset(local[0], 'C', PAGE);
	memset(local[1], 0, PAGE);
	c[0] = (struct gnttab_copy){ .flags = GNTCOPY_source_gref, .len = PAGE };
	c[0].source.domid = peer;
	c[0].source.u.ref = 9;
	c[0].dest.domid = DOMID_SELF;
	c[0].dest.u.gmfn = (uintptr_t)local[1] >> 12;
	c[1] = (struct gnttab_copy){ .flags = GNTCOPY_dest_gref, .len = 100 };
	c[1].source.domid = DOMID_SELF;
	c[1].source.u.gmfn = (uintptr_t)local[0] >> 12;
	c[1].dest.domid = peer;
	c[1].dest.u.ref = 8;
	c[2] = c[1];
	c[2].dest.offset = 2000;
	c[2].len = 96;
	expect("copy-batch", gnttab_copy(c, 3), 0);
	expect("copy-read-status", c[0].status, GNTST_okay);
	expect("copy-write-status", c[1].status, GNTST_okay);
	expect("copy-write2-status", c[2].status, GNTST_okay);
	check(filled(local[1], 'B', PAGE), "copy-read-data", "first byte %ld", local[1][0]);
	if (!step(&seen))
		check(false, "sharer-finished", "%ld", 0);
	printk(failures ? "grant: FAIL\n" : "grant: PASS\n");
	return failures ? 1 : 0;
}

int app_main(const char *cmdline)
{
	char role[16] = "";
	domid_t peer = (domid_t)cmdline_get_u64(cmdline, "peer", 0);
	bool bench = cmdline_get_u64(cmdline, "bench", 0);

	cmdline_get(cmdline, "role", role, sizeof(role));
	if (!strcmp(role, "sharer"))
		return sharer(peer, cmdline_get_u64(cmdline, "die", 0), bench);
	if (!strcmp(role, "mapper"))
		return mapper(peer, cmdline_get_u64(cmdline, "survive", 0), bench);
	printk("grant: FAIL give role=sharer|mapper peer=DOMID\n");
	return 1;
}
