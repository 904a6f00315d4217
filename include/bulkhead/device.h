/*
 * Device shims (docs/driver-domains.md): the "hardware" of a driver domain.
 *
 * A shim is a host process that owns one device (a TAP for a NIC, later a
 * file or block device for a disk) and a memfd arena. It registers the
 * arena with bulkhead (BH_ARENA_DEVICE) and attaches it to one driver
 * domain (BH_CTL_DEVICE_ATTACH) in one of BH_DEV_SLOTS slots. Bulkhead then
 *   - maps the whole arena at BH_DEV_GPA(slot) in that domain, and nowhere
 *     else (the arena is the device's DMA memory; nothing else is);
 *   - registers the shim's doorbell eventfd as a KVM ioeventfd on the PIO
 *     port BH_DEV_DOORBELL(slot): a 32-bit `out` there wakes the shim inside
 *     the host kernel, without an exit to bulkhead;
 *   - watches the shim's interrupt eventfd and raises the domain's event
 *     channel bound to PIRQ BH_DEV_PIRQ(slot) (EVTCHNOP_bind_pirq), as Xen
 *     delivers a passed-through device's interrupt to a PV driver domain.
 *
 * Everything in the arena is written by the shim or by the driver domain,
 * and each side treats what the other wrote as hostile: every index,
 * length and offset is read once, checked, then used.
 *
 * This header is shared by bulkhead, the shims and the guest kernel.
 */
#ifndef BULKHEAD_DEVICE_H
#define BULKHEAD_DEVICE_H

#include <stdint.h>

#define BH_DEV_SLOTS 4u
#define BH_DEV_WINDOW (16u << 20)              /* the largest arena a slot maps */
#define BH_DEV_GPA(slot) (0xf0000000ull + (uint64_t)(slot) * BH_DEV_WINDOW)
#define BH_DEV_DOORBELL(slot) (0xc0u + 4u * (slot)) /* PIO, 32-bit writes */
#define BH_DEV_PIRQ(slot) (16u + (slot))

/* Page 0 of every device arena. The shim writes it before it attaches. */
#define BH_DEV_MAGIC 0x31444842u /* "BHD1" */
#define BH_DEV_VERSION 1u

enum bh_dev_type {
	BH_DEV_NIC = 1,
};

struct bh_dev_header {
	uint32_t magic;
	uint32_t version;
	uint32_t type;            /* bh_dev_type */
	uint32_t pages;           /* the arena's size */
	uint32_t generation;      /* bumped by the shim each time it (re)starts the device */
	uint32_t pad;
	union {
		struct bh_nic_info {
			uint8_t mac[6];   /* the NIC's own address (the host side's is the TAP's) */
			uint16_t mtu;
			uint32_t slots;   /* per ring, a power of two */
			uint32_t tx_ring; /* page offsets of each ring's indexes */
			uint32_t rx_ring;
			uint32_t tx_data; /* page offsets of each ring's slot buffers */
			uint32_t rx_data;
		} nic;
	} u;
};

/*
 * A NIC has two rings of fixed slots, each BH_NIC_SLOT_SIZE bytes: TX
 * (driver domain produces frames, the shim writes them to the TAP) and RX
 * (the shim produces frames read from the TAP). Indexes are free-running
 * u32 counters; slot i is at data + (i & (slots - 1)) * BH_NIC_SLOT_SIZE.
 *
 * Notification is Xen's event-index scheme (xen/io/ring.h): a consumer
 * that is about to sleep writes event = cons + 1 and checks prod again; a
 * producer that moves prod past event notifies (the doorbell for TX, the
 * interrupt for RX). A consumer that frees slots on a ring whose producer
 * waits for room notifies too (the producer sets want_room).
 */
#define BH_NIC_SLOT_SIZE 2048u
#define BH_NIC_FRAME_MIN 14u      /* an Ethernet header */
#define BH_NIC_FRAME_MAX 1514u    /* no VLAN tags, no jumbo frames */
#define BH_NIC_SLOTS_MAX 1024u

struct bh_nic_ring {
	uint32_t prod;
	uint32_t prod_event;      /* the consumer: notify me when prod passes this */
	uint32_t want_room;       /* the producer: notify me when you consume */
	uint32_t pad0[13];
	uint32_t cons;
	uint32_t pad1[15];
};

struct bh_nic_slot {
	uint32_t len;             /* frame bytes that follow */
	uint32_t flags;           /* none yet; must be 0 */
	uint8_t data[BH_NIC_SLOT_SIZE - 8];
};

#endif
