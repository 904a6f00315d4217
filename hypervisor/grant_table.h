/*
 * Grant tables, version 1 (xen/grant_table.h).
 *
 * A domain's grant entries live in frames that the guest places in its
 * physmap with XENMAPSPACE_grant_table (private pages until then). Every
 * entry bulkhead reads is guest memory: it reads the flags/domid word
 * once, validates the copy, and changes it only by compare-and-swap.
 *
 * A mapping puts the granter's page into the mapper's physmap at the
 * address the mapper names, outside its RAM, as a KVM memslot backed by a
 * private mmap of the granter's memfd page. The mapping holds a reference
 * on the granter, so a dying granter's memory lives until the last unmap.
 *
 * Locking: grant_table.lock guards a domain's frames, pins and map
 * handles. A map or copy takes the granter's lock, then (for map handles)
 * the mapper's; never the other way round at the same time.
 */
#ifndef BH_GRANT_TABLE_H
#define BH_GRANT_TABLE_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include <xen/xen.h>
#include <xen/grant_table.h>

#define GNTTAB_ENTRIES_PER_FRAME (4096 / sizeof(struct grant_entry_v1))
#define GNTTAB_MAX_FRAMES 32      /* 16,384 entries */
#define GNTTAB_MAX_MAPS 1024      /* map handles per domain */

struct domain;
struct vcpu;

struct grant_pin {
	uint16_t readers, writers; /* mappings and copies under way */
};

struct grant_map {
	struct domain *granter;    /* NULL: handle free; else holds a reference */
	grant_ref_t ref;
	uint64_t gpa;              /* where the page sits in the mapper's physmap */
	void *host;                /* bulkhead's mmap of the granter's page */
	uint32_t slot;             /* KVM memslot */
	bool readonly;
};

struct grant_table {
	pthread_mutex_t lock;
	unsigned int nr_frames;
	struct grant_entry_v1 *frame[GNTTAB_MAX_FRAMES]; /* host pointers */
	void *private_frame[GNTTAB_MAX_FRAMES];          /* before add_to_physmap */
	uint64_t frame_gpfn[GNTTAB_MAX_FRAMES];          /* ~0: not in the physmap */
	struct grant_pin *pin;     /* nr_frames * GNTTAB_ENTRIES_PER_FRAME */
	struct grant_map *map;     /* GNTTAB_MAX_MAPS */
};

int grant_table_init(struct domain *d);
/* Unmap everything d mapped (the domain is dying), then free at the last reference. */
void grant_table_release_maps(struct domain *d);
void grant_table_fini(struct domain *d);

/* XENMEM_add_to_physmap with XENMAPSPACE_grant_table. */
long grant_table_map_frame(struct domain *d, uint64_t idx, uint64_t gpfn);

long do_grant_table_op(struct vcpu *v, const uint64_t a[5]);

#endif
