/*
 * bk/net.h: lwIP's Ethernet netifs on a driver's output callback, input,
 * static and DHCP addressing, timers. The TCP/IP is all lwIP's.
 */
#include <xen/errno.h>

#include <bk/kernel.h>
#include <bk/net.h>

#include "lwip/dhcp.h"
#include "lwip/etharp.h"
#include "lwip/init.h"
#include "lwip/memp.h"
#include "lwip/pbuf.h"
#include "lwip/timeouts.h"
#include "netif/ethernet.h"

/* One per netif: lwIP's netif first, so that a struct netif * is one of these. */
struct bk_netif {
	struct netif nif;
	uint16_t mtu;
	uint8_t mac[ETH_HWADDR_LEN];
	bk_net_output_fn out;
	void *drv;
	struct bk_net_stats st;
	uint8_t frame[BK_NET_FRAME_MAX]; /* a pbuf chain flattened for out() */
};

static struct bk_netif *bk_of(struct netif *nif)
{
	return (struct bk_netif *)nif;
}

/* netif->linkoutput: flatten the chain lwIP built and hand it to the driver. */
static err_t bk_linkoutput(struct netif *nif, struct pbuf *p)
{
	struct bk_netif *b = bk_of(nif);
	size_t len = p->tot_len;

	if (len > (size_t)nif->mtu + BK_NET_ETH_HLEN || pbuf_copy_partial(p, b->frame, p->tot_len, 0) != len) {
		b->st.tx_dropped++;
		return ERR_IF;
	}
	if (b->out(b->drv, b->frame, len)) {
		b->st.tx_dropped++;
		return ERR_IF;
	}
	b->st.tx_frames++;
	return ERR_OK;
}

/* netif_add's init: netif_add has cleared the fields, so they come from here. */
static err_t bk_netif_init(struct netif *nif)
{
	struct bk_netif *b = nif->state;

	nif->mtu = b->mtu;
	memcpy(nif->hwaddr, b->mac, ETH_HWADDR_LEN);
	nif->output = etharp_output;
	nif->linkoutput = bk_linkoutput;
	nif->hwaddr_len = ETH_HWADDR_LEN;
	nif->flags = NETIF_FLAG_BROADCAST | NETIF_FLAG_ETHARP | NETIF_FLAG_ETHERNET;
	return ERR_OK;
}

void bk_net_init(void)
{
	lwip_init();
}

struct netif *bk_net_add_eth(const char name[2], const uint8_t mac[6], unsigned int mtu,
			     bk_net_output_fn out, void *drv)
{
	struct bk_netif *b;

	if (!mtu)
		mtu = BK_NET_MTU;
	if (mtu < 576 || mtu > BK_NET_MTU || !out)
		return NULL;
	b = calloc(1, sizeof(*b));
	if (!b)
		return NULL;
	b->out = out;
	b->drv = drv;
	b->nif.name[0] = name[0];
	b->nif.name[1] = name[1];
	b->mtu = (uint16_t)mtu;
	memcpy(b->mac, mac, ETH_HWADDR_LEN);
	if (!netif_add(&b->nif, NULL, NULL, NULL, b, bk_netif_init, ethernet_input)) {
		free(b);
		return NULL;
	}
	if (!netif_default)
		netif_set_default(&b->nif);
	netif_set_up(&b->nif);
	netif_set_link_up(&b->nif);
	return &b->nif;
}

int bk_net_input(struct netif *nif, const void *frame, size_t len)
{
	struct bk_netif *b = bk_of(nif);
	struct pbuf *p;

	if (len < BK_NET_ETH_HLEN || len > (size_t)nif->mtu + BK_NET_ETH_HLEN) {
		b->st.rx_dropped++;
		return -XEN_EINVAL;
	}
	p = pbuf_alloc(PBUF_RAW, (u16_t)len, PBUF_POOL);
	if (!p) {
		b->st.rx_dropped++;
		return -XEN_ENOMEM;
	}
	pbuf_take(p, frame, (u16_t)len);
	b->st.rx_frames++;
	/* ethernet_input owns p from here, whatever it returns. */
	nif->input(p, nif);
	return 0;
}

static void ip4_from_host(ip4_addr_t *a, uint32_t host)
{
	ip4_addr_set_u32(a, lwip_htonl(host));
}

void bk_net_set_static(struct netif *nif, uint32_t addr, uint32_t netmask, uint32_t gw)
{
	ip4_addr_t a, m, g;

	ip4_from_host(&a, addr);
	ip4_from_host(&m, netmask);
	ip4_from_host(&g, gw);
	netif_set_addr(nif, &a, &m, &g);
}

void bk_net_set_default(struct netif *nif)
{
	netif_set_default(nif);
}

int bk_net_dhcp_start(struct netif *nif)
{
	err_t e = dhcp_start(nif);

	return e == ERR_OK ? 0 : e == ERR_MEM ? -XEN_ENOMEM : -XEN_EINVAL;
}

bool bk_net_dhcp_bound(struct netif *nif)
{
	return dhcp_supplied_address(nif);
}

uint32_t bk_net_addr(const struct netif *nif)
{
	return lwip_ntohl(ip4_addr_get_u32(netif_ip4_addr(nif)));
}

void bk_net_poll(void)
{
	sys_check_timeouts();
}

uint32_t bk_net_next_timeout_ms(void)
{
	u32_t t = sys_timeouts_sleeptime();

	return t > 1000 ? 1000 : t;
}

void bk_net_stats(const struct netif *nif, struct bk_net_stats *st)
{
	*st = ((const struct bk_netif *)nif)->st;
}

size_t bk_net_memory(void)
{
	size_t n = MEM_SIZE;
	unsigned int i;

	for (i = 0; i < MEMP_MAX; i++)
		n += (size_t)memp_pools[i]->num * memp_pools[i]->size;
	return n;
}
