/*
 * netloop: lwIP inside a domain with no network device. Two Ethernet
 * netifs, a (10.0.0.1) and b (10.0.0.2), are wired back to back through
 * two in-guest frame queues; every frame crosses bk_net_input and the
 * driver output hook as a NIC's would. Then:
 *   - ARP and ICMP: pings from a to b (lwIP's ICMP answers them);
 *   - UDP: an echo server on b, datagrams of many sizes (some fragmented);
 *   - hostile frames: runts, oversized and random frames into b;
 *   - TCP: a client on a sends tcp_bytes (1 MiB) of a xorshift32 stream
 *     seeded with tcp_seed to a server on b; both print the byte count and
 *     FNV-1a 64 hash they saw, and the test checks them against its own;
 *   - DHCP: a third netif starts DHCP and must send a DISCOVER.
 * Each step prints "netloop: NAME PASS" or "netloop: NAME FAIL ..."; the
 * last line is "netloop: PASS" or "netloop: FAIL", and a failure crashes
 * the domain.
 *
 * The stack is one lwIP, so each PCB is bound to its netif (tcp_bind_netif
 * and friends): with both netifs on one subnet, routing by address alone
 * would send a's packets out of b.
 */
#include <xen/errno.h>

#include <bk/kernel.h>
#include <bk/net.h>

#include "lwip/prot/iana.h"
#include "lwip/inet_chksum.h"
#include "lwip/ip4.h"
#include "lwip/pbuf.h"
#include "lwip/prot/dhcp.h"
#include "lwip/prot/ethernet.h"
#include "lwip/prot/icmp.h"
#include "lwip/prot/udp.h"
#include "lwip/raw.h"
#include "lwip/stats.h"
#include "lwip/tcp.h"
#include "lwip/udp.h"

/* ---- the wire: one queue per direction, dropping when full like a NIC */
#define WIRE_SLOTS 64

struct wire {
	unsigned int head, count;
	uint64_t frames, dropped;
	uint16_t len[WIRE_SLOTS];
	uint8_t slot[WIRE_SLOTS][BK_NET_FRAME_MAX];
};

static struct wire wire_ab, wire_ba;
static struct netif *na, *nb, *nc;

static int wire_output(void *drv, const void *frame, size_t len)
{
	struct wire *w = drv;
	unsigned int i;

	if (w->count == WIRE_SLOTS || len > BK_NET_FRAME_MAX) {
		w->dropped++;
		return -XEN_EAGAIN;
	}
	i = (w->head + w->count) % WIRE_SLOTS;
	memcpy(w->slot[i], frame, len);
	w->len[i] = (uint16_t)len;
	w->count++;
	w->frames++;
	return 0;
}

/* Hand what is queued now to the far netif; the slot is freed after lwIP returns. */
static unsigned int wire_deliver(struct wire *w, struct netif *to)
{
	unsigned int n = w->count, done = 0;

	while (n--) {
		bk_net_input(to, w->slot[w->head], w->len[w->head]);
		w->head = (w->head + 1) % WIRE_SLOTS;
		w->count--;
		done++;
	}
	return done;
}

/* DHCP's netif: its frames are kept for inspection, nothing answers. */
static bool dhcp_discover_seen;

static int dhcp_capture(void *drv, const void *frame, size_t len)
{
	const struct eth_hdr *eth = frame;
	const struct ip_hdr *ip = (const void *)(eth + 1);
	const struct udp_hdr *udp;
	const struct dhcp_msg *m;

	(void)drv;
	if (len < sizeof(*eth) + IP_HLEN || eth->type != PP_HTONS(ETHTYPE_IP) || IPH_PROTO(ip) != IP_PROTO_UDP)
		return 0;
	udp = (const void *)((const uint8_t *)ip + IPH_HL_BYTES(ip));
	m = (const void *)(udp + 1);
	if ((const uint8_t *)(m + 1) > (const uint8_t *)frame + len || udp->dest != PP_HTONS(LWIP_IANA_PORT_DHCP_SERVER))
		return 0;
	if (m->op == DHCP_BOOTREQUEST && m->cookie == PP_HTONL(DHCP_MAGIC_COOKIE) &&
	    m->options[0] == DHCP_OPTION_MESSAGE_TYPE && m->options[2] == DHCP_DISCOVER)
		dhcp_discover_seen = true;
	return 0;
}

