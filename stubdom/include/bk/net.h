/*
 * Networking for guest apps: lwIP (Debian's 2.1.3, NO_SYS, raw API) behind a
 * few calls that tie it to a NIC driver and to the kernel's clock. Only apps
 * listed in the Makefile's LWIP_APPS link it (build/guest/liblwip.a); they
 * may use lwIP's own raw API too (lwip/tcp.h, lwip/udp.h, lwip/raw.h).
 * docs/lwip.md has the options and memory sizes.
 *
 * Context: lwIP is not reentrant. Every call here and every lwIP call must
 * come from one context, the app's main loop: never from an event-channel
 * handler. A driver whose event handler sees a frame records that and lets
 * the main loop call bk_net_input.
 *
 * A driver provides, per NIC, an output callback that sends one Ethernet
 * frame, and calls bk_net_input with each frame it receives. Frames are
 * whole Ethernet frames without the FCS, at most mtu + BK_NET_ETH_HLEN bytes.
 */
#ifndef BK_NET_H
#define BK_NET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lwip/netif.h"

#define BK_NET_ETH_HLEN 14 /* destination, source, ethertype */
#define BK_NET_MTU 1500
#define BK_NET_FRAME_MAX (BK_NET_MTU + BK_NET_ETH_HLEN)

/* An IPv4 address a.b.c.d in host order, as bk_net_set_static takes it. */
#define BK_IP4(a, b, c, d) \
	(((uint32_t)(a) << 24) | ((uint32_t)(b) << 16) | ((uint32_t)(c) << 8) | (uint32_t)(d))

/*
 * Send one frame of `len` bytes (BK_NET_ETH_HLEN <= len <= mtu + 14).
 * `frame` is valid only during the call: copy it. Return 0, or -errno when
 * the frame was dropped (lwIP counts it; TCP retransmits).
 */
typedef int (*bk_net_output_fn)(void *drv, const void *frame, size_t len);

/* Initialise lwIP once, before anything else here. */
void bk_net_init(void);

/*
 * Add an Ethernet netif with MAC address `mac`, MTU `mtu` (576..1500; 0
 * gives 1500) and two-letter name `name` ("e0"), link up, no address yet.
 * `out(drv, ...)` sends its frames. The first netif added is the default
 * route. NULL when memory or lwIP's netif slots are exhausted.
 */
struct netif *bk_net_add_eth(const char name[2], const uint8_t mac[6], unsigned int mtu,
			     bk_net_output_fn out, void *drv);

/*
 * A frame the driver received on `nif`: lwIP copies it (the caller keeps
 * `frame`) and handles it now, answering ARP and ICMP and running the
 * TCP/UDP callbacks. A frame shorter than BK_NET_ETH_HLEN or longer than
 * mtu + 14, or one lwIP has no buffer for, is dropped: -EINVAL or -ENOMEM
 * (as negative Xen errnos), and counted in bk_net_stats.
 */
int bk_net_input(struct netif *nif, const void *frame, size_t len);

/* Static IPv4 configuration (host order; gw 0 for none). */
void bk_net_set_static(struct netif *nif, uint32_t addr, uint32_t netmask, uint32_t gw);
/* Make `nif` the default route (the route for addresses on no netif's subnet). */
void bk_net_set_default(struct netif *nif);

/* DHCP: start asking for a lease; bound once an address is configured. 0 or -errno. */
int bk_net_dhcp_start(struct netif *nif);
bool bk_net_dhcp_bound(struct netif *nif);
/* The netif's IPv4 address in host order (0 while it has none). */
uint32_t bk_net_addr(const struct netif *nif);

/*
 * Run lwIP's timers that are due (TCP retransmission, ARP ageing, DHCP,
 * reassembly). Call it from the main loop at least every 100 ms, or every
 * bk_net_next_timeout_ms(); it is cheap when nothing is due.
 */
void bk_net_poll(void);
/* Milliseconds until the next lwIP timer (at most 1000). */
uint32_t bk_net_next_timeout_ms(void);

/* Frames bk_net_input refused or lwIP had no buffer for, and frames sent and dropped. */
struct bk_net_stats {
	uint64_t rx_frames, rx_dropped, tx_frames, tx_dropped;
};
void bk_net_stats(const struct netif *nif, struct bk_net_stats *st);

/* Bytes of lwIP's heap and pools (static, in .bss; lwipopts.h sizes them). */
size_t bk_net_memory(void);

#endif
