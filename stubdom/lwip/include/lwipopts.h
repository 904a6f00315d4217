/*
 * lwIP's options for Bulkhead's guest kernel (docs/lwip.md). NO_SYS: the raw
 * (callback) API only, no threads; every lwIP call, bk_net_input and
 * bk_net_poll included, comes from one context (the app's main loop), never
 * from an event handler, so no locking is needed (SYS_LIGHTWEIGHT_PROT 0).
 *
 * Memory is lwIP's own: a heap of MEM_SIZE and fixed pools, all static in
 * the image's .bss, so a flood from the wire can exhaust lwIP's pools but
 * never the kernel's allocator. The heap and pools below take 266 KiB
 * (bk_net_memory(); netloop prints it), lwIP's code 70 KiB.
 */
#ifndef BK_LWIPOPTS_H
#define BK_LWIPOPTS_H

#define NO_SYS 1
#define SYS_LIGHTWEIGHT_PROT 0
#define LWIP_NETCONN 0
#define LWIP_SOCKET 0

/* Protocols: IPv4 with ARP, ICMP, UDP, TCP and DHCP; raw PCBs (ping). */
#define LWIP_IPV4 1
#define LWIP_IPV6 0
#define LWIP_ARP 1
#define LWIP_ETHERNET 1
#define LWIP_ICMP 1
#define LWIP_RAW 1
#define LWIP_UDP 1
#define LWIP_TCP 1
#define LWIP_DHCP 1
#define DHCP_DOES_ARP_CHECK 0
#define LWIP_AUTOIP 0
#define LWIP_IGMP 0
#define LWIP_DNS 0
/* sys-net routes between its netifs. */
#define IP_FORWARD 1
#define IP_REASSEMBLY 1
#define IP_FRAG 1
#define LWIP_NETIF_STATUS_CALLBACK 1
#define LWIP_NETIF_HOSTNAME 0
#define LWIP_NETIF_LOOPBACK 0
#define ETHARP_SUPPORT_STATIC_ENTRIES 1

/* Memory: lwIP's heap and pools (MEM_LIBC_MALLOC 0), sized for a small domain. */
#define MEM_LIBC_MALLOC 0
#define MEMP_MEM_MALLOC 0
#define MEM_ALIGNMENT 8
#define MEM_SIZE (64 * 1024)
#define MEMP_NUM_PBUF 64
#define MEMP_NUM_RAW_PCB 4
#define MEMP_NUM_UDP_PCB 8
#define MEMP_NUM_TCP_PCB 16
#define MEMP_NUM_TCP_PCB_LISTEN 8
#define MEMP_NUM_TCP_SEG 64
#define MEMP_NUM_REASSDATA 4
#define MEMP_NUM_FRAG_PBUF 16
#define MEMP_NUM_ARP_QUEUE 16
#define PBUF_POOL_SIZE 128
#define ARP_TABLE_SIZE 16
#define ARP_QUEUEING 1

/* TCP: a 1460-byte MSS (Ethernet), eight segments in flight each way. */
#define TCP_MSS 1460
#define TCP_WND (8 * TCP_MSS)
#define TCP_SND_BUF (8 * TCP_MSS)
#define TCP_SND_QUEUELEN (4 * TCP_SND_BUF / TCP_MSS)
#define TCP_QUEUE_OOSEQ 1
#define LWIP_TCP_SACK_OUT 0
#define LWIP_WND_SCALE 0

/* Checksums in software, generated and checked on every layer. */
#define LWIP_CHKSUM_ALGORITHM 3

#define LWIP_STATS 1
#define LWIP_STATS_DISPLAY 0
#define LWIP_DEBUG 0

#endif