/* ---- the loop */
static uint64_t deadline;

/* Move the frames queued now, run the timers; when idle and may_sleep, wait a ms. */
static void pump(bool may_sleep)
{
	unsigned int moved = wire_deliver(&wire_ab, nb) + wire_deliver(&wire_ba, na);

	bk_net_poll();
	if (may_sleep && !moved && !wire_ab.count && !wire_ba.count)
		sleep_until(now_ns() + 1000000);
}

/* Pump until *flag is set or the deadline passes. */
static bool run_until(volatile bool *flag)
{
	while (!*flag && now_ns() < deadline)
		pump(true);
	return *flag;
}

static int failures;

static void result(const char *step, bool ok, const char *why)
{
	if (ok)
		printk("netloop: %s PASS\n", step);
	else
		printk("netloop: %s FAIL %s\n", step, why);
	failures += !ok;
}

/* ---- ICMP: echo requests from a through a raw PCB; lwIP's icmp.c answers on b */
#define PING_ID 0xb4
#define PING_COUNT 10
#define PING_DATA 56

static unsigned int ping_replies;
static volatile bool ping_got;

static u8_t ping_recv(void *arg, struct raw_pcb *pcb, struct pbuf *p, const ip_addr_t *addr)
{
	struct icmp_echo_hdr h;
	uint8_t data[PING_DATA];
	u16_t hl;
	unsigned int i;

	(void)arg, (void)pcb, (void)addr;
	if (p->tot_len < IP_HLEN)
		return 0;
	hl = (u16_t)IPH_HL_BYTES((const struct ip_hdr *)p->payload);
	if (p->tot_len != hl + sizeof(h) + PING_DATA || pbuf_copy_partial(p, &h, sizeof(h), hl) != sizeof(h) ||
	    h.type != ICMP_ER || h.id != PP_HTONS(PING_ID))
		return 0;
	pbuf_copy_partial(p, data, PING_DATA, (u16_t)(hl + sizeof(h)));
	for (i = 0; i < PING_DATA; i++)
		if (data[i] != (uint8_t)(i + lwip_ntohs(h.seqno)))
			return 0;
	ping_replies++;
	ping_got = true;
	pbuf_free(p);
	return 1;
}

static void test_ping(void)
{
	struct raw_pcb *pcb = raw_new(IP_PROTO_ICMP);
	ip_addr_t dst;
	unsigned int seq, i;
	char why[64];

	IP4_ADDR(&dst, 10, 0, 0, 2);
	raw_bind_netif(pcb, na);
	raw_recv(pcb, ping_recv, NULL);
	for (seq = 0; seq < PING_COUNT; seq++) {
		struct pbuf *p = pbuf_alloc(PBUF_IP, sizeof(struct icmp_echo_hdr) + PING_DATA, PBUF_RAM);
		struct icmp_echo_hdr *h = p->payload;
		uint8_t *d = (uint8_t *)(h + 1);

		ICMPH_TYPE_SET(h, ICMP_ECHO);
		ICMPH_CODE_SET(h, 0);
		h->id = PP_HTONS(PING_ID);
		h->seqno = lwip_htons((u16_t)seq);
		for (i = 0; i < PING_DATA; i++)
			d[i] = (uint8_t)(i + seq);
		h->chksum = 0;
		h->chksum = inet_chksum(h, p->len);
		ping_got = false;
		raw_sendto(pcb, p, &dst);
		pbuf_free(p);
		run_until(&ping_got);
	}
	raw_remove(pcb);
	printk("netloop: icmp %u/%u echo replies\n", ping_replies, PING_COUNT);
	snprintf(why, sizeof(why), "(%u of %u replies)", ping_replies, PING_COUNT);
	result("icmp", ping_replies == PING_COUNT, why);
}

/* ---- UDP: an echo server on b port 7, datagrams from a of sizes up to 4000 (fragmented) */
#define UDP_COUNT 64
static unsigned int udp_good, udp_bad;
static volatile bool udp_got;

