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
 * Domain 0 is the host services: its grants are pages of their arenas
 * (service.h), mapped the same way from bulkhead's mapping of the arena.
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

struct arena;

/* A handle is in use when granter or arena is set. */
struct grant_map {
	struct domain *granter;    /* a domain's grant: holds a reference */
	struct arena *arena;       /* a dom0 grant (service.h): holds the arena */
	uint32_t sid;              /* a dom0 grant: the granting service's label */
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

/*
 * A host service's GNTTABOP_copy (BH_CTL_GRANT_COPY): len bytes at offset
 * of the page g granted to dom0, into buf or (to_guest) from it. The caller
 * has checked the policy. A GNTST_* status.
 */
int16_t grant_copy_for_dom0(struct domain *g, grant_ref_t ref, uint16_t offset, uint16_t len,
			    void *buf, bool to_guest);

#endif