static void udp_echo_recv(void *arg, struct udp_pcb *pcb, struct pbuf *p, const ip_addr_t *addr, u16_t port)
{
	(void)arg;
	udp_sendto(pcb, p, addr, port);
	pbuf_free(p);
}

static size_t udp_size(unsigned int i)
{
	return i == 0 ? 0 : i < UDP_COUNT - 4 ? (i * 97) % 1473 : 1473 + (i % 4) * 842;
}

static void udp_client_recv(void *arg, struct udp_pcb *pcb, struct pbuf *p, const ip_addr_t *addr, u16_t port)
{
	unsigned int want = *(unsigned int *)arg, k;
	uint8_t b;
	bool ok = p->tot_len == udp_size(want);

	(void)pcb, (void)addr, (void)port;
	for (k = 0; ok && k < p->tot_len; k++)
		ok = pbuf_copy_partial(p, &b, 1, (u16_t)k) == 1 && b == (uint8_t)(k * 31 + want);
	if (ok)
		udp_good++;
	else
		udp_bad++;
	udp_got = true;
	pbuf_free(p);
}

static void test_udp(void)
{
	struct udp_pcb *srv = udp_new(), *cli = udp_new();
	ip_addr_t a, b;
	unsigned int i, k;
	char why[64];

	IP4_ADDR(&a, 10, 0, 0, 1);
	IP4_ADDR(&b, 10, 0, 0, 2);
	udp_bind(srv, &b, 7);
	udp_bind_netif(srv, nb);
	udp_recv(srv, udp_echo_recv, NULL);
	udp_bind(cli, &a, 0);
	udp_bind_netif(cli, na);
	udp_recv(cli, udp_client_recv, &i);
	for (i = 0; i < UDP_COUNT; i++) {
		size_t n = udp_size(i);
		struct pbuf *p = pbuf_alloc(PBUF_TRANSPORT, (u16_t)n, PBUF_RAM);

		for (k = 0; k < n; k++)
			pbuf_put_at(p, (u16_t)k, (uint8_t)(k * 31 + i));
		udp_got = false;
		udp_sendto(cli, p, &b, 7);
		pbuf_free(p);
		run_until(&udp_got);
	}
	udp_remove(cli);
	udp_remove(srv);
	printk("netloop: udp %u/%u echoes intact, %u corrupt\n", udp_good, UDP_COUNT, udp_bad);
	snprintf(why, sizeof(why), "(%u intact, %u corrupt)", udp_good, udp_bad);
	result("udp", udp_good == UDP_COUNT && !udp_bad, why);
}

/* ---- hostile frames into b: the sizes bk_net_input refuses, then random bytes */
static uint32_t xorshift32(uint32_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 17;
	*s ^= *s << 5;
	return *s;
}

static void test_hostile(void)
{
	static uint8_t f[BK_NET_FRAME_MAX + 64];
	struct bk_net_stats before, after;
	uint32_t s = 0x5eed;
	unsigned int i, k;
	bool ok;

	bk_net_stats(nb, &before);
	ok = bk_net_input(nb, f, 0) == -XEN_EINVAL && bk_net_input(nb, f, BK_NET_ETH_HLEN - 1) == -XEN_EINVAL &&
	     bk_net_input(nb, f, BK_NET_FRAME_MAX + 1) == -XEN_EINVAL;
	for (i = 0; i < 2000; i++) {
		size_t len = BK_NET_ETH_HLEN + xorshift32(&s) % (BK_NET_FRAME_MAX - BK_NET_ETH_HLEN + 1);

		for (k = 0; k < len; k++)
			f[k] = (uint8_t)xorshift32(&s);
		/* Half of them addressed to b as IPv4 or ARP, so they reach the parsers. */
		if (i & 1) {
			memcpy(f, nb->hwaddr, ETH_HWADDR_LEN);
			f[12] = 0x08;
			f[13] = (i & 2) ? 0x06 : 0x00;
			if (!(i & 2))
				f[14] = 0x45;
		}
		bk_net_input(nb, f, len);
		pump(false);
	}
	bk_net_stats(nb, &after);
	printk("netloop: hostile 3 bad sizes refused, %lu random frames taken\n",
	       (unsigned long)(after.rx_frames - before.rx_frames));
	result("hostile", ok && after.rx_dropped - before.rx_dropped == 3, "(a bad size was taken)");
}

/* ---- TCP: tcp_bytes from a client on a to a server on b, hashed at both ends */
#define TCP_PORT 5001
#define FNV_INIT 0xcbf29ce484222325ull

static uint64_t fnv(uint64_t h, const uint8_t *p, size_t n)
{
	while (n--)
		h = (h ^ *p++) * 0x100000001b3ull;
	return h;
}

struct tcp_side {
	uint64_t bytes, hash;
	volatile bool done;
	bool error;
};
static struct tcp_side tsrv = { .hash = FNV_INIT }, tcli = { .hash = FNV_INIT };
static uint64_t tcp_total, tcp_acked;
static uint32_t tcp_gen;

static err_t srv_recv(void *arg, struct tcp_pcb *pcb, struct pbuf *p, err_t err)
{
	struct pbuf *q;

	(void)arg;
	if (!p || err != ERR_OK) {
		if (p)
			pbuf_free(p);
		tcp_arg(pcb, NULL);
		tcp_recv(pcb, NULL);
		tcp_close(pcb);
		tsrv.done = true;
		return ERR_OK;
	}
	for (q = p; q; q = q->next)
		tsrv.hash = fnv(tsrv.hash, q->payload, q->len);
	tsrv.bytes += p->tot_len;
	tcp_recved(pcb, p->tot_len);
	pbuf_free(p);
	return ERR_OK;
}

static void tcp_side_err(void *arg, err_t err)
{
	struct tcp_side *s = arg;

	printk("netloop: tcp error %d on the %s\n", err, s == &tsrv ? "server" : "client");
	s->error = true;
	s->done = true;
}

static err_t srv_accept(void *arg, struct tcp_pcb *pcb, err_t err)
{
	(void)arg;
	if (err != ERR_OK || !pcb)
		return ERR_VAL;
	tcp_arg(pcb, &tsrv);
	tcp_recv(pcb, srv_recv);
	tcp_err(pcb, tcp_side_err);
	return ERR_OK;
}

/* Queue as much of the stream as lwIP takes; the generator moves only on success. */
static void cli_fill(struct tcp_pcb *pcb)
{
	static uint8_t chunk[2048];

	while (tcli.bytes < tcp_total) {
		size_t n = tcp_sndbuf(pcb), k;
		uint32_t g = tcp_gen;

		if (n > sizeof(chunk))
			n = sizeof(chunk);
		if (n > tcp_total - tcli.bytes)
			n = tcp_total - tcli.bytes;
		if (!n || tcp_sndqueuelen(pcb) >= TCP_SND_QUEUELEN)
			break;
		for (k = 0; k < n; k++)
			chunk[k] = (uint8_t)xorshift32(&g);
		if (tcp_write(pcb, chunk, (u16_t)n, TCP_WRITE_FLAG_COPY) != ERR_OK)
			break;
		tcp_gen = g;
		tcli.hash = fnv(tcli.hash, chunk, n);
		tcli.bytes += n;
	}
	tcp_output(pcb);
}

static err_t cli_sent(void *arg, struct tcp_pcb *pcb, u16_t len)
{
	(void)arg;
	tcp_acked += len;
	if (tcp_acked == tcp_total) {
		tcp_sent(pcb, NULL);
		tcp_close(pcb);
		tcli.done = true;
		return ERR_OK;
	}
	cli_fill(pcb);
	return ERR_OK;
}

static err_t cli_connected(void *arg, struct tcp_pcb *pcb, err_t err)
{
	(void)arg;
	if (err != ERR_OK)
		return err;
	tcp_sent(pcb, cli_sent);
	cli_fill(pcb);
	return ERR_OK;
}

static void test_tcp(uint64_t bytes, uint32_t seed)
{
	struct tcp_pcb *lpcb = tcp_new(), *cpcb = tcp_new();
	ip_addr_t a, b;
	uint64_t t0;
	bool ok;

	IP4_ADDR(&a, 10, 0, 0, 1);
	IP4_ADDR(&b, 10, 0, 0, 2);
	tcp_total = bytes;
	tcp_gen = seed ? seed : 1;
	tcp_bind_netif(lpcb, nb);
	tcp_bind(lpcb, &b, TCP_PORT);
	lpcb = tcp_listen(lpcb);
	tcp_accept(lpcb, srv_accept);
	tcp_bind_netif(cpcb, na);
	tcp_bind(cpcb, &a, 0);
	tcp_arg(cpcb, &tcli);
	tcp_err(cpcb, tcp_side_err);
	t0 = now_ns();
	tcp_connect(cpcb, &b, TCP_PORT, cli_connected);
	run_until(&tcli.done);
	run_until(&tsrv.done);
	tcp_close(lpcb);
	printk("netloop: tcp sent %lu bytes fnv1a %016lx\n", (unsigned long)tcli.bytes, (unsigned long)tcli.hash);
	printk("netloop: tcp received %lu bytes fnv1a %016lx in %lu ms\n", (unsigned long)tsrv.bytes,
	       (unsigned long)tsrv.hash, (unsigned long)((now_ns() - t0) / 1000000));
	ok = tcli.done && tsrv.done && !tcli.error && !tsrv.error && tsrv.bytes == bytes && tcli.bytes == bytes &&
	     tsrv.hash == tcli.hash;
	result("tcp", ok, "(the counts or hashes differ, or the connection failed)");
}

/* ---- DHCP: a client on a third netif must send a DISCOVER */
static void test_dhcp(void)
{
	static const uint8_t mac[6] = { 0x02, 0, 0, 0, 0, 0x03 };

	nc = bk_net_add_eth("e2", mac, 0, dhcp_capture, NULL);
	if (!nc || bk_net_dhcp_start(nc)) {
		result("dhcp", false, "(no netif or dhcp_start failed)");
		return;
	}
	run_until((volatile bool *)&dhcp_discover_seen);
	result("dhcp", dhcp_discover_seen && !bk_net_dhcp_bound(nc), "(no DHCPDISCOVER sent)");
}

int app_main(const char *cmdline)
{
	static const uint8_t mac_a[6] = { 0x02, 0, 0, 0, 0, 0x01 }, mac_b[6] = { 0x02, 0, 0, 0, 0, 0x02 };
	uint64_t bytes = cmdline_get_u64(cmdline, "tcp_bytes", 1 << 20);
	uint32_t seed = (uint32_t)cmdline_get_u64(cmdline, "tcp_seed", 1);

	deadline = now_ns() + cmdline_get_u64(cmdline, "seconds", 30) * 1000000000ull;
	bk_net_init();
	na = bk_net_add_eth("e0", mac_a, 0, wire_output, &wire_ab);
	nb = bk_net_add_eth("e1", mac_b, 0, wire_output, &wire_ba);
	if (!na || !nb)
		panic("netloop: cannot add the netifs");
	bk_net_set_static(na, BK_IP4(10, 0, 0, 1), BK_IP4(255, 255, 255, 0), 0);
	bk_net_set_static(nb, BK_IP4(10, 0, 0, 2), BK_IP4(255, 255, 255, 0), 0);
	printk("netloop: lwIP memory %lu bytes (heap %u, pools %lu)\n", (unsigned long)bk_net_memory(),
	       (unsigned int)MEM_SIZE, (unsigned long)(bk_net_memory() - MEM_SIZE));

	test_ping();
	test_udp();
	test_hostile();
	test_tcp(bytes, seed);
	test_dhcp();

	printk("netloop: wire a->b %lu frames %lu dropped, b->a %lu frames %lu dropped\n",
	       (unsigned long)wire_ab.frames, (unsigned long)wire_ab.dropped, (unsigned long)wire_ba.frames,
	       (unsigned long)wire_ba.dropped);
	printk("netloop: lwIP heap high water %lu of %u bytes\n", (unsigned long)lwip_stats.mem.max,
	       (unsigned int)MEM_SIZE);
	printk("netloop: %s\n", failures ? "FAIL" : "PASS");
	return failures ? 1 : 0;
}
